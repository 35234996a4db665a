"""GET /api/v3/site: the instance as Lemmy apps read it, and the caller's own `my_user`.

Kindred has no account-wide public person: a member is a different persona in each board.
`my_user` therefore describes the account to itself alone with a stand-in person (id 0,
named by the private handle, never shown to anyone else). Which person the account is in
each community is told in `follows` (and `moderates`): each lists the community with the
account's persona there, so an app that wants to know whether a post is the member's own
compares its creator with the follower of that post's community. This answer goes only to
the account itself, which may know its own personas. Admins are not listed (`admins` is
empty): their personas must stay unlinkable like anyone's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.models import Account, Board, Membership, SiteSettings
from forum.models.account import Role
from forum.models.board import MemberRole
from forum.models.site import InstanceFederation, RegistrationMode
from forum.ratelimits import RateLimiter
from forum.services import boards as board_service
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.lemmy.auth import load_caller
from forum.web.lemmy.errors import lemmy_view
from forum.web.lemmy.inputs import read_fields
from forum.web.lemmy.languages import all_languages, offered
from forum.web.lemmy.views import Json, Shapes, shapes_for, when
from forum.web.state import app_state

VERSION = "0.19.9-kindred"
SITE_ID = 1
# Kindred keeps no creation time for the instance; Lemmy's fields need one.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Invite mode shows as "RequireApplication" so that apps offer the answer field, where
# a member types the invitation code (forum.web.lemmy.auth.register reads it there).
REGISTRATION_MODES = {
    RegistrationMode.open: "Open",
    RegistrationMode.approval: "RequireApplication",
    RegistrationMode.invite: "RequireApplication",
    RegistrationMode.closed: "Closed",
}
INVITE_QUESTION = "Registration here needs an invitation code: type it as your answer."


def site_json(shapes: Shapes, site: SiteSettings) -> Json:
    return {
        "id": SITE_ID,
        "name": site.name,
        "sidebar": None,
        "published": when(EPOCH),
        "updated": None,
        "icon": None,
        "banner": None,
        "description": None,
        "actor_id": shapes.url("/actor"),
        "last_refreshed_at": when(EPOCH),
        "inbox_url": shapes.url("/inbox"),
        "public_key": "",
        "instance_id": 1,
        "content_warning": None,
    }


def local_site_json(shapes: Shapes, site: SiteSettings, has_admin: bool) -> Json:
    question = None
    if site.registration_mode == RegistrationMode.approval:
        question = site.application_question
    elif site.registration_mode == RegistrationMode.invite:
        question = INVITE_QUESTION
    return {
        "id": SITE_ID,
        "site_id": SITE_ID,
        "site_setup": has_admin,
        "enable_downvotes": False,
        "enable_nsfw": False,
        "community_creation_admin_only": True,
        "require_email_verification": False,
        "application_question": question,
        "private_instance": False,
        "default_theme": "browser",
        "default_post_listing_type": "Local",
        "legal_information": None,
        "hide_modlog_mod_names": not site.modlog_show_moderator,
        "application_email_admins": False,
        "slur_filter_regex": None,
        "actor_name_max_length": 64,
        "federation_enabled": site.federation != InstanceFederation.off,
        "captcha_enabled": False,
        "captcha_difficulty": "medium",
        "published": when(EPOCH),
        "updated": None,
        "registration_mode": REGISTRATION_MODES[site.registration_mode],
        "reports_email_admins": False,
        "federation_signed_fetch": shapes.settings.authorized_fetch,
        "default_post_listing_mode": "List",
        "default_sort_type": "Active",
    }


def rate_limit_json(limiter: RateLimiter) -> Json:
    def pair(name: str, action: str) -> Json:
        limit = limiter.limits.get(action)
        return {
            name: limit.count if limit else 0,
            f"{name}_per_second": limit.seconds if limit else 0,
        }

    return {
        "local_site_id": SITE_ID,
        **pair("message", "message"),
        **pair("post", "thread"),
        **pair("register", "register"),
        **pair("image", "image"),
        **pair("comment", "reply"),
        **pair("search", "search"),
        **pair("import_user_settings", "import_user_settings"),
        "published": when(EPOCH),
        "updated": None,
    }


def account_person(shapes: Shapes, account: Account) -> Json:
    """The stand-in person of `my_user`: shown to the account itself only."""
    return {
        "id": 0,
        "name": account.handle,
        "display_name": None,
        "avatar": None,
        "banned": False,
        "published": when(EPOCH),
        "updated": None,
        "actor_id": shapes.url("/account"),
        "bio": None,
        "local": True,
        "banner": None,
        "deleted": False,
        "matrix_user_id": None,
        "bot_account": False,
        "ban_expires": None,
        "instance_id": 1,
    }


async def my_user_json(shapes: Shapes, viewer: Viewer) -> Json:
    account = viewer.account
    assert account is not None
    me = account_person(shapes, account)
    memberships = await Membership.filter(account_id=account.id).select_related(
        "board", "persona__actor"
    )
    memberships.sort(key=lambda m: m.board.title.casefold())
    await give_numbers([m.persona.actor for m in memberships])
    persons = {m.id: shapes.person(m.persona.actor, m.board) for m in memberships}
    return {
        "local_user_view": {
            "local_user": {
                "id": 0,
                "person_id": 0,
                "email": None,
                "show_nsfw": False,
                "theme": "browser",
                "default_sort_type": "Active",
                "default_listing_type": "Local",
                "interface_language": "browser",
                "show_avatars": True,
                "send_notifications_to_email": False,
                "show_scores": True,
                "show_bot_accounts": True,
                "show_read_posts": True,
                "email_verified": False,
                "accepted_application": True,
                "open_links_in_new_tab": False,
                "blur_nsfw": True,
                "auto_expand": False,
                "infinite_scroll_enabled": False,
                "admin": account.role == Role.admin,
                "post_listing_mode": "List",
                "totp_2fa_enabled": False,
                "enable_keyboard_navigation": False,
                "enable_animated_images": True,
                "collapse_bot_comments": False,
            },
            "local_user_vote_display_mode": {
                "local_user_id": 0,
                "score": True,
                "upvotes": True,
                "downvotes": False,
                "upvote_percentage": False,
            },
            "person": me,
            "counts": {"person_id": 0, "post_count": 0, "comment_count": 0},
        },
        "follows": [
            {"community": shapes.community(m.board), "follower": persons[m.id]} for m in memberships
        ],
        "moderates": [
            {"community": shapes.community(m.board), "moderator": persons[m.id]}
            for m in memberships
            if m.role == MemberRole.moderator
        ],
        "community_blocks": [],
        "instance_blocks": [],
        "person_blocks": [],
        "discussion_languages": list(offered()),
    }


@lemmy_view()
async def get_site(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    state = app_state(request)
    site = await state.site()
    shapes = await shapes_for(request)
    listed: list[Board] = await board_service.list_boards(viewer)
    has_admin = await Account.filter(role=Role.admin).exists()
    users = await Account.all().count() if site.show_usage else 0
    answer: Json = {
        "site_view": {
            "site": site_json(shapes, site),
            "local_site": local_site_json(shapes, site, has_admin),
            "local_site_rate_limit": rate_limit_json(state.limiter),
            "counts": {
                "site_id": SITE_ID,
                "users": users,
                "posts": sum(b.thread_count for b in listed),
                "comments": sum(max(0, b.post_count - b.thread_count) for b in listed),
                "communities": len(listed),
                "users_active_day": 0,
                "users_active_week": 0,
                "users_active_month": 0,
                "users_active_half_year": 0,
            },
        },
        "admins": [],
        "version": VERSION,
        "all_languages": all_languages(),
        "discussion_languages": list(offered()),
        "taglines": [],
        "custom_emojis": [],
        "blocked_urls": [],
    }
    if viewer.account is not None:
        answer["my_user"] = await my_user_json(shapes, viewer)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
