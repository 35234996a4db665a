"""A Lemmy request's fields: the query string of a GET, the JSON object of a POST or PUT.

Lemmy apps send more than Kindred reads (`auth` from older clients, `language_id`,
`show_nsfw`…): fields nobody reads are ignored, as Lemmy does. A field of the wrong type
is a 400 naming it; an id too large to exist is simply not found.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _, format_number
from forum.services import listings
from forum.services.threads import MAX_ID


class Fields:
    def __init__(self, data: Mapping[str, Any], *, from_query: bool) -> None:
        self._data = data
        self._from_query = from_query

    def present(self, name: str) -> bool:
        return self._data.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False) -> str:
        value = self._data.get(name)
        if value is None:
            if required:
                raise InvalidInputError(
                    _("The field %(name)s is required.", name=repr(name)), field=name
                )
            return ""
        if not isinstance(value, str):
            raise InvalidInputError(
                _("The field %(name)s must be a string.", name=repr(name)), field=name
            )
        if "\x00" in value or not _encodable(value):
            raise InvalidInputError(
                _("The field %(name)s holds characters that are not text.", name=repr(name)),
                field=name,
            )
        return value

    def number(self, name: str, *, low: int, high: int, default: int | None = None) -> int | None:
        value = self._data.get(name)
        if value is None or value == "":
            return default
        number = self._integer(name, value)
        if not low <= number <= high:
            raise InvalidInputError(
                _(
                    "The field %(name)s must be from %(low)s to %(high)s.",
                    name=repr(name),
                    low=format_number(low),
                    high=format_number(high),
                ),
                field=name,
            )
        return number

    def ident(self, name: str, *, zero: bool = False) -> int | None:
        """An id: absent is None; one that cannot exist, 404. With `zero`, 0 is one too
        (the stand-in person of `my_user`)."""
        value = self._data.get(name)
        if value is None or value == "":
            return None
        number = self._integer(name, value)
        if not (0 if zero else 1) <= number <= MAX_ID:
            raise NotFoundError()
        return number

    def required_ident(self, name: str) -> int:
        """An id that must be there: absent is a 400."""
        number = self.ident(name)
        if number is None:
            raise InvalidInputError(
                _("The field %(name)s is required.", name=repr(name)), field=name
            )
        return number

    def idents(self, name: str, *, most: int) -> list[int]:
        """A JSON list of ids (at most `most`); those that cannot exist are left out."""
        value = self._data.get(name)
        if value is None:
            return []
        if self._from_query or not isinstance(value, list) or len(value) > most:
            raise InvalidInputError(
                _(
                    "The field %(name)s must be a list of at most %(most)d ids.",
                    name=repr(name),
                    most=most,
                ),
                field=name,
            )
        numbers = [self._integer(name, item) for item in value]
        return [n for n in numbers if 0 < n <= MAX_ID]

    def flag(self, name: str) -> bool:
        value = self._data.get(name)
        if value is None or value == "":
            return False
        if value is True or value is False:
            return bool(value)
        # pythorhead sends some flags as Python writes them ("True"): taken as meant.
        if self._from_query and str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise InvalidInputError(
            _("The field %(name)s must be true or false.", name=repr(name)), field=name
        )

    def choice(
        self, name: str, choices: Mapping[str, object] | frozenset[str], default: str
    ) -> str:
        value = self.text(name) or default
        if value not in choices:
            raise InvalidInputError(
                _(
                    "The field %(name)s must be one of: %(choices)s.",
                    name=repr(name),
                    choices=", ".join(sorted(choices)),
                ),
                field=name,
            )
        return value

    def _integer(self, name: str, value: object) -> int:
        if (
            self._from_query
            and isinstance(value, str)
            and value.isascii()
            and value.lstrip("-").isdigit()
        ):
            if len(value) > 12:
                return MAX_ID + 1 if not value.startswith("-") else -1
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InvalidInputError(
            _("The field %(name)s must be a whole number.", name=repr(name)), field=name
        )


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


async def read_fields(request: Request) -> Fields:
    """The request's fields: its query string for GET, else its JSON object body."""
    if request.method == "GET":
        return Fields(request.query_params, from_query=True)
    raw = await request.body()
    if not raw.strip():
        return Fields({}, from_query=False)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInputError(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidInputError(_("The request body must be a JSON object."))
    return Fields(data, from_query=False)


def paging(fields: Fields, *, default_limit: int) -> listings.Paging:
    page = fields.number("page", low=1, high=listings.PAGE_MAX, default=1)
    cursor = fields.text("page_cursor")
    if cursor:
        # Our own next_page cursors are "p" and a page number.
        digits = cursor[1:]
        if not (
            cursor.startswith("p") and digits.isascii() and digits.isdigit() and len(digits) < 7
        ):
            raise InvalidInputError(_("That page cursor is not one of ours."), field="page_cursor")
        page = max(1, int(digits))
    limit = fields.number("limit", low=1, high=listings.LIMIT_MAX, default=default_limit)
    assert page is not None and limit is not None
    return listings.Paging(page, limit)
