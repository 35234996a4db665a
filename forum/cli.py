"""The `kindred` command: init, serve, migrate, boards, invites and admins."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from forum import __version__, log_records
from forum.db import (
    apply_migrations,
    close_database,
    init_database,
    open_database,
    pending_migrations,
)
from forum.errors import ConfigError, ForumError
from forum.files import write_private_file
from forum.services.boards import DEFAULT_PREMOD, FEDERATION_WARNING
from forum.settings import Settings, load_settings, remember_served_url, served_url

EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_INPUT = 4
MAX_WEB_PROCESSES = 64


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _say(message: str) -> None:
    print(message, flush=True)


def _read_passphrase_file(path: str) -> str:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise CliError(f"Cannot read the passphrase file {path}: {exc.strerror}.") from None
    passphrase = text.rstrip("\r\n")
    if not passphrase:
        raise CliError(f"The passphrase file {path} is empty.")
    return passphrase


async def _with_db(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    await open_database(settings)
    try:
        await work()
    finally:
        await close_database()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    _say(f"Migrating {_describe_db(settings)} ...")
    applied = asyncio.run(apply_migrations(settings, progress=lambda line: _say("  " + line)))
    _say(f"Done: {len(applied)} migration(s) applied." if applied else "Already up to date.")


def cmd_init(settings: Settings, args: argparse.Namespace) -> None:
    """Set up the data dir and database, and optionally the first admin."""
    _say(f"Data directory: {settings.data_dir}")
    cmd_migrate(settings, args)
    if args.admin:
        if not args.admin_passphrase_file:
            raise CliError("--admin needs --admin-passphrase-file PATH.", EXIT_USAGE)
        _create_admin(settings, args.admin, _read_passphrase_file(args.admin_passphrase_file))


def cmd_admin_create(settings: Settings, args: argparse.Namespace) -> None:
    _create_admin(settings, args.handle, _read_passphrase_file(args.passphrase_file))


def _create_admin(settings: Settings, handle: str, passphrase: str) -> None:
    from forum.models.account import Role
    from forum.services.accounts import register

    async def work() -> None:
        result = await register(handle, passphrase, role=Role.admin, bypass_mode=True)
        _say(f"Admin {result.account.handle!r} created. Recovery codes (shown once):")
        for code in result.recovery_codes:
            _say(f"  {code}")

    asyncio.run(_with_db(settings, work))


def cmd_board_create(settings: Settings, args: argparse.Namespace) -> None:
    from forum.services.boards import create_board

    async def work() -> None:
        board = await create_board(
            None,
            slug=args.slug,
            title=args.title,
            description=args.description,
            rules=args.rules,
            visibility=args.visibility,
            posting_policy=args.posting_policy,
            federation=args.federation,
            premod_count=args.premod,
        )
        _say(f"Board {board.slug!r} created: {settings.public_url}/b/{board.slug}")
        _say(_premod_sentence(board.premod_count))
        if board.federation != "off":
            _say(f"Federation: {board.federation}. {FEDERATION_WARNING}")

    asyncio.run(_with_db(settings, work))


def _premod_sentence(count: int) -> str:
    if count == 0:
        return "Pre-moderation: off (new members' posts appear at once)."
    return f"Pre-moderation: each new member's first {count} post(s) wait for a moderator."


def cmd_board_update(settings: Settings, args: argparse.Namespace) -> None:
    from forum.services.boards import (
        set_board_federation,
        update_board,
        update_board_moderation,
    )

    async def work() -> None:
        from forum.models import Board

        board = await Board.filter(slug=args.slug).first()
        if board is None:
            raise CliError(f"No board called {args.slug!r}.")
        if any(v is not None for v in (args.title, args.visibility, args.posting_policy)):
            board = await update_board(
                None,
                args.slug,
                title=args.title or board.title,
                description=board.description_source,
                rules=board.rules_source,
                visibility=args.visibility or board.visibility,
                posting_policy=args.posting_policy or board.posting_policy,
                theme=board.theme,
            )
        if args.federation is not None:
            if args.federation != "off" and board.federation == "off" and not args.yes:
                raise CliError(f"{FEDERATION_WARNING} Add --yes to confirm.", EXIT_USAGE)
            board = await set_board_federation(None, args.slug, args.federation, confirmed=True)
        if args.premod is not None:
            board = await update_board_moderation(
                None, args.slug, counts={"premod_count": args.premod}
            )
        _say(
            f"Board {board.slug!r}: visibility {board.visibility}, "
            f"posting {board.posting_policy}, federation {board.federation}."
        )
        _say(_premod_sentence(board.premod_count))

    asyncio.run(_with_db(settings, work))


def cmd_invite_create(settings: Settings, args: argparse.Namespace) -> None:
    from forum.services.invites import create_invites, join_path

    async def work() -> None:
        codes = await create_invites(None, args.count, args.board)
        for code in codes:
            # A board invitation is handed out as the link that opens it; a registration
            # code is typed into the registration form.
            _say(settings.absolute(join_path(args.board, code)) if args.board else code)

    asyncio.run(_with_db(settings, work))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from forum.web.app import create_app
    from forum.web.factory import tune_gc
    from forum.web.processes import serve as serve_processes

    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        raise CliError(
            "--workers above 1 needs PostgreSQL: SQLite takes one writer at a time, so "
            "more processes would only wait for each other. One process serves a small "
            "community well; see README, Scaling out.",
            EXIT_CONFIG,
        )

    async def check() -> tuple[list[str], bool]:
        from tortoise import Tortoise

        from forum.db import tortoise_config
        from forum.services.site import admin_exists

        await init_database(settings, config=tortoise_config(settings))
        try:
            pending = await pending_migrations(settings)
            return pending, not pending and await admin_exists()
        finally:
            await Tortoise.close_connections()

    pending, has_admin = asyncio.run(check())
    if pending:
        raise CliError(
            f"The database has unapplied migrations ({', '.join(pending)}). "
            "Run `kindred migrate` first.",
            EXIT_CONFIG,
        )
    if args.workers > 1 and not has_admin:
        # The one-time setup link is made by the process that prints it; with several
        # processes each would make its own and only the last would work.
        raise CliError(
            "There is no admin yet: make one first (`kindred admin create HANDLE "
            "--passphrase-file PATH`, or start once without --workers and open the setup "
            "link), then start several processes.",
            EXIT_CONFIG,
        )
    served = served_url(args.host, args.port)
    _say(f"Kindred {__version__} on {served} ({_describe_db(settings)})")
    if not settings.public_url_configured:
        # Links, the setup URL and ids follow the address served, and later commands
        # (`kindred invite create`, ...) find it in the data directory.
        settings = replace(settings, public_url=served)
        remember_served_url(settings.data_dir, served)
    elif settings.public_url != served:
        _say(
            f"Public URL (KINDRED_PUBLIC_URL): {settings.public_url}; links and ids use it, "
            f"not {served} where this server listens."
        )
    # uvicorn picks uvloop and httptools by itself when installed (uvicorn[standard]).
    # No access log: it would write client addresses to disk.
    options: dict[str, Any] = dict(
        host=args.host,
        port=args.port,
        access_log=False,
        log_level=settings.log_level,
        proxy_headers=settings.trust_proxy,
        server_header=False,
    )
    if args.workers > 1:
        # Each process builds its own app (forum.web.factory) from the same environment.
        # Each has a listening socket of its own, so connections are spread across them.
        _say(f"{args.workers} web processes.")
        serve_processes(
            "forum.web.factory:app_from_environment",
            args.workers,
            factory=True,
            # uvicorn restarts a child that has not answered its supervisor within this;
            # its default (5 s) kills children still starting on a busy small machine.
            timeout_worker_healthcheck=60,
            **options,
        )
        return
    app = create_app(settings)
    tune_gc()
    uvicorn.run(app, **options)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    """Run the inbox and delivery workers without the web server (for scaling out)."""
    import signal

    import federation
    import moderation
    from federation.runtime import Runtime
    from federation.workers import start_workers, stop_workers
    from forum.invalidation import listening
    from forum.page_cache import connect as connect_page_cache
    from forum.services.notices import connect as connect_notices
    from moderation.subscriptions import refreshing as refreshing_blocklists

    # Remote posts applied here meet the same rules, queue and outbox as in `serve`.
    moderation.connect()
    federation.connect(settings)
    connect_notices()
    # A thread changed here (a remote reply, an edit) drops the web processes' cached copies.
    connect_page_cache()

    async def work() -> None:
        runtime = Runtime.create(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        tasks = start_workers(runtime, stop)
        _say("Kindred workers running (inbox, delivery, blocklist refresh); stop with Ctrl-C.")
        try:
            # Subscribed blocklists refresh here too when the web server runs no workers.
            async with (
                listening(settings.database_url),
                refreshing_blocklists(settings, worker=True),
            ):
                await stop.wait()
        finally:
            await stop_workers(tasks, stop)
            await runtime.aclose()

    asyncio.run(_with_db(settings, work))


def cmd_status(settings: Settings, args: argparse.Namespace) -> None:
    """The readings /metrics gives Prometheus, as a table for admins without it."""
    from federation.status import readings as federation_readings
    from forum import status

    status.add_source(federation_readings)

    async def work() -> None:
        rows = await status.read_all()
        _say(f"Kindred {__version__}, {_describe_db(settings)}")
        width = max(len(r.help) for r in rows)
        for reading in rows:
            value = f"{reading.value:,.1f}".removesuffix(".0")
            _say(f"  {reading.help:<{width}}  {value}")

    asyncio.run(_with_db(settings, work))


def cmd_blocklist_import(settings: Settings, args: argparse.Namespace) -> None:
    from moderation.blocklists import (
        MAX_BYTES,
        apply_import,
        decode_blocklist,
        parse_blocklist,
        preview_import,
    )

    path = Path(args.file)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)  # one byte over is enough to refuse it
    except OSError as exc:
        raise CliError(f"Cannot read the blocklist {path}: {exc.strerror}.") from None
    parsed = parse_blocklist(decode_blocklist(data))  # BlocklistError is a ForumError: exit 4

    async def work() -> None:
        preview = await preview_import(parsed, mode="replace" if args.replace else "merge")
        for note in parsed.errors:
            print(f"kindred: {path}: {note}", file=sys.stderr)
        for note in parsed.warnings + preview.warnings:
            print(f"kindred: {path}: warning: {note}", file=sys.stderr)
        if args.dry_run:
            for change in preview.added + preview.changed + preview.removed:
                _say(str(change))
        else:
            source = f"Imported from {path.name} on {date.today().isoformat()}"
            await apply_import(preview, private_comment=source)
        verb = (
            ("Would add", "change", "remove") if args.dry_run else ("Added", "changed", "removed")
        )
        _say(
            f"{verb[0]} {len(preview.added)}, {verb[1]} {len(preview.changed)}, "
            f"{verb[2]} {len(preview.removed)}; {len(preview.unchanged)} unchanged."
            + (" Dry run: nothing was changed." if args.dry_run else "")
        )
        if parsed.errors:
            raise CliError(f"{len(parsed.errors)} line(s) of {path} could not be imported.")

    asyncio.run(_with_db(settings, work))


def cmd_blocklist_export(settings: Settings, args: argparse.Namespace) -> None:
    from moderation.blocklists import export_blocklist

    exported: list[str] = []

    async def work() -> None:
        exported.append(await export_blocklist())

    asyncio.run(_with_db(settings, work))
    if args.output:
        # Instance data: private like the database, whatever the umask.
        write_private_file(Path(args.output), exported[0])
    else:
        sys.stdout.write(exported[0])


def cmd_blocklist_subscribe(settings: Settings, args: argparse.Namespace) -> None:
    from moderation.blocklists.download import list_client
    from moderation.subscriptions import subscribe

    async def work() -> None:
        _say(f"Fetching {args.url} ...")
        async with list_client(settings) as client:
            outcome = await subscribe(
                client, args.url, mode=args.mode, refresh_hours=args.refresh_hours
            )
        _say(f"Subscribed ({args.mode}, every {args.refresh_hours} h): {outcome.status}")

    asyncio.run(_with_db(settings, work))


def cmd_blocklist_subscriptions(settings: Settings, args: argparse.Namespace) -> None:
    from moderation.subscriptions import list_subscriptions

    async def work() -> None:
        summaries = await list_subscriptions()
        if not summaries:
            _say("No subscriptions.")
        for summary in summaries:
            sub = summary.subscription
            when = f"{sub.last_fetched_at:%Y-%m-%d %H:%M} UTC" if sub.last_fetched_at else "never"
            _say(
                f"{sub.url}\n  mode {sub.mode}, every {sub.refresh_hours} h; "
                f"{summary.entries} entries, {summary.pending} waiting for review\n"
                f"  last refresh {when}: {sub.last_status or '-'}"
            )

    asyncio.run(_with_db(settings, work))


def cmd_blocklist_unsubscribe(settings: Settings, args: argparse.Namespace) -> None:
    from moderation.subscriptions import unsubscribe

    async def work() -> None:
        count = await unsubscribe(args.url, keep_entries=args.keep_entries)
        what = "kept (now yours)" if args.keep_entries else "removed"
        _say(f"Unsubscribed from {args.url.strip()}; its {count} entries were {what}.")

    asyncio.run(_with_db(settings, work))


def cmd_blocklist_refresh(settings: Settings, args: argparse.Namespace) -> None:
    from moderation.blocklists.download import list_client
    from moderation.subscriptions import get_subscription, list_subscriptions, refresh_subscription

    async def work() -> None:
        if args.url:
            subs = [await get_subscription(args.url)]
        else:
            subs = [summary.subscription for summary in await list_subscriptions()]
        if not subs:
            _say("No subscriptions to refresh.")
        failed = 0
        async with list_client(settings) as client:
            for sub in subs:
                _say(f"Refreshing {sub.url} ...")
                outcome = await refresh_subscription(client, sub)
                _say(f"  {outcome.status}")
                failed += not outcome.ok
        if failed:
            raise CliError(f"{failed} of {len(subs)} list(s) could not be refreshed.", 1)

    asyncio.run(_with_db(settings, work))


def _progress_line(done: int, total: int, unit: str = "posts") -> None:
    # One self-rewriting line on stderr; a progress library would be a dependency for
    # the few long commands.
    share = done * 100 // total if total else 100
    bar = "#" * (share // 4)
    end = "\n" if done >= total else ""
    line = f"\r[{bar:<25}] {share:3d}% {done:,}/{total:,} {unit}"
    print(line, end=end, file=sys.stderr, flush=True)


def _database_progress(settings: Settings) -> Callable[[int, int], None]:
    unit = "pages" if settings.database_url.startswith("sqlite") else "tables"
    return lambda done, total: _progress_line(done, total, unit)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from forum.backup import BackupError, backup

    _say(f"Backing up {_describe_db(settings)} to {args.path} ...")
    try:
        manifest = backup(settings, Path(args.path), _database_progress(settings))
    except BackupError as exc:
        raise CliError(str(exc)) from None
    _say(
        f"Done: {Path(args.path) / manifest.database_file} and the secret key. Keep the "
        "backup private: it holds every post and the key that signs for this instance."
    )


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from forum.backup import BackupError, restore

    _say(f"Restoring {args.path} into {_describe_db(settings)} ...")
    try:
        manifest = restore(
            settings, Path(args.path), _database_progress(settings), replace=args.replace
        )
    except BackupError as exc:
        raise CliError(str(exc)) from None
    _say(
        f"Done: restored the backup of {manifest.taken_on} (Kindred {manifest.version}). "
        "Run `kindred migrate`, then start the server."
    )


def cmd_search_reindex(settings: Settings, args: argparse.Namespace) -> None:
    from tortoise.transactions import in_transaction

    from forum.search_index import rebuild_index

    async def work() -> None:
        # One transaction: searches see the old index until the new one is complete.
        async with in_transaction():
            indexed = await rebuild_index(progress=_progress_line)
        _say(f"Indexed {indexed:,} posts.")

    asyncio.run(_with_db(settings, work))


def _process_count(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_WEB_PROCESSES:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a whole number of processes from 1 to {MAX_WEB_PROCESSES}"
        )
    return int(raw)


def _refresh_hours(raw: str) -> int:
    from moderation.subscriptions import MAX_HOURS, MIN_HOURS

    if not (raw.isascii() and raw.isdigit()) or not MIN_HOURS <= int(raw) <= MAX_HOURS:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a whole number of hours from {MIN_HOURS} to {MAX_HOURS}"
        )
    return int(raw)


def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> None:
    """For developers: write a migration for model changes (Tortoise's autodetector)."""
    from forum.migrations_check import unmigrated_changes, write_migrations

    if args.check:
        missing = asyncio.run(unmigrated_changes(settings))
        if missing:
            raise CliError(
                "The models have changes with no migration: run `kindred makemigrations`.", 1
            )
        _say("Models and migrations agree.")
        return
    names = asyncio.run(write_migrations(settings, args.name))
    _say("\n".join(f"Created {n}" for n in names) if names else "No changes detected.")


def _describe_db(settings: Settings) -> str:
    url = settings.database_url
    if url.startswith("sqlite://"):
        return "SQLite " + url.removeprefix("sqlite://")
    return "PostgreSQL " + url.split("@")[-1].split("?")[0]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kindred", description="Kindred: a forum server for peer-support communities."
    )
    parser.add_argument("--version", action="version", version=f"kindred {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create the data directory and database (and an admin)")
    p.add_argument("--admin", metavar="HANDLE", help="also create this admin account")
    p.add_argument("--admin-passphrase-file", metavar="PATH")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="run the web server (and its background workers)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=_process_count,
        default=1,
        metavar="N",
        help="web processes (PostgreSQL only; default 1)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the background workers without the web server")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("makemigrations", help="(developers) write migrations for model changes")
    p.add_argument("--name", default=None)
    p.add_argument("--check", action="store_true", help="only check; exit 1 if one is needed")
    p.set_defaults(func=cmd_makemigrations)

    board = sub.add_parser("board", help="manage boards").add_subparsers(
        dest="board_command", required=True, metavar="ACTION"
    )
    p = board.add_parser("create", help="create a board")
    p.add_argument("slug")
    p.add_argument("--title", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--rules", default="")
    p.add_argument("--visibility", choices=["public", "members", "private"], default="public")
    p.add_argument("--posting-policy", choices=["members", "moderators"], default="members")
    p.add_argument("--federation", choices=["off", "publish", "open"], default="off")
    p.add_argument(
        "--premod",
        type=int,
        default=DEFAULT_PREMOD,
        metavar="N",
        help=f"hold each new member's first N posts (default {DEFAULT_PREMOD}; 0: off)",
    )
    p.set_defaults(func=cmd_board_create)

    p = board.add_parser("update", help="change a board's settings")
    p.add_argument("slug")
    p.add_argument("--title")
    p.add_argument("--visibility", choices=["public", "members", "private"])
    p.add_argument("--posting-policy", choices=["members", "moderators"])
    p.add_argument("--federation", choices=["off", "publish", "open"])
    p.add_argument("--yes", action="store_true", help="confirm turning federation on")
    p.add_argument("--premod", type=int, metavar="N", help="hold each new member's first N posts")
    p.set_defaults(func=cmd_board_update)

    invite = sub.add_parser("invite", help="manage invite codes").add_subparsers(
        dest="invite_command", required=True, metavar="ACTION"
    )
    p = invite.add_parser("create", help="make single-use invite codes (printed once)")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--board", default=None, help="invitations into this (private) board")
    p.set_defaults(func=cmd_invite_create)

    blocklist = sub.add_parser(
        "blocklist", help="import, export and subscribe to domain blocks (Mastodon's CSV)"
    ).add_subparsers(dest="blocklist_command", required=True, metavar="ACTION")
    p = blocklist.add_parser("import", help="import a domain-block CSV or a list of domains")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="show the changes; make none")
    p.add_argument(
        "--replace",
        action="store_true",
        help="also lift silence/suspend policies the file does not list (allows are kept)",
    )
    p.set_defaults(func=cmd_blocklist_import)
    p = blocklist.add_parser("export", help="write silence/suspend policies as Mastodon's CSV")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of to stdout")
    p.set_defaults(func=cmd_blocklist_export)
    p = blocklist.add_parser("subscribe", help="follow another instance's published blocklist")
    p.add_argument(
        "url", metavar="URL", help="the list's CSV, e.g. https://example.org/blocklist.csv"
    )
    p.add_argument(
        "--mode",
        required=True,
        choices=["review", "auto"],
        help="review: changes wait in the review queue; auto: they apply at once",
    )
    p.add_argument(
        "--refresh-hours", type=_refresh_hours, default=24, metavar="N", help="default 24"
    )
    p.set_defaults(func=cmd_blocklist_subscribe)
    p = blocklist.add_parser("subscriptions", help="list subscribed blocklists")
    p.set_defaults(func=cmd_blocklist_subscriptions)
    p = blocklist.add_parser("unsubscribe", help="stop following a blocklist")
    p.add_argument("url", metavar="URL")
    p.add_argument(
        "--keep-entries",
        action="store_true",
        help="keep the list's entries as your own (default: remove them)",
    )
    p.set_defaults(func=cmd_blocklist_unsubscribe)
    p = blocklist.add_parser("refresh", help="fetch subscribed blocklists now")
    p.add_argument("url", metavar="URL", nargs="?", help="only this list")
    p.set_defaults(func=cmd_blocklist_refresh)

    search = sub.add_parser("search", help="the full-text search index").add_subparsers(
        dest="search_command", required=True, metavar="ACTION"
    )
    p = search.add_parser("reindex", help="rebuild the search index from every post")
    p.set_defaults(func=cmd_search_reindex)

    p = sub.add_parser("status", help="queue depths, paused hosts and worker lag")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("backup", help="copy the database and secret key while serving")
    p.add_argument("path", help="a new directory for the backup")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup (stop the server first)")
    p.add_argument("path", help="a directory made by `kindred backup`")
    p.add_argument(
        "--replace", action="store_true", help="overwrite an existing database (its data is lost)"
    )
    p.set_defaults(func=cmd_restore)
    admin = sub.add_parser("admin", help="manage admins").add_subparsers(
        dest="admin_command", required=True, metavar="ACTION"
    )
    p = admin.add_parser("create", help="create an admin account")
    p.add_argument("handle")
    p.add_argument("--passphrase-file", required=True, metavar="PATH")
    p.set_defaults(func=cmd_admin_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
        # Every command's records are bounded, the worker's as much as the web server's.
        log_records.install()
        args.func(settings, args)
    except ConfigError as exc:
        print(f"kindred: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CliError as exc:
        print(f"kindred: {exc}", file=sys.stderr)
        return exc.code
    except ForumError as exc:
        print(f"kindred: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
