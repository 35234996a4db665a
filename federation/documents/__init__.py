"""Inbound ActivityPub documents: untrusted JSON in, small frozen dataclasses out.

Every parser is pure: it reads the already decoded JSON it is given and never fetches
anything, so an id in a document is only ever a string here. Remote HTML comes out
sanitized; ids are absolute http(s) URLs; oversize text and malformed values raise
DocumentError naming the field (e.g. "object.content: longer than 100000 bytes").

    activity = parse_activity(json.loads(body))
    if activity.kind == "Create" and isinstance(activity.object, ObjectDoc): ...
"""

from __future__ import annotations

from federation.documents.activities import (
    ACTIVITY_TYPES,
    ActivityDoc,
    Embedded,
    embedded_id,
    is_activity,
    parse_activity,
)
from federation.documents.actors import ACTOR_TYPES, ActorDoc, PublicKey, parse_actor
from federation.documents.collections import COLLECTION_TYPES, CollectionDoc, parse_collection
from federation.documents.content import Source
from federation.documents.media import Attachment, Tag
from federation.documents.objects import POST_TYPES, ObjectDoc, ObjectRole, parse_object
from federation.documents.values import (
    MAX_CONTENT,
    MAX_ID,
    MAX_NAME,
    PUBLIC,
    DocumentError,
    as_doc,
    first_id,
    ids,
    type_of,
)

__all__ = [
    "ACTIVITY_TYPES",
    "ACTOR_TYPES",
    "COLLECTION_TYPES",
    "MAX_CONTENT",
    "MAX_ID",
    "MAX_NAME",
    "POST_TYPES",
    "PUBLIC",
    "ActivityDoc",
    "ActorDoc",
    "Attachment",
    "CollectionDoc",
    "DocumentError",
    "Embedded",
    "ObjectDoc",
    "ObjectRole",
    "PublicKey",
    "Source",
    "Tag",
    "embedded_id",
    "first_id",
    "ids",
    "parse_activity",
    "parse_actor",
    "parse_collection",
    "parse_document",
    "parse_object",
]


def parse_document(doc: object) -> ActivityDoc | ObjectDoc | ActorDoc | CollectionDoc:
    """Any top-level document, by its type (e.g. the answer to a fetch of an id)."""
    found = as_doc(doc)
    kind = type_of(found)
    if kind in ACTOR_TYPES:
        return parse_actor(found)
    if kind in COLLECTION_TYPES:
        return parse_collection(found)
    if is_activity(found):
        return parse_activity(found)
    return parse_object(found)
