"""Preview on the compose pages: the body rendered as it would be posted, nothing written.

A form's second button (`name="preview"`) asks for it. The view then answers with its own
page again, the typed text kept and the body rendered by the same renderer as posting, so
it works without JavaScript. Nothing is created and no content check runs (no queue item,
no event); the one-time form token is not spent either (see forum/web/form_tokens.py).
"""

from __future__ import annotations

from forum.errors import InvalidInputError
from forum.i18n import _, format_number
from forum.rendering import render_markdown
from forum.services.threads import BODY_MAX
from forum.web.forms import Form

FIELD = "preview"


def wants_preview(form: Form) -> bool:
    return form.flag(FIELD)


def preview_html(form: Form) -> str:
    """The body as readers would see it (sanitized HTML); a 400 beyond the posting limit,
    so a preview never renders more than a post may hold."""
    body = form.text("body")
    if len(body) > BODY_MAX:
        raise InvalidInputError(
            _("A post is at most %(num)s characters.", num=format_number(BODY_MAX)), field="body"
        )
    return render_markdown(body)
