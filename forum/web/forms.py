"""Form parsing for views: CSRF check first, then plain string fields."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request

from forum.errors import ForumError, InvalidInputError
from forum.i18n import _
from forum.web.cookies import csrf_token_valid

MAX_FIELDS = 50


class CsrfError(ForumError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            _(
                "This form has expired or came from another site. Go back, reload the page "
                "and try again."
            )
        )


class Form:
    def __init__(self, data: FormData) -> None:
        self._data = data

    def text(self, name: str, default: str = "") -> str:
        value = self._data.get(name, default)
        if not isinstance(value, str):
            raise InvalidInputError(_("The field '%(name)s' must be text.", name=name), field=name)
        return value

    def flag(self, name: str) -> bool:
        return self.text(name) in {"on", "1", "true", "yes"}

    def integer(self, name: str, default: int | None = None) -> int | None:
        raw = self.text(name).strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise InvalidInputError(
                _("The field '%(name)s' must be a number.", name=name), field=name
            ) from None

    def values(self) -> dict[str, str]:
        # Typed passphrases are never put back into a page; other fields (a passage) are.
        return {k: v for k, v in self._data.items() if isinstance(v, str) and "passphrase" not in k}


async def read_form(request: Request) -> Form:
    """The submitted form, after checking its CSRF token (403 when missing or wrong)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise CsrfError()
    data = await request.form(max_files=0, max_fields=MAX_FIELDS)
    submitted = data.get("csrf_token", "")
    if not isinstance(submitted, str) or not csrf_token_valid(request, submitted):
        raise CsrfError()
    return Form(data)
