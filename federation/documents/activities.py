"""Activities, with whatever they embed parsed by the same rules.

Unknown activity types parse like known ones (id, actor, object, addressing) so the
inbox can record them and answer politely; only a document Kindred cannot read at all
raises DocumentError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from federation.documents.actors import ACTOR_TYPES, ActorDoc, parse_actor
from federation.documents.content import as_plain_text
from federation.documents.media import Tag, parse_tags
from federation.documents.objects import POST_TYPES, ObjectDoc, parse_object
from federation.documents.values import (
    MAX_DEPTH,
    MAX_LIST,
    MAX_NAME,
    Doc,
    DocumentError,
    as_doc,
    flag,
    ids,
    optional_id,
    optional_text,
    require_id,
    timestamp,
    type_of,
)

ACTIVITY_TYPES = frozenset(
    {
        "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like",
        "Dislike", "EmojiReact", "Announce", "Flag", "Lock", "Block", "Add", "Remove",
    }
)  # fmt: skip
# Types that are never activities, even when they carry an `actor` (Mobilizon's Event,
# Pleroma's Note); anything else with an actor is taken for an activity we do not know.
_NOT_ACTIVITIES = POST_TYPES | ACTOR_TYPES | {"Tombstone", "Video", "Event", "ChatMessage"}
_REACTIONS = frozenset({"Like", "Dislike", "EmojiReact"})


@dataclass(frozen=True, slots=True)
class ActivityDoc:
    id: str
    kind: str  # one of ACTIVITY_TYPES, or a type Kindred does not handle
    actor: str
    # The object as sent: an id, or the embedded activity, object or actor, parsed.
    object: Embedded | None
    # Every object, for the array case (Mastodon's Flag: the account, then its statuses).
    objects: tuple[Embedded, ...]
    target: str | None  # Add/Remove: the collection; Lemmy's Block: the community
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: tuple[str, ...]
    # Why, as plain text: Lemmy's summary (Flag, Delete, Lock, Block, Undo), Mastodon's
    # Flag content.
    reason: str | None
    reaction: str | None  # Like/EmojiReact content: the emoji, where a peer sends one
    end_time: datetime | None  # Lemmy's Block: when the ban ends
    remove_data: bool  # Lemmy's Block and Delete of a user: remove their content too
    tags: tuple[Tag, ...]
    published: datetime | None

    @property
    def is_known(self) -> bool:
        return self.kind in ACTIVITY_TYPES

    @property
    def object_id(self) -> str | None:
        return embedded_id(self.object) if self.object is not None else None

    @property
    def object_ids(self) -> tuple[str, ...]:
        return tuple(embedded_id(item) for item in self.objects)


Embedded: TypeAlias = "str | ActivityDoc | ObjectDoc | ActorDoc"


def embedded_id(value: Embedded) -> str:
    return value if isinstance(value, str) else value.id


def parse_activity(doc: object) -> ActivityDoc:
    return _parse_activity(as_doc(doc), depth=0)


def is_activity(doc: Doc) -> bool:
    kind = type_of(doc)
    return kind in ACTIVITY_TYPES or (kind not in _NOT_ACTIVITIES and "actor" in doc)


def parse_embedded(doc: Doc, depth: int) -> ActivityDoc | ObjectDoc | ActorDoc:
    """Any document by its type: the dispatch used for `object` and collection items."""
    if type_of(doc) in ACTOR_TYPES:
        return parse_actor(doc)
    if is_activity(doc):
        return _parse_activity(doc, depth)
    return parse_object(doc)


def _parse_activity(activity: Doc, depth: int) -> ActivityDoc:
    kind = type_of(activity)
    activity_id = require_id(activity)
    objects = _objects(activity.get("object"), depth)
    if kind in ACTIVITY_TYPES and not objects:
        raise DocumentError("object", f"missing (a {kind} needs one)")
    reason = as_plain_text(activity, "summary")
    if reason is None and kind == "Flag":
        # Mastodon sends the report's comment as content; Lemmy uses summary.
        reason = as_plain_text(activity, "content")
    return ActivityDoc(
        id=activity_id,
        kind=kind,
        actor=_actor(activity),
        object=objects[0] if objects else None,
        objects=objects,
        target=optional_id(activity, "target"),
        to=ids(activity.get("to"), "to", addressing=True),
        cc=ids(activity.get("cc"), "cc", addressing=True),
        audience=ids(activity.get("audience"), "audience", addressing=True),
        reason=reason,
        reaction=optional_text(activity, "content", MAX_NAME) if kind in _REACTIONS else None,
        end_time=timestamp(activity, "endTime"),
        remove_data=flag(activity, "removeData"),
        tags=parse_tags(activity.get("tag")),
        published=timestamp(activity, "published"),
    )


def _actor(activity: Doc) -> str:
    actors = ids(activity.get("actor"), "actor")
    if not actors:
        raise DocumentError("actor", "missing")
    if len(actors) > 1:
        # The signature check ties one signer to one actor; several would be ambiguous.
        raise DocumentError("actor", "more than one actor")
    return actors[0]


def _objects(value: object, depth: int) -> tuple[Embedded, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise DocumentError("object", f"more than {MAX_LIST} entries")
        return tuple(_one_object(item, f"object[{i}]", depth) for i, item in enumerate(value))
    return (_one_object(value, "object", depth),)


def _one_object(value: object, field: str, depth: int) -> Embedded:
    if isinstance(value, list):
        raise DocumentError(field, "expected an id or an object, got a list")
    if not isinstance(value, dict) or value.get("type") is None:
        # An id, or a bare {"id": ...} reference; ids() rejects anything else.
        found = ids(value, field)
        if not found:
            raise DocumentError(field, "missing")
        return found[0]
    if depth + 1 > MAX_DEPTH:
        raise DocumentError(field, f"nested more than {MAX_DEPTH} levels deep")
    try:
        return parse_embedded(value, depth + 1)
    except DocumentError as exc:
        raise exc.within(field) from None
