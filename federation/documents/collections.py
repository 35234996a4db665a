"""Collections: a group's moderators, followers, featured posts, an actor's outbox."""

from __future__ import annotations

from dataclasses import dataclass

from federation.documents.activities import Embedded, embedded_id, parse_embedded
from federation.documents.values import (
    MAX_LIST,
    Doc,
    DocumentError,
    as_doc,
    first_id,
    ids,
    optional_id,
    require_id,
    type_of,
)

COLLECTION_TYPES = frozenset(
    {"Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"}
)


@dataclass(frozen=True, slots=True)
class CollectionDoc:
    id: str
    kind: str  # one of COLLECTION_TYPES
    total_items: int | None
    # This page's items: ids, or embedded documents parsed like an activity's object.
    items: tuple[Embedded, ...]
    first: str | None  # the first page, when the items are paged
    next: str | None

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(embedded_id(item) for item in self.items)


def parse_collection(doc: object) -> CollectionDoc:
    collection = as_doc(doc)
    kind = type_of(collection)
    if kind not in COLLECTION_TYPES:
        raise DocumentError("type", f"{kind!r} is not a collection type")
    total = collection.get("totalItems")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        raise DocumentError("totalItems", "expected a count")
    collection_id = require_id(collection)
    items = _page_items(collection)
    first = collection.get("first")
    next_page = optional_id(collection, "next")
    if isinstance(first, dict) and first.get("id") is None:
        # Mastodon embeds the first page of `replies` without an id: read it in place.
        try:
            items = items or _page_items(first)
            next_page = next_page or optional_id(first, "next")
        except DocumentError as exc:
            raise exc.within("first") from None
        first = None
    return CollectionDoc(
        id=collection_id,
        kind=kind,
        total_items=total,
        items=items,
        first=first_id(first, "first"),
        next=next_page,
    )


def _page_items(page: Doc) -> tuple[Embedded, ...]:
    field = "orderedItems" if "orderedItems" in page else "items"
    return _items(page.get(field), field)


def _items(value: object, field: str) -> tuple[Embedded, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        value = [value]
    if len(value) > MAX_LIST:
        raise DocumentError(field, f"more than {MAX_LIST} entries")
    found: list[Embedded] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if isinstance(item, dict) and item.get("type") is not None:
            try:
                found.append(parse_embedded(item, depth=1))
            except DocumentError as exc:
                raise exc.within(where) from None
        else:
            found.extend(ids(item, where))
    return tuple(found)
