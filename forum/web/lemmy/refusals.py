"""What Lemmy has and Kindred does not: each answers with a clear sentence (and, where
an app polls it, with an empty list rather than an error)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.i18n import N_, _
from forum.web.api.answers import json_answer
from forum.web.lemmy.errors import error_answer

MENTOR_LINKS = N_(
    "Kindred has private messages only inside a mentor link with a peer supporter you "
    "chose, on the board's Mentors page; they are not offered to apps."
)
REFUSED: dict[str, tuple[str, str, int]] = {
    "/private_message": ("private_messages_disabled", MENTOR_LINKS, 403),
    "/site/block": (
        "not_supported",
        N_(
            "Kindred members cannot block whole instances; this server's admins decide "
            "which servers it talks to."
        ),
        400,
    ),
    "/post/like/list": (
        "not_supported",
        N_("Kindred does not show who gave a reaction."),
        403,
    ),
    "/comment/like/list": (
        "not_supported",
        N_("Kindred does not show who gave a reaction."),
        403,
    ),
    "/user/block": (
        "not_supported",
        N_(
            "Kindred has no blocking of members: mute words in your preferences on the web,"
            " and report anyone who harms you."
        ),
        400,
    ),
    "/community/block": (
        "not_supported",
        N_("Hide a board from your lists in your preferences on the web, or unfollow it."),
        400,
    ),
    "/comment/distinguish": (
        "not_supported",
        N_(
            "Kindred marks a moderator's posts with their team badge "
            "(creator_is_moderator); there is nothing more to distinguish."
        ),
        400,
    ),
    "/community/mod": (
        "not_supported",
        N_("Moderators are appointed on the board's team page on the web."),
        403,
    ),
    "/admin/add": (
        "not_supported",
        N_("Admins are made on the server, with the `kindred` command line."),
        403,
    ),
    "/community/transfer": (
        "not_supported",
        N_("Boards have no owner to transfer; admins manage them on the web."),
        403,
    ),
    "/post/site_metadata": (
        "not_supported",
        N_("Kindred fetches no other sites' pages for apps."),
        400,
    ),
}


async def refused(request: Request) -> Response:
    code, message, status = REFUSED[request.url.path.removeprefix(request.scope["root_path"])]
    return error_answer(code, _(message), status)


async def no_private_messages(request: Request) -> Response:
    """Apps poll the list for their inbox: it is simply empty."""
    return json_answer({"private_messages": []})


async def no_message_reports(request: Request) -> Response:
    """Moderators' apps poll reports of private messages: there are none to list here
    (mentor messages are reported on the web, into the moderators' queue)."""
    return json_answer({"private_message_reports": []})
