"""Tests for federation.documents: what real peers send parses, what cannot be used is refused.

The real-world payloads live outside the repository (../shared/fixtures/activitypub, from
Lemmy's parsing tests); tests that need them skip when that folder is absent. Every
other document here is written by hand on example.test hosts.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from federation.documents import (
    ACTIVITY_TYPES,
    ACTOR_TYPES,
    COLLECTION_TYPES,
    MAX_CONTENT,
    PUBLIC,
    ActivityDoc,
    ActorDoc,
    CollectionDoc,
    DocumentError,
    ObjectDoc,
    ObjectRole,
    first_id,
    ids,
    parse_activity,
    parse_actor,
    parse_collection,
    parse_document,
    parse_object,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/activitypub"
MISSING = f"shared ActivityPub fixtures not found at {FIXTURES}"
# Activity types in the fixtures that Kindred does not handle (Lemmy's report resolution
# and moderator warning): they must still parse, as activities.
UNKNOWN_ACTIVITY_TYPES = frozenset({"Resolve", "Warn"})
# Fixtures that must raise DocumentError, with the reason. None so far: every document
# real peers sent is usable.
REJECTED: dict[str, str] = {}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing must never fetch: any connection or DNS lookup fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access during parsing: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def fixture_paths() -> list[Any]:
    if not FIXTURES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="no-fixtures")]
    return [
        pytest.param(path, id=str(path.relative_to(FIXTURES)))
        for path in sorted(FIXTURES.rglob("*.json"))
    ]


def load(relative: str) -> dict[str, Any]:
    if not FIXTURES.is_dir():
        pytest.skip(MISSING)
    document: dict[str, Any] = json.loads((FIXTURES / relative).read_text(encoding="utf-8"))
    return document


def parse_by_type(doc: dict[str, Any]) -> ActivityDoc | ObjectDoc | ActorDoc | CollectionDoc:
    kind = doc["type"]
    if kind in ACTOR_TYPES:
        return parse_actor(doc)
    if kind in COLLECTION_TYPES:
        return parse_collection(doc)
    if kind in ACTIVITY_TYPES or kind in UNKNOWN_ACTIVITY_TYPES:
        return parse_activity(doc)
    return parse_object(doc)


# Real-world documents


@pytest.mark.parametrize("path", fixture_paths())
def test_real_world_document_parses(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    relative = str(path.relative_to(FIXTURES))
    if relative in REJECTED:
        with pytest.raises(DocumentError):
            parse_by_type(doc)
        return
    parsed = parse_by_type(doc)
    assert parsed.id == doc["id"]
    assert parsed.kind == doc["type"]
    # The generic entry point (used for fetched documents) picks the same parser.
    assert type(parse_document(doc)) is type(parsed)


def test_lemmy_create_page_gives_a_thread_with_sanitized_content_and_markdown() -> None:
    activity = parse_activity(load("lemmy/activities/create_or_update/create_page.json"))
    assert activity.kind == "Create"
    assert activity.actor == "http://ds9.lemmy.ml/u/lemmy_alpha"
    page = activity.object
    assert isinstance(page, ObjectDoc)
    assert page.kind == "Page"
    assert page.role is ObjectRole.thread
    assert page.name == "test post"
    assert page.content_html == "<p>test body</p>"
    assert page.source_markdown == "test body"
    assert page.audience == ("https://enterprise.lemmy.ml/c/main",)
    assert page.author == "http://ds9.lemmy.ml/u/lemmy_alpha"
    assert page.is_public
    assert page.published == datetime(2021, 10, 29, 15, 10, 51, 557399, tzinfo=UTC)
    assert [a.url for a in page.attachments] == ["https://lemmy.ml/pictrs/image/xl8W7FZfk9.jpg"]


def test_lemmy_comment_is_a_reply() -> None:
    activity = parse_activity(load("lemmy/activities/create_or_update/create_comment.json"))
    assert isinstance(activity.object, ObjectDoc)
    assert activity.object.role is ObjectRole.reply
    assert activity.object.in_reply_to == "http://ds9.lemmy.ml/post/1"
    assert [tag.kind for tag in activity.tags] == ["Mention"]


def test_lemmy_flag_takes_its_reason_from_summary() -> None:
    flag = parse_activity(load("lemmy/activities/community/report_page.json"))
    assert flag.kind == "Flag"
    assert flag.object_ids == ("http://enterprise.lemmy.ml/post/7",)
    assert flag.reason == "report this post"


def test_mastodon_flag_takes_an_array_of_objects_and_its_reason_from_content() -> None:
    flag = parse_activity(load("mastodon/activities/flag.json"))
    assert flag.kind == "Flag"
    assert flag.object_ids == (
        "https://example.com/users/1",
        "https://example.com/posts/380590",
        "https://example.com/posts/380591",
    )
    assert flag.object == "https://example.com/users/1"
    assert flag.reason == "Please take a look at this user and their posts"
    assert flag.to == ("https://example.com/users/1",)


def test_lemmy_block_carries_end_time_target_and_reason() -> None:
    block = parse_activity(load("lemmy/activities/block/block_user.json"))
    assert block.kind == "Block"
    assert block.object_id == "http://ds9.lemmy.ml/u/lemmy_alpha"
    assert block.target == "http://enterprise.lemmy.ml/c/main"
    assert block.end_time == datetime(2021, 11, 1, 12, 23, 50, 151874, tzinfo=UTC)
    assert block.reason == "spam post"
    assert block.remove_data is True


def test_undo_block_embeds_the_block() -> None:
    undo = parse_activity(load("lemmy/activities/block/undo_block_user.json"))
    assert isinstance(undo.object, ActivityDoc)
    assert undo.object.kind == "Block"
    assert undo.object.end_time is not None


def test_nodebb_group_has_shared_inbox_and_public_key() -> None:
    group = parse_actor(load("nodebb/objects/group.json"))
    assert group.is_group
    assert group.inbox == "https://bb.devnull.land/category/2/inbox"
    assert group.shared_inbox == "https://bb.devnull.land/inbox"
    assert group.public_key is not None
    assert group.public_key.owner == "https://bb.devnull.land/category/2"
    assert group.public_key.pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert "<hr>" in group.summary_html


def test_lemmy_group_names_its_moderators_and_posting_policy() -> None:
    group = parse_actor(load("lemmy/objects/group.json"))
    assert group.moderators == "https://enterprise.lemmy.ml/c/tenforward/moderators"
    assert group.posting_restricted_to_mods is False
    assert group.source_markdown is not None
    assert group.icon_url == "https://enterprise.lemmy.ml/pictrs/image/waqyZwLAy4.webp"


def test_peertube_channel_restricts_posting_and_has_no_moderators_collection() -> None:
    group = parse_actor(load("peertube/objects/group.json"))
    assert group.posting_restricted_to_mods is True
    assert group.moderators is None
    # PeerTube lists avatar sizes; the widest is kept.
    assert group.icon_url is not None and "13b0214b" in group.icon_url


def test_discourse_person_shared_inbox_outside_endpoints() -> None:
    person = parse_actor(load("discourse/objects/person.json"))
    assert person.shared_inbox == "https://socialhub.activitypub.rocks/ap/users/inbox"
    assert person.preferred_username == "angus"


def test_peertube_video_attributed_to_person_and_channel() -> None:
    video = parse_object(load("peertube/objects/video.json"))
    assert video.role is ObjectRole.unsupported
    assert video.attributed_to == (
        "https://tilvids.com/accounts/thelinuxexperiment",
        "https://tilvids.com/video-channels/thelinuxexperiment_channel",
    )
    assert video.author == "https://tilvids.com/accounts/thelinuxexperiment"
    # Among HLS, torrent and magnet links, the watch page is the url.
    assert video.url == "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"


def test_peertube_markdown_content_is_rendered_and_kept_as_source() -> None:
    note = parse_object(load("peertube/objects/note.json"))
    assert note.content_html == "<p>@af2@bae.st idk</p>\n"
    assert note.source_markdown == "@af2@bae.st idk"


def test_lemmy_announce_embeds_the_create_and_its_page() -> None:
    announce = parse_activity(load("lemmy/activities/community/announce_create_page.json"))
    assert announce.kind == "Announce"
    assert announce.actor == "http://enterprise.lemmy.ml/c/main"
    create = announce.object
    assert isinstance(create, ActivityDoc)
    assert create.kind == "Create"
    assert isinstance(create.object, ObjectDoc)
    assert create.object.name == "post 4"


def test_wordpress_announce_of_update_keeps_excerpt_out_of_the_content_warning() -> None:
    announce = parse_activity(load("wordpress/activities/announce.json"))
    assert isinstance(announce.object, ActivityDoc)
    article = announce.object.object
    assert isinstance(article, ObjectDoc)
    assert article.kind == "Article"
    assert article.summary is not None
    assert article.content_warning is None


def test_mastodon_undo_follow_and_delete_with_tombstone() -> None:
    undo = parse_activity(load("mastodon/activities/undo_follow.json"))
    assert isinstance(undo.object, ActivityDoc)
    assert undo.object.kind == "Follow"
    assert undo.object.object_id == "https://ds9.lemmy.ml/c/testcom"
    delete = parse_activity(load("mastodon/activities/delete.json"))
    assert isinstance(delete.object, ObjectDoc)
    assert delete.object.kind == "Tombstone"
    assert delete.object.role is ObjectRole.unsupported


def test_unknown_activity_type_parses_generically() -> None:
    resolve = parse_activity(load("lemmy/activities/community/resolve_report_page.json"))
    assert resolve.kind == "Resolve"
    assert not resolve.is_known
    assert isinstance(resolve.object, ActivityDoc)
    assert resolve.object.kind == "Flag"


def test_lemmy_update_community_embeds_the_group_actor() -> None:
    update = parse_activity(load("lemmy/activities/community/update_community.json"))
    assert isinstance(update.object, ActorDoc)
    assert update.object.name == "The Updated Community"


def test_lemmy_moderators_collection_lists_ids() -> None:
    moderators = parse_collection(load("lemmy/collections/group_moderators.json"))
    assert moderators.item_ids == ("https://enterprise.lemmy.ml/u/picard",)


# Hand-written documents: shape variations

ACTOR = "https://kindred.example.test/p/abc"
NOTE_ID = "https://peer.example.test/notes/1"


def note(**fields: Any) -> dict[str, Any]:
    return {"id": NOTE_ID, "type": "Note", "attributedTo": ACTOR, "content": "<p>hi</p>"} | fields


def activity(**fields: Any) -> dict[str, Any]:
    return {
        "id": "https://peer.example.test/activities/1",
        "type": "Create",
        "actor": ACTOR,
        "object": note(),
    } | fields


def person(**fields: Any) -> dict[str, Any]:
    return {
        "id": ACTOR,
        "type": "Person",
        "inbox": ACTOR + "/inbox",
        "preferredUsername": "quiet-heron",
    } | fields


def test_ids_reads_strings_objects_and_lists_alike() -> None:
    assert ids(ACTOR) == (ACTOR,)
    assert ids({"type": "Person", "id": ACTOR}) == (ACTOR,)
    assert ids([ACTOR, {"id": NOTE_ID}, ACTOR]) == (ACTOR, NOTE_ID)
    assert ids(None) == ()
    assert first_id([NOTE_ID, ACTOR]) == NOTE_ID
    assert first_id([]) is None


def test_compacted_public_addressing_is_normalized() -> None:
    parsed = parse_object(note(to="as:Public", cc=["Public", ACTOR]))
    assert parsed.to == (PUBLIC,)
    assert parsed.cc == (PUBLIC, ACTOR)
    assert parsed.is_public


def test_note_summary_is_a_content_warning() -> None:
    parsed = parse_object(note(summary="mentions of self-harm", sensitive=True))
    assert parsed.content_warning == "mentions of self-harm"
    assert parsed.sensitive


def test_page_summary_is_an_excerpt_unless_marked_sensitive() -> None:
    page = note(type="Page", name="A title", summary="<p>The first lines</p>")
    assert parse_object(page).summary == "The first lines"
    assert parse_object(page).content_warning is None
    assert parse_object(page | {"sensitive": True}).content_warning == "The first lines"


def test_content_and_name_maps_stand_in_for_missing_fields() -> None:
    parsed = parse_object(
        {
            "id": NOTE_ID,
            "type": "Page",
            "attributedTo": ACTOR,
            "nameMap": {"de": "Hallo"},
            "contentMap": {"de": "<p>Guten Tag</p>"},
        }
    )
    assert parsed.name == "Hallo"
    assert parsed.content_html == "<p>Guten Tag</p>"
    assert parsed.language == "de"


def test_source_as_bare_text_is_kept_but_not_taken_for_markdown() -> None:
    parsed = parse_object(note(source="@someone hi"))
    assert parsed.source is not None
    assert parsed.source.content == "@someone hi"
    assert parsed.source_markdown is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-05T12:49:51Z", datetime(2024, 4, 5, 12, 49, 51, tzinfo=UTC)),
        ("2021-11-01T12:23:50.151874Z", datetime(2021, 11, 1, 12, 23, 50, 151874, tzinfo=UTC)),
        ("2022-03-01T20:58:48+00:00", datetime(2022, 3, 1, 20, 58, 48, tzinfo=UTC)),
        ("2022-03-01T22:58:48+02:00", datetime(2022, 3, 1, 20, 58, 48, tzinfo=UTC)),
        ("2022-03-01T20:58:48", datetime(2022, 3, 1, 20, 58, 48, tzinfo=UTC)),
    ],
)
def test_published_reads_iso_8601_variants_as_utc(text: str, expected: datetime) -> None:
    assert parse_object(note(published=text)).published == expected


def test_tags_keep_mentions_hashtags_and_emoji_links() -> None:
    parsed = parse_object(
        note(
            tag=[
                {"type": "Mention", "href": ACTOR, "name": "@quiet-heron@kindred.example.test"},
                {"type": "Hashtag", "href": "https://peer.example.test/tags/care", "name": "#care"},
                {
                    "type": "Emoji",
                    "name": ":heart:",
                    "icon": {"type": "Image", "url": "https://peer.example.test/e/heart.png"},
                },
            ]
        )
    )
    assert parsed.mentions == (ACTOR,)
    assert [tag.kind for tag in parsed.tags] == ["Mention", "Hashtag", "Emoji"]
    assert parsed.tags[2].icon_url == "https://peer.example.test/e/heart.png"


def test_media_keeps_http_links_only_as_data() -> None:
    parsed = parse_object(
        note(
            attachment=[
                {"type": "Image", "url": "https://peer.example.test/a.png", "name": "alt text"},
                {"type": "Link", "href": "magnet:?xt=urn:btih:abc"},
                {"type": "PropertyValue", "name": "Blog", "value": "<a>x</a>"},
            ],
            image={"type": "Image", "url": "javascript:alert(1)"},
        )
    )
    assert [(a.url, a.name) for a in parsed.attachments] == [
        ("https://peer.example.test/a.png", "alt text")
    ]
    assert parsed.image_url is None


def test_public_key_list_prefers_the_actors_own_key() -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    other = {
        "id": "https://other.example.test/k",
        "owner": "https://other.example.test/",
        "publicKeyPem": pem,
    }
    own = {"id": ACTOR + "#main-key", "owner": ACTOR, "publicKeyPem": pem}
    parsed = parse_actor(person(publicKey=[other, own]))
    assert parsed.public_key is not None
    assert parsed.public_key.id == ACTOR + "#main-key"
    assert [key.id for key in parsed.public_keys] == [
        "https://other.example.test/k",
        ACTOR + "#main-key",
    ]


@pytest.mark.parametrize("kind", ["Person", "Group", "Application", "Service", "Organization"])
def test_every_actor_type_parses(kind: str) -> None:
    assert parse_actor(person(type=kind)).kind == kind


@pytest.mark.parametrize("kind", sorted(ACTIVITY_TYPES))
def test_every_handled_activity_type_parses(kind: str) -> None:
    parsed = parse_activity(activity(type=kind, object=NOTE_ID))
    assert parsed.kind == kind
    assert parsed.is_known


def test_emoji_react_carries_its_emoji() -> None:
    react = parse_activity(activity(type="EmojiReact", object=NOTE_ID, content="🫂"))
    assert react.reaction == "🫂"


def test_unknown_activity_without_object_parses() -> None:
    parsed = parse_activity(activity(type="Move", object=None))
    assert parsed.kind == "Move"
    assert parsed.object is None and parsed.objects == ()


# Hand-written documents: what cannot be used


def test_script_in_content_comes_out_inert() -> None:
    parsed = parse_object(
        note(
            content='<p onclick="x()">hi</p><script>alert(1)</script><a href="javascript:x()">l</a>'
        )
    )
    html = parsed.content_html.lower()
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert parsed.content_html.startswith("<p>hi</p>")


def test_reason_with_markup_is_plain_text() -> None:
    flag = parse_activity(activity(type="Flag", object=ACTOR, content="<b>spam</b> &amp; abuse"))
    assert flag.reason == "spam & abuse"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        pytest.param({"type": "Note", "attributedTo": ACTOR}, "id", id="missing-id"),
        pytest.param({"id": NOTE_ID, "attributedTo": ACTOR}, "type", id="missing-type"),
        pytest.param(note(id="ftp://peer.example.test/1"), "id", id="ftp-id"),
        pytest.param(note(id="urn:uuid:1b4e28ba-2fa1-11d2"), "id", id="urn-id"),
        pytest.param(note(id="javascript:alert(1)"), "id", id="javascript-id"),
        pytest.param(note(id="/notes/1"), "id", id="relative-id"),
        pytest.param(note(id="https://peer.example.test@evil.example.test/1"), "id", id="userinfo"),
        pytest.param(note(id="https://peer.example.test/a b"), "id", id="space-in-id"),
        pytest.param(note(id=42), "id", id="numeric-id"),
        pytest.param(note(content="x" * (MAX_CONTENT + 1)), "content", id="oversize-content"),
        pytest.param(note(name="n" * 1001), "name", id="oversize-name"),
        pytest.param(note(content="a\x00b"), "content", id="nul-in-content"),
        pytest.param(note(name="\ud800"), "name", id="lone-surrogate-in-name"),
        pytest.param(note(published="0001-01-01T00:00:00+01:00"), "published", id="date-overflow"),
        pytest.param(note(attributedTo=None), "attributedTo", id="post-without-author"),
        pytest.param(note(inReplyTo="javascript:alert(1)"), "inReplyTo", id="javascript-reply"),
        pytest.param(note(to=["https://a.example.test/"] * 1001), "to", id="too-many-addressees"),
        pytest.param(note(published="yesterday"), "published", id="bad-date"),
        pytest.param(note(sensitive="yes"), "sensitive", id="sensitive-not-bool"),
    ],
)
def test_unusable_object_is_refused_naming_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_object(document)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        pytest.param(activity(object=42), "object", id="object-is-a-number"),
        pytest.param(activity(object=None), "object", id="create-without-object"),
        pytest.param(activity(object=[ACTOR, 7]), "object[1]", id="number-in-object-list"),
        pytest.param(activity(actor=None), "actor", id="missing-actor"),
        pytest.param(activity(actor=[ACTOR, NOTE_ID]), "actor", id="two-actors"),
        pytest.param(activity(actor="javascript:alert(1)"), "actor", id="javascript-actor"),
        pytest.param(
            activity(object=note(content="x" * (MAX_CONTENT + 1))),
            "object.content",
            id="oversize-embedded-content",
        ),
        pytest.param(
            activity(type="Announce", object=activity(object=note(id="javascript:x"))),
            "object.object.id",
            id="bad-id-two-levels-down",
        ),
    ],
)
def test_unusable_activity_is_refused_naming_the_field(
    document: dict[str, Any], field: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_activity(document)
    assert caught.value.field == field


def test_nesting_beyond_the_limit_is_refused() -> None:
    nested: dict[str, Any] = activity(type="Like", object=NOTE_ID)
    for _ in range(6):
        nested = activity(type="Announce", object=nested)
    with pytest.raises(DocumentError, match="nested"):
        parse_activity(nested)


@pytest.mark.parametrize("document", [42, "https://peer.example.test/1", [note()], None])
def test_a_document_that_is_not_an_object_is_refused(document: object) -> None:
    with pytest.raises(DocumentError, match="document: expected a JSON object"):
        parse_document(document)


def test_actor_without_inbox_is_refused() -> None:
    with pytest.raises(DocumentError, match="inbox"):
        parse_actor(person(inbox=None))


def test_actor_parser_refuses_a_note() -> None:
    with pytest.raises(DocumentError, match="not an actor type"):
        parse_actor(note())


def test_malformed_public_key_names_the_key_field() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_actor(person(publicKey={"id": ACTOR + "#k", "owner": ACTOR, "publicKeyPem": "nope"}))
    assert caught.value.field == "publicKey.publicKeyPem"


def test_collection_reads_an_embedded_first_page_without_id() -> None:
    replies = parse_collection(
        {
            "id": NOTE_ID + "/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": NOTE_ID + "/replies?page=2",
                "partOf": NOTE_ID + "/replies",
                "items": [NOTE_ID + "/reply"],
            },
        }
    )
    assert replies.item_ids == (NOTE_ID + "/reply",)
    assert replies.next == NOTE_ID + "/replies?page=2"
    assert replies.first is None
