"""Reading a request's JSON body, field by field, like forum.web.forms.Form reads a form."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from forum.errors import InvalidInputError
from forum.i18n import _, format_number
from forum.services.threads import MAX_ID


class JsonBody:
    """A request's JSON object, read field by field like forum.web.forms.Form."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def text(self, name: str, *, required: bool = True) -> str:
        value = self._data.get(name)
        if value is None:
            if required:
                raise InvalidInputError(
                    _("The field %(name)s is required.", name=repr(name)), field=name
                )
            return ""
        return _text(name, value)

    def optional_text(self, name: str) -> str | None:
        """The field's text, or None when it is absent or null (PATCH: leave it as it is)."""
        return None if self._data.get(name) is None else self.text(name)

    def texts(self, name: str, *, most: int) -> list[str] | None:
        """A list of strings (at most `most`), or None when the field is absent or null."""
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) > most:
            raise InvalidInputError(
                _(
                    "The field %(name)s must be a list of at most %(most)s strings.",
                    name=repr(name),
                    most=format_number(most),
                ),
                field=name,
            )
        return [_text(name, item) for item in value]

    def flag(self, name: str) -> bool:
        """A true/false field; absent or null is false."""
        value = self._data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise InvalidInputError(
                _("The field %(name)s must be true or false.", name=repr(name)), field=name
            )
        return value

    def number(self, name: str) -> int | None:
        value = self._data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise InvalidInputError(
                _("The field %(name)s must be a post number.", name=repr(name)), field=name
            )
        return value


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(
            _("The field %(name)s must be a string.", name=repr(name)), field=name
        )
    # Only JSON can spell lone surrogates, which no database driver can encode; NUL
    # PostgreSQL text cannot hold (the services do not reject it yet).
    if "\x00" in value or not _encodable(value):
        raise InvalidInputError(
            _("The field %(name)s holds characters that are not text.", name=repr(name)), field=name
        )
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


async def read_json(
    request: Request, fields: frozenset[str], *, empty_ok: bool = False
) -> JsonBody:
    """The body as a JSON object with no field outside `fields` (400 otherwise); with
    `empty_ok`, no body at all reads as {}."""
    raw = await request.body()
    if empty_ok and not raw.strip():
        return JsonBody({})
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInputError(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidInputError(_("The request body must be a JSON object."))
    for name in data:
        if name not in fields:
            raise InvalidInputError(_("Unknown field %(name)s.", name=repr(name)), field=str(name))
    return JsonBody(data)
