"""Boards: creation by admins, who may see what, and joining (which makes a persona)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import account_cache, board_cache, invalidation, raw_sql
from forum.errors import (
    ConflictError,
    InvalidInputError,
    LoginRequiredError,
    NotAllowedError,
    NotFoundError,
)
from forum.i18n import _, format_number, lazy
from forum.models import Actor, Board, Membership, Persona
from forum.models.actor import ActorKind
from forum.models.board import FederationMode, MemberRole, PostingPolicy, Visibility
from forum.rendering import render_markdown
from forum.services.viewer import Viewer

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$")
E = TypeVar("E", bound=StrEnum)
RESERVED_SLUGS = frozenset({"new", "admin", "api", "static", "mod", "inbox", "outbox"})
# Safety first: a new board holds each new member's first two posts for a moderator.
DEFAULT_PREMOD = 2
# The board's moderation numbers: (what the admin reads, the largest sane value).
MODERATION_COUNTS = {
    "premod_count": (lazy("Pre-moderation"), 100),
    "remote_premod_count": (lazy("Pre-moderation of other servers' members"), 100),
    "auto_hide_reports": (lazy("Auto-hide after reports"), 100),
    "supporter_min_days": (lazy("Peer supporters' minimum account age in days"), 3650),
    "supporter_min_posts": (lazy("Peer supporters' minimum approved posts"), 10_000),
}
REMOVAL_REASONS_MAX = 30
REMOVAL_REASON_LENGTH = 200


@dataclass(frozen=True)
class BoardAccess:
    """A board as one viewer sees it."""

    board: Board
    membership: Membership | None
    persona: Persona | None
    is_admin: bool

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_moderator(self) -> bool:
        return self.is_admin or (
            self.membership is not None and self.membership.role == MemberRole.moderator
        )

    @property
    def can_read(self) -> bool:
        return self.board.visibility == Visibility.public or self.is_member or self.is_admin

    @property
    def must_hold(self) -> bool:
        """Pre-moderation: this member's posts wait for a moderator until N are approved."""
        return (
            self.membership is not None
            and not self.is_moderator
            and self.membership.approved_post_count < self.board.premod_count
        )

    def sees_held(self, author_id: int) -> bool:
        """A post held for review is seen by its author and the board's moderators only."""
        return self.is_moderator or (
            self.persona is not None and self.persona.actor_id == author_id
        )

    @property
    def can_reply(self) -> bool:
        return self.persona is not None

    @property
    def can_start_thread(self) -> bool:
        if self.persona is None:
            return False
        return self.board.posting_policy == PostingPolicy.members or self.is_moderator


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise InvalidInputError(
            _(
                "A board slug is 1 to 48 lower-case letters, digits and dashes "
                "(not starting or ending with a dash)."
            ),
            field="slug",
        )
    return slug


# Whole sentences per field, not a field name dropped into one: languages inflect the noun.
_TOO_LONG = {
    "title": lazy("The title is at most %(max)s characters."),
    "description": lazy("The description is at most %(max)s characters."),
    "rules": lazy("The rules is at most %(max)s characters."),
}


def _check_text(value: str, field: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:  # only the title is required
        raise InvalidInputError(_("The title is required."), field=field)
    if len(value) > limit:
        too_long = _TOO_LONG[field]
        raise InvalidInputError(too_long % {"max": format_number(limit)}, field=field)
    return value


def _enum(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(v) for v in kind)
        raise InvalidInputError(
            _("The %(field)s must be one of: %(choices)s.", field=field, choices=choices),
            field=field,
        ) from None


def _check_count(value: int, field: str) -> int:
    label, most = MODERATION_COUNTS[field]
    if not 0 <= value <= most:
        raise InvalidInputError(
            _(
                "%(setting)s is a whole number from 0 to %(max)s.",
                setting=label,
                max=format_number(most),
            ),
            field=field,
        )
    return value


def _check_removal_reasons(text: str) -> str:
    """One reason a line: blank lines and repeats dropped, each reason short."""
    reasons: list[str] = []
    for line in text.splitlines():
        reason = " ".join(line.split())
        if reason and reason not in reasons:
            reasons.append(reason)
    if len(reasons) > REMOVAL_REASONS_MAX:
        raise InvalidInputError(
            _(
                "A board has at most %(max)s removal reasons.",
                max=format_number(REMOVAL_REASONS_MAX),
            ),
            field="removal_reasons",
        )
    if any(len(r) > REMOVAL_REASON_LENGTH for r in reasons):
        raise InvalidInputError(
            _(
                "A removal reason is at most %(max)s characters.",
                max=format_number(REMOVAL_REASON_LENGTH),
            ),
            field="removal_reasons",
        )
    return "\n".join(reasons)


async def create_board(
    viewer: Viewer | None,
    *,
    slug: str,
    title: str,
    description: str = "",
    rules: str = "",
    visibility: str = "public",
    posting_policy: str = "members",
    federation: str = "off",
    theme: str | None = None,
    premod_count: int = DEFAULT_PREMOD,
) -> Board:
    """Create a board. `viewer=None` is the CLI, which acts with the operator's authority."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can create boards."))
    slug = check_slug(slug)
    title = _check_text(title, "title", 120, required=True)
    description = _check_text(description, "description", 5_000, required=False)
    rules = _check_text(rules, "rules", 10_000, required=False)
    vis = _enum(Visibility, visibility, "visibility")
    fed = _enum(FederationMode, federation, "federation")
    if vis != Visibility.public and fed != FederationMode.off:
        raise InvalidInputError(
            _("Only public boards can federate; members-only and private boards never do."),
            field="federation",
        )
    premod_count = _check_count(premod_count, "premod_count")
    if await Board.filter(slug=slug).exists():
        raise ConflictError(
            _("A board called %(slug)s exists already.", slug=repr(slug)), field="slug"
        )
    try:
        async with in_transaction():
            actor = await Actor.create(kind=ActorKind.group, username=slug, name=title)
            board = await Board.create(
                slug=slug,
                title=title,
                description_source=description,
                description_html=render_markdown(description),
                rules_source=rules,
                rules_html=render_markdown(rules),
                visibility=vis,
                posting_policy=_enum(PostingPolicy, posting_policy, "posting_policy"),
                federation=fed,
                theme=theme or None,
                premod_count=premod_count,
                actor=actor,
            )
    except IntegrityError:
        raise ConflictError(
            _("A board called %(slug)s exists already.", slug=repr(slug)), field="slug"
        ) from None
    # Inboxes remember a slug that had no board, too.
    await invalidation.announce(invalidation.BOARDS, slug)
    return board


async def update_board(
    viewer: Viewer | None,
    slug: str,
    *,
    title: str,
    description: str,
    rules: str,
    visibility: str,
    posting_policy: str,
    theme: str | None,
) -> Board:
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change boards."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    board.title = _check_text(title, "title", 120, required=True)
    board.description_source = _check_text(description, "description", 5_000, required=False)
    board.description_html = render_markdown(board.description_source)
    board.rules_source = _check_text(rules, "rules", 10_000, required=False)
    board.rules_html = render_markdown(board.rules_source)
    board.visibility = _enum(Visibility, visibility, "visibility")
    if board.visibility != Visibility.public:
        board.federation = FederationMode.off
    board.posting_policy = _enum(PostingPolicy, posting_policy, "posting_policy")
    board.theme = theme or None
    await board.save()
    await Actor.filter(id=board.actor_id).update(name=board.title)
    await invalidation.announce(invalidation.BOARDS, board.slug)
    return board


async def update_board_moderation(
    viewer: Viewer | None,
    slug: str,
    *,
    counts: dict[str, int | None],
    removal_reasons: str | None = None,
) -> Board:
    """Change the board's moderation settings (MODERATION_COUNTS); None leaves one as is."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change boards."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    changed: dict[str, object] = {}
    for field, value in counts.items():
        if field not in MODERATION_COUNTS:
            raise InvalidInputError(_("Unknown setting."), field=field)
        if value is not None:
            changed[field] = _check_count(value, field)
    if removal_reasons is not None:
        changed["removal_reasons"] = _check_removal_reasons(removal_reasons)
    # Every value is checked before any is written: bad input changes nothing.
    if changed:
        board.update_from_dict(changed)
        await board.save(update_fields=list(changed))
        # Caches of the board's row and its members' access (forum.account_cache) read
        # it again: pre-moderation and auto-hide go by these numbers.
        await invalidation.announce(invalidation.BOARDS, board.slug)
    return board


# Lazy: the command line prints it in English, pages in their language.
FEDERATION_WARNING = lazy(
    "Once a board federates, its posts are copied to other servers. Kindred asks them to "
    "delete copies when posts are deleted, but cannot force them to: remote copies cannot "
    "be recalled."
)


async def set_board_federation(
    viewer: Viewer | None, slug: str, mode: str, *, confirmed: bool
) -> Board:
    """Change a board's federation mode. Turning it on needs the admin's confirmation."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change federation."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    new = _enum(FederationMode, mode, "federation")
    if new != FederationMode.off and board.visibility != Visibility.public:
        raise InvalidInputError(
            _("Only public boards can federate; members-only and private boards never do."),
            field="federation",
        )
    if new != FederationMode.off and board.federation == FederationMode.off and not confirmed:
        raise InvalidInputError(
            _("%(warning)s Tick the box to confirm.", warning=FEDERATION_WARNING),
            field="confirm_federation",
        )
    board.federation = new
    await board.save(update_fields=["federation"])
    await invalidation.announce(invalidation.BOARDS, board.slug)
    return board


async def access_board(
    slug: str, viewer: Viewer, *, cached: bool = False, posting: bool = False
) -> BoardAccess:
    """The board as `viewer` sees it; NotFoundError alike for missing and hidden boards.
    With `cached`, the board may come from forum.board_cache: without its counters, for
    callers that show no numbers (replies, edits). `posting`: as access_for's."""
    if cached:
        board = await board_cache.by_slug(slug)
    else:
        changes = board_cache.changes()
        board = await Board.filter(slug=slug).first()
        if board is not None:
            board_cache.remember(board, changes)  # fresh: the next cached read takes it
    if board is None:
        raise NotFoundError()
    return await access_for(board, viewer, posting=posting)


@functools.cache
def _membership_sql() -> str:
    # Built on first use: the models' columns are known once Tortoise is initialised.
    # Column names come from the models; values go as parameters.
    return (
        f"SELECT {raw_sql.columns(Membership, 'm')}, {raw_sql.columns(Persona, 'p')},"  # noqa: S608
        f" {raw_sql.columns(Actor, 'a')} FROM membership m"
        " JOIN persona p ON p.id = m.persona_id JOIN actor a ON a.id = p.actor_id"
        " WHERE m.account_id = ? AND m.board_id = ? LIMIT 1"
    )


async def _membership(
    account_id: int, board_id: int, *, kept_from: int | None = None
) -> tuple[Membership | None, Persona | None]:
    """The account's membership in the board with its persona and that persona's actor,
    loaded as select_related would (on every board and thread page a member opens, so
    one plain query: forum.raw_sql). With `kept_from`, the row this process last read
    (forum.account_cache) if it holds one whose approved post count has reached
    `kept_from`: that count is not announced when it grows, but it only grows, so a row
    past a board's pre-moderation count decides as a fresh one would (0: any kept row,
    for reading)."""
    key = (account_id, board_id)
    row = account_cache.memberships.get(key) if kept_from is not None else None
    if row is not None and row["m__approved_post_count"] < (kept_from or 0):
        row = None  # below the count asked for: it may have grown since
    if row is None:
        changes = account_cache.memberships.changes()
        rows = await raw_sql.fetch(_membership_sql(), [account_id, board_id])
        if not rows:
            return None, None
        row = rows[0]
        account_cache.memberships.put(key, row, changes, owner=account_id)
    membership: Membership = raw_sql.load(Membership, row, "m")
    persona: Persona = raw_sql.load(Persona, row, "p")
    object.__setattr__(persona, "_actor", raw_sql.load(Actor, row, "a"))
    object.__setattr__(membership, "_persona", persona)
    return membership, persona


async def access_for(
    board: Board, viewer: Viewer, *, reading: bool = False, posting: bool = False
) -> BoardAccess:
    """Like access_board, for a board already loaded (e.g. joined onto a thread). A page
    that only reads (`reading`) may take the membership from forum.account_cache; a post
    (`posting`) may too once the member is past the board's pre-moderation."""
    membership: Membership | None = None
    persona: Persona | None = None
    if viewer.account is not None:
        kept_from = 0 if reading else board.premod_count if posting else None
        membership, persona = await _membership(viewer.account.id, board.id, kept_from=kept_from)
    access = BoardAccess(board, membership, persona, viewer.is_admin)
    if board.visibility == Visibility.private and not (access.is_member or access.is_admin):
        raise NotFoundError()
    return access


async def require_readable(slug: str, viewer: Viewer) -> BoardAccess:
    access = await access_board(slug, viewer)
    if not access.can_read:
        # A members-only board's content is hidden from outsiders like a missing page.
        raise NotFoundError()
    return access


async def list_boards(viewer: Viewer) -> list[Board]:
    """Boards `viewer` may know of: public and members-only ones, and private ones joined."""
    boards = await Board.all().order_by("title")
    if viewer.is_admin:
        return boards
    joined: set[int] = set()
    if viewer.account is not None:
        joined = set(
            await Membership.filter(account_id=viewer.account.id).values_list("board_id", flat=True)  # type: ignore[arg-type]
        )
    return [b for b in boards if b.visibility != Visibility.private or b.id in joined]


async def set_member_role(
    viewer: Viewer | None, slug: str, persona_name: str, role: str
) -> Membership:
    """The bare role change, for the operator and tests; admins in the browser go through
    moderation.roles, which adds the eligibility rules, the modlog and the member's notice."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change roles."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    membership = await membership_named(board, persona_name)
    if membership is None:
        raise NotFoundError(_("No member by that name in this board."))
    membership.role = _enum(MemberRole, role, "role")
    await membership.save(update_fields=["role"])
    await account_cache.account_changed(membership.account_id)
    await invalidation.announce(invalidation.THREADS)  # badges on cached thread pages
    return membership


async def membership_named(board: Board, persona_name: str) -> Membership | None:
    """The membership behind a persona's name in `board` (with persona and account)."""
    from forum.pseudonyms import name_key

    return (
        await Membership.filter(board_id=board.id, persona__name_key=name_key(persona_name))
        .select_related("persona__actor", "account")
        .first()
    )


def require_login(viewer: Viewer) -> None:
    if viewer.account is None:
        raise LoginRequiredError()
