"""Accounts without email: register (or apply), log in, recover, change passphrase, delete."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import account_cache, invalidation, raw_sql, tokens
from forum.errors import ConflictError, InvalidInputError, LoginRequiredError, NotAllowedError
from forum.events import AccountApplied, emit
from forum.handles import check_handle, handle_warnings, normalize_handle
from forum.i18n import N_, _, format_number
from forum.models import Account, ApiToken, Invite, Persona, RecoveryCode, Session, SiteSettings
from forum.models.account import AccountStatus, Role
from forum.models.site import RegistrationMode
from forum.passphrases import check_passphrase, dummy_hash, hash_passphrase, verify_passphrase
from forum.ratelimits import RateLimiter
from forum.services.invites import unexpired, use_invite
from forum.services.site import get_site_settings
from forum.services.viewer import Viewer
from forum.sqlite_client import on_worker_thread

RECOVERY_CODE_COUNT = 10
SESSION_DAYS = 30
# Marked with N_ for the catalogs, translated with _() where raised; plain str, as tests
# look for them in pages.
BAD_LOGIN = N_("That handle and passphrase do not match an account.")
# Said only to someone who gave the right passphrase (or a recovery code) for the handle.
WAITING = N_(
    "Your application is waiting for an admin. You can log in as soon as it is approved; "
    "please try again later."
)
# Likewise; neutral on purpose: the reason was told to the member by notice, if at all.
BARRED = N_(
    "This account cannot log in at the moment. If you think this is a mistake, "
    "write to the admins of this instance."
)
QUESTION_MAX = 300
ANSWER_MAX = 2_000


@dataclass
class Registration:
    account: Account
    recovery_codes: list[str]
    warnings: list[str] = field(default_factory=list)
    # Registration mode `approval`: the account waits for an admin and cannot log in yet.
    pending: bool = False


async def register(
    handle: str,
    passphrase: str,
    *,
    invite_code: str = "",
    answer: str = "",
    role: Role = Role.member,
    bypass_mode: bool = False,
    limiter: RateLimiter | None = None,
    client: str = "",
) -> Registration:
    """Create an account; `bypass_mode` is for the setup page and the CLI."""
    canonical = check_handle(handle)
    check_passphrase(passphrase, handle=canonical)
    invite: Invite | None = None
    pending = False
    if not bypass_mode:
        site = await get_site_settings()
        if site.registration_mode == RegistrationMode.closed:
            raise NotAllowedError(_("Registration is closed on this instance."))
        if site.registration_mode == RegistrationMode.invite:
            invite = await _usable_invite(invite_code)
        if site.registration_mode == RegistrationMode.approval:
            answer = _check_answer(answer)
            pending = True
        if limiter:
            await limiter.consume("register", client)
    if await Account.filter(handle=canonical).exists():
        raise ConflictError(_("That handle is taken; choose another."), field="handle")
    passphrase_hash = await hash_passphrase(passphrase)
    codes = [tokens.new_code() for _ in range(RECOVERY_CODE_COUNT)]
    try:
        async with in_transaction():
            if invite is not None:
                used = await use_invite(invite)
                if not used:
                    raise InvalidInputError(_("That invite code has been used."), field="invite")
            account = await Account.create(
                handle=canonical,
                passphrase_hash=passphrase_hash,
                role=role,
                status=AccountStatus.pending if pending else AccountStatus.active,
            )
            await RecoveryCode.bulk_create(
                [RecoveryCode(account=account, code_hash=tokens.digest(c)) for c in codes]
            )
            if pending:
                await emit(AccountApplied(account.id, answer))
    except IntegrityError:
        raise ConflictError(_("That handle is taken; choose another."), field="handle") from None
    return Registration(
        account=account,
        recovery_codes=codes,
        warnings=handle_warnings(handle),
        pending=pending,
    )


def _check_answer(answer: str) -> str:
    answer = answer.strip()
    if "\x00" in answer:
        raise InvalidInputError(
            _("The answer has a character that is not allowed."), field="answer"
        )
    if not answer:
        raise InvalidInputError(_("Please answer the question; an admin reads it."), field="answer")
    if len(answer) > ANSWER_MAX:
        raise InvalidInputError(
            _("An answer is at most %(max)s characters.", max=format_number(ANSWER_MAX)),
            field="answer",
        )
    return answer


def check_application_question(question: str) -> str:
    """The question applicants answer; empty puts back the default."""
    question = " ".join(question.split())
    if len(question) > QUESTION_MAX:
        raise InvalidInputError(
            _(
                "The application question is at most %(max)s characters.",
                max=format_number(QUESTION_MAX),
            ),
            field="application_question",
        )
    return question or SiteSettings().application_question  # the model's default


async def set_application_question(viewer: Viewer, question: str) -> None:
    if not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change instance settings."))
    await SiteSettings.filter(id=1).update(
        application_question=check_application_question(question)
    )
    await invalidation.announce(invalidation.SITE)


async def _usable_invite(code: str) -> Invite:
    invite = await Invite.filter(
        unexpired(),
        code_hash=tokens.digest(tokens.normalize_code(code)),
        board_id=None,
        used_at=None,
    ).first()
    if invite is None:
        raise InvalidInputError(
            _("Registration here needs an invite code from an admin."), field="invite"
        )
    return invite


async def authenticate(
    handle: str, passphrase: str, *, limiter: RateLimiter | None = None, client: str = ""
) -> Account:
    """The account for these credentials. Unknown handle and wrong passphrase look alike.

    Refused (429) per client and per (handle, client); per handle only slowed, so guesses
    from elsewhere never keep the owner out.
    """
    canonical = normalize_handle(handle)
    guesses = _Guesses(limiter, client, canonical, "login") if limiter else None
    if guesses:
        await guesses.start()
    account = await Account.filter(handle=canonical).first()
    encoded = account.passphrase_hash if account else dummy_hash()
    ok = await verify_passphrase(passphrase, encoded)
    if account is None or not ok:
        raise InvalidInputError(_(BAD_LOGIN))
    if guesses:
        await guesses.succeeded()
    if account.status == AccountStatus.pending:
        raise NotAllowedError(_(WAITING))
    if account_barred(account):
        raise NotAllowedError(_(BARRED))
    return account


@dataclass
class _Guesses:
    """One attempt at a passphrase or recovery code, counted per client, per (handle,
    client) and per handle before it is checked (so parallel attempts cannot all slip
    under a limit), and taken back if it turns out right."""

    limiter: RateLimiter
    client: str
    handle: str
    kind: str  # "login" or "recover": their counters are separate

    def _counted(self) -> list[tuple[str, str]]:
        pair = f"{self.handle}\n{self.client}"
        return [
            (f"{self.kind}_failure", self.client),
            (f"{self.kind}_pair_failure", pair),
            (f"{self.kind}_handle", self.handle),
        ]

    async def start(self) -> None:
        refused, pair_refused, slowed = self._counted()
        await self.limiter.check(*refused)
        await self.limiter.check(*pair_refused)
        await self.limiter.hit(*refused)
        await self.limiter.hit(*pair_refused)
        await self.limiter.slow_down(*slowed)

    async def succeeded(self) -> None:
        for action, subject in self._counted():
            await self.limiter.forgive(action, subject)


def account_barred(account: Account, now: datetime | None = None) -> bool:
    """An admin banned the account, or suspended it until a moment not yet passed."""
    if account.status == AccountStatus.banned:
        return True
    if account.status == AccountStatus.suspended:
        until = account.suspended_until
        return until is None or until > (now or datetime.now(UTC))
    return False


async def start_session(account: Account) -> str:
    token = tokens.new_token()
    await Session.create(
        token_hash=tokens.digest(token),
        account=account,
        expires_at=datetime.now(UTC) + timedelta(days=SESSION_DAYS),
    )
    return token


@functools.cache
def _session_account() -> str:
    # Built on first use: the models' columns are known once Tortoise is initialised.
    # Column names come from the model; values go as parameters.
    return (
        f"SELECT {raw_sql.columns(Account, 'a')}, s.expires_at FROM session s"  # noqa: S608
        " JOIN account a ON a.id = s.account_id WHERE s.token_hash = ? AND s.expires_at > ?"
        " LIMIT 1"
    )


async def account_for_session(token: str) -> Account | None:
    """The account behind a session cookie: on every page a member opens, so one plain
    query (forum.raw_sql), and none while this process holds the row (forum.account_cache:
    every change to the account or its sessions announces itself)."""
    digest, now = tokens.digest(token), datetime.now(UTC)
    row = account_cache.session_row(digest, now)
    if row is None:
        changes = account_cache.sessions.changes()
        rows = await raw_sql.fetch(_session_account(), [digest, now])
        if not rows:
            return None
        row = rows[0]
        expires_at = raw_sql.when(row["expires_at"])
        account_cache.sessions.put(digest, (row, expires_at), changes, owner=row["a__id"])
    account: Account = raw_sql.load(Account, row, "a")
    # Sessions are deleted when an admin bars an account; this covers any made since.
    return account if account is not None and not account_barred(account) else None


async def end_session(token: str) -> None:
    digest = tokens.digest(token)
    owners = await Session.filter(token_hash=digest).values_list("account_id", flat=True)
    await Session.filter(token_hash=digest).delete()
    for account_id in owners:
        await account_cache.account_changed(cast("int", account_id))


async def end_all_sessions(viewer: Viewer) -> int:
    account = _require(viewer)
    ended = await Session.filter(account_id=account.id).delete()
    await account_cache.account_changed(account.id)
    return ended


async def recover(
    handle: str,
    code: str,
    new_passphrase: str,
    *,
    limiter: RateLimiter | None = None,
    client: str = "",
) -> Account:
    """Set a new passphrase with a one-time recovery code; ends every other session."""
    canonical = normalize_handle(handle)
    guesses = _Guesses(limiter, client, canonical, "recover") if limiter else None
    check_passphrase(new_passphrase, handle=canonical)
    if guesses:
        await guesses.start()
    code_hash = tokens.digest(tokens.normalize_code(code))
    record = (
        await RecoveryCode.filter(code_hash=code_hash, account__handle=canonical)
        .select_related("account")
        .first()
    )
    if record is None:
        raise InvalidInputError(_("That handle and recovery code do not match."))
    if guesses:
        await guesses.succeeded()
    if record.account.status == AccountStatus.pending:
        raise NotAllowedError(_(WAITING))  # the code stays unused: it is needed later
    if account_barred(record.account):
        raise NotAllowedError(_(BARRED))
    new_hash = await hash_passphrase(new_passphrase)
    async with in_transaction():
        deleted = await RecoveryCode.filter(id=record.id).delete()
        if not deleted:
            raise InvalidInputError(_("That recovery code has been used."))
        await Account.filter(id=record.account.id).update(passphrase_hash=new_hash)
        await Session.filter(account_id=record.account.id).delete()
        await account_cache.account_changed(record.account.id)
    return record.account


async def confirm_passphrase(
    account: Account,
    passphrase: str,
    *,
    field: str,
    limiter: RateLimiter | None,
    session: str | None,
) -> None:
    """The signed-in person proves they know the passphrase (to change it, or to delete the
    account); wrong guesses are limited per session, never per account, so a stolen
    session cannot lock the owner out."""
    subject = f"{account.id}:{tokens.digest(session) if session else ''}"
    if limiter:
        await limiter.check("reauth_failure", subject)
    if not await verify_passphrase(passphrase, account.passphrase_hash):
        if limiter:
            await limiter.hit("reauth_failure", subject)
        raise InvalidInputError(_("Your current passphrase is not right."), field=field)


async def change_passphrase(
    viewer: Viewer,
    current: str,
    new: str,
    *,
    keep_session: str | None = None,
    limiter: RateLimiter | None = None,
) -> int:
    """Set a new passphrase and end every session of the account but `keep_session` (the
    token of the one making the change). Personal API tokens are kept: each was made on
    purpose and is listed, with a revoke button, on the account page. The number of
    sessions ended."""
    account = _require(viewer)
    await confirm_passphrase(
        account, current, field="current", limiter=limiter, session=keep_session
    )
    check_passphrase(new, handle=account.handle)
    new_hash = await hash_passphrase(new)
    kept = tokens.digest(keep_session) if keep_session else ""
    async with in_transaction():
        await Account.filter(id=account.id).update(passphrase_hash=new_hash)
        ended = await Session.filter(account_id=account.id).exclude(token_hash=kept).delete()
        await account_cache.account_changed(account.id)
    account.passphrase_hash = new_hash
    return ended


async def new_recovery_codes(viewer: Viewer) -> list[str]:
    """Replace every recovery code with ten new ones, shown once."""
    account = _require(viewer)
    codes = [tokens.new_code() for _ in range(RECOVERY_CODE_COUNT)]
    async with in_transaction():
        await RecoveryCode.filter(account_id=account.id).delete()
        await RecoveryCode.bulk_create(
            [RecoveryCode(account_id=account.id, code_hash=tokens.digest(c)) for c in codes]
        )
    return codes


async def remaining_recovery_codes(viewer: Viewer) -> int:
    account = _require(viewer)
    return await RecoveryCode.filter(account_id=account.id).count()


async def create_api_token(viewer: Viewer, name: str) -> str:
    account = _require(viewer)
    name = name.strip() or "token"
    if len(name) > 64:
        raise InvalidInputError(_("A token name is at most 64 characters."), field="name")
    token = tokens.new_token()
    await ApiToken.create(token_hash=tokens.digest(token), name=name, account=account)
    return token


@functools.cache
def _token_account() -> str:
    return (
        f"SELECT {raw_sql.columns(Account, 'a')} FROM api_token t"  # noqa: S608
        " JOIN account a ON a.id = t.account_id WHERE t.token_hash = ? LIMIT 1"
    )


async def account_for_api_token(token: str) -> Account | None:
    """The account behind an API token, kept in memory as sessions are (every deletion of
    a token and every change to its account announces itself); a barred account is
    refused on every use."""
    digest = tokens.digest(token)
    row = account_cache.api_tokens.get(digest)
    if row is None:
        changes = account_cache.api_tokens.changes()
        rows = await raw_sql.fetch(_token_account(), [digest])
        if not rows:
            return None
        row = rows[0]
        account_cache.api_tokens.put(digest, row, changes, owner=row["a__id"])
    account: Account = raw_sql.load(Account, row, "a")
    return account if not account_barred(account) else None


async def list_api_tokens(viewer: Viewer) -> list[ApiToken]:
    account = _require(viewer)
    return await ApiToken.filter(account_id=account.id).order_by("created_at")


async def revoke_api_token(viewer: Viewer, token_id: int) -> None:
    account = _require(viewer)
    if await ApiToken.filter(id=token_id, account_id=account.id).delete():
        await account_cache.account_changed(account.id)  # refused on its next use


async def delete_account(
    viewer: Viewer,
    passphrase: str,
    *,
    erase_posts: bool,
    limiter: RateLimiter | None = None,
    session: str | None = None,
) -> None:
    """Delete the account. Posts are erased, or kept with their author shown as [deleted].

    Either way every persona is cut from the account and renamed, so nothing left behind
    points back to it.
    """
    from forum.services.personas import retire_persona  # personas import accounts' helpers

    account = _require(viewer)
    await confirm_passphrase(
        account, passphrase, field="passphrase", limiter=limiter, session=session
    )
    if account.role == Role.admin and await Account.filter(role=Role.admin).count() == 1:
        raise NotAllowedError(_("You are the only admin; make another admin first."))
    # Every post of every persona may be rewritten: on SQLite, off the event loop.
    with on_worker_thread():
        async with in_transaction():
            for persona in await Persona.filter(account_id=account.id):
                await retire_persona(persona, erase_posts=erase_posts)
            await account.delete()
            await account_cache.account_changed(account.id)


def _require(viewer: Viewer) -> Account:
    if viewer.account is None:
        raise LoginRequiredError()
    return viewer.account
