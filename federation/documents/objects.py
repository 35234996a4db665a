"""Objects: what a thread or a reply can come from, and everything else, parsed alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from federation.documents.content import (
    MARKDOWN,
    Source,
    as_plain_text,
    content_html,
    parse_source,
)
from federation.documents.media import (
    Attachment,
    Tag,
    best_image,
    best_link,
    parse_attachments,
    parse_tags,
)
from federation.documents.values import (
    MAX_CONTENT,
    MAX_NAME,
    PUBLIC,
    Doc,
    DocumentError,
    as_doc,
    flag,
    ids,
    is_language_tag,
    language_map_text,
    optional_flag,
    optional_id,
    optional_link,
    require_id,
    timestamp,
    type_of,
)

# Peers post threads as Page (Lemmy), Article (NodeBB, Friendica, WordPress), Note
# (Mastodon, Discourse, Lotide) or Question (Mastodon polls); all are accepted.
POST_TYPES = frozenset({"Page", "Article", "Note", "Question"})


class ObjectRole(StrEnum):
    thread = "thread"  # a post type without inReplyTo: may open a thread, if a board is addressed
    reply = "reply"  # a post type with inReplyTo
    unsupported = "unsupported"  # Tombstone, Video, Event, ChatMessage, ...: parsed, not posted


@dataclass(frozen=True, slots=True)
class ObjectDoc:
    id: str
    kind: str
    role: ObjectRole
    # The posting person: never None for POST_TYPES. PeerTube lists its channel beside it.
    author: str | None
    attributed_to: tuple[str, ...]
    name: str | None
    content_html: str  # sanitized; "" when absent
    source: Source | None
    summary: str | None  # plain text, whatever the peer meant by it
    content_warning: str | None
    sensitive: bool
    in_reply_to: str | None
    context: str | None
    audience: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    url: str | None
    attachments: tuple[Attachment, ...]
    image_url: str | None
    tags: tuple[Tag, ...]
    language: str | None
    comments_enabled: bool | None  # Lemmy: False when the post is locked
    published: datetime | None
    updated: datetime | None

    @property
    def source_markdown(self) -> str | None:
        if self.source is not None and self.source.media_type == MARKDOWN:
            return self.source.content
        return None

    @property
    def is_public(self) -> bool:
        return PUBLIC in self.to or PUBLIC in self.cc

    @property
    def mentions(self) -> tuple[str, ...]:
        return tuple(tag.href for tag in self.tags if tag.kind == "Mention" and tag.href)


def parse_object(doc: object) -> ObjectDoc:
    obj = as_doc(doc)
    kind = type_of(obj)
    object_id = require_id(obj)
    attributed_to = ids(obj.get("attributedTo"), "attributedTo")
    author = _author(obj.get("attributedTo"), attributed_to)
    if kind in POST_TYPES and author is None:
        raise DocumentError("attributedTo", "missing (a post needs an author)")
    in_reply_to = optional_id(obj, "inReplyTo")
    name, _ = language_map_text(obj, "name", MAX_NAME)
    html, language = content_html(obj)
    summary = as_plain_text(obj, "summary")
    sensitive = flag(obj, "sensitive")
    if kind not in POST_TYPES:
        role = ObjectRole.unsupported
    else:
        role = ObjectRole.reply if in_reply_to else ObjectRole.thread
    return ObjectDoc(
        id=object_id,
        kind=kind,
        role=role,
        author=author,
        attributed_to=attributed_to,
        name=name,
        content_html=html,
        source=parse_source(obj) or _markdown_content(obj),
        summary=summary,
        content_warning=_content_warning(kind, summary, name, sensitive),
        sensitive=sensitive,
        in_reply_to=in_reply_to,
        # Only a threading hint: a `context` that is not an http(s) URL is left out.
        context=optional_link(obj.get("context")),
        audience=ids(obj.get("audience"), "audience", addressing=True),
        to=ids(obj.get("to"), "to", addressing=True),
        cc=ids(obj.get("cc"), "cc", addressing=True),
        url=best_link(obj.get("url")),
        attachments=parse_attachments(obj.get("attachment")),
        image_url=best_image(obj.get("image")),
        tags=parse_tags(obj.get("tag")),
        language=_lemmy_language(obj.get("language")) or language,
        comments_enabled=optional_flag(obj, "commentsEnabled"),
        published=timestamp(obj, "published"),
        updated=timestamp(obj, "updated"),
    )


def _author(value: object, attributed_to: tuple[str, ...]) -> str | None:
    # PeerTube attributes a video to [Person, Group]: the person posted it, the group is
    # the channel it was posted in.
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("type") not in ("Group", "Organization"):
                return optional_id(item, "id")
    return attributed_to[0] if attributed_to else None


def _content_warning(
    kind: str, summary: str | None, name: str | None, sensitive: bool
) -> str | None:
    if summary is None or summary == name:
        return None  # Lotide repeats the title in summary
    if kind in ("Page", "Article") and not sensitive:
        # NodeBB, WordPress and Lotide put an excerpt in a long post's summary; Mastodon's
        # content warning (on a Note) always comes with sensitive: true.
        return None
    return summary


def _markdown_content(obj: Doc) -> Source | None:
    # PeerTube sends its Markdown as content (mediaType text/markdown) and no source.
    if obj.get("mediaType") != MARKDOWN:
        return None
    text, _ = language_map_text(obj, "content", MAX_CONTENT)
    return Source(text, MARKDOWN) if text else None


def _lemmy_language(value: object) -> str | None:
    # Lemmy: {"identifier": "fr", "name": "Français"}; a group may list several.
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and is_language_tag(value.get("identifier")):
        return str(value["identifier"])
    return None
