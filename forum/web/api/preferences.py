"""The member's reading preferences, as on the account page: GET them, PATCH some of them.

The same service checks every value. The API itself hides nothing for them: answers carry
`content_note` and `muted`, and the app reading them folds or hides as these say.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import InvalidInputError
from forum.i18n import _
from forum.models import Account
from forum.services import boards, preferences
from forum.services.viewer import Viewer
from forum.web import openapi as doc
from forum.web.api.answers import json_answer
from forum.web.api.bodies import JsonBody, read_json
from forum.web.api.callers import load_member, load_writer

FIELDS = frozenset(
    {"theme", "content_notes", "mute_words", "mute_action", "time_zone", "hidden_boards"}
)
# More than the service allows, so that it says how many were too many.
LIST_MOST = 1000


async def _answer(viewer: Viewer, account: Account) -> JSONResponse:
    prefs = preferences.preferences_for(account)
    known = await boards.list_boards(viewer)
    return json_answer(
        {
            "theme": prefs.theme,
            "content_notes": prefs.content_notes,
            "mute_words": list(prefs.mute_words),
            "mute_action": prefs.mute_action,
            "time_zone": prefs.time_zone,
            # By slug, and only boards the member may still know of.
            "hidden_boards": [b.slug for b in known if b.id in prefs.hidden_boards],
            "theme_choices": preferences.theme_choices(),
        }
    )


async def get_preferences(request: Request) -> JSONResponse:
    viewer = await load_member(request)
    assert viewer.account is not None
    return await _answer(viewer, viewer.account)


def _mute_words(body: JsonBody, current: str) -> str:
    words = body.texts("mute_words", most=LIST_MOST)
    if words is None:
        return current
    if any("\n" in word or "\r" in word for word in words):
        raise InvalidInputError(_("Each muted word or phrase is one line."), field="mute_words")
    return "\n".join(words)


async def _hidden_boards(body: JsonBody, viewer: Viewer, current: str) -> list[int]:
    slugs = body.texts("hidden_boards", most=LIST_MOST)
    if slugs is None:
        return [int(i) for i in current.split() if i.isdigit()]
    known = {b.slug: b.id for b in await boards.list_boards(viewer)}
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise InvalidInputError(
            _("There is no board %(slug)s.", slug=repr(unknown[0][:50])), field="hidden_boards"
        )
    return [known[slug] for slug in slugs]


async def update_preferences(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, FIELDS)
    account = viewer.account
    assert account is not None

    def text(name: str) -> str:
        value = body.optional_text(name)
        return str(getattr(account, name)) if value is None else value

    await preferences.save_preferences(
        viewer,
        theme=text("theme"),
        content_notes=text("content_notes"),
        mute_words=_mute_words(body, account.mute_words),
        mute_action=text("mute_action"),
        time_zone=text("time_zone"),
        hidden_boards=await _hidden_boards(body, viewer, account.hidden_boards),
    )
    return await _answer(viewer, account)


PREFERENCES = {
    "theme": {
        **doc.STRING,
        "description": 'One of theme_choices; "" leaves it to the board or the site.',
    },
    "content_notes": {
        "enum": list(preferences.NOTE_CHOICES),
        "description": "What to do with posts that carry a content note.",
    },
    "mute_words": {
        "type": "array",
        "items": {**doc.STRING, "maxLength": preferences.MAX_MUTE_LENGTH},
        "maxItems": preferences.MAX_MUTE_WORDS,
        "description": "Words and phrases (whole words, any case) that mark a post muted.",
    },
    "mute_action": {"enum": list(preferences.MUTE_CHOICES)},
    "time_zone": {**doc.STRING, "description": "An IANA zone such as Europe/Paris, or UTC."},
    "hidden_boards": {
        "type": "array",
        "items": doc.STRING,
        "description": "Slugs of boards left off the home page.",
    },
}

doc.describe(
    {
        "/preferences": {
            "get": {
                "operationId": "getPreferences",
                "summary": "Your reading preferences",
                "security": [{"personalToken": []}, {"sessionCookie": []}],
                "responses": {
                    **doc.ok("Preferences", "Your preferences."),
                    **doc.errors("Unauthorized"),
                },
            },
            "patch": {
                "operationId": "updatePreferences",
                "summary": "Change some of your preferences (fields left out stay)",
                "security": doc.WRITE,
                "requestBody": doc.request_body("PreferencesChange"),
                "responses": {
                    **doc.ok("Preferences", "Your preferences, as saved."),
                    **doc.errors("BadRequest", "Unauthorized", "Forbidden", "TooLarge"),
                },
            },
        }
    },
    {
        "Preferences": doc.obj(
            {
                **PREFERENCES,
                "theme_choices": {
                    "type": "object",
                    "additionalProperties": doc.STRING,
                    "description": "Each theme you may choose, with its label.",
                },
            }
        ),
        "PreferencesChange": doc.obj(PREFERENCES, optional=tuple(PREFERENCES)),
    },
)
