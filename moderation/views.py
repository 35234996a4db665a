"""Moderation pages: report a post, the review queue, the public modlog, private notices."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _
from forum.services import boards, notices
from forum.services.viewer import Viewer
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from moderation import appeals, duty, modlog, notes, queue, reports, rule_admin


async def report_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    slug, thread_id = request.path_params["slug"], request.path_params["thread_id"]
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}/t/{thread_id}")
    target = await reports.report_target(slug, thread_id, request.path_params["seq"], viewer)
    return await _report_form(request, target)


async def _report_form(
    request: Request, target: reports.ReportTarget, status: int = 200, **context: object
) -> Response:
    return await render(
        request,
        "report.html",
        {
            "thread": target.thread,
            "seq": target.post.seq,
            "author_name": target.author_name,
            "categories": reports.CATEGORY_NAMES,
            **context,
        },
        status=status,
        board=target.access.board,
    )


async def report(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug, thread_id, seq = (
        request.path_params["slug"],
        request.path_params["thread_id"],
        request.path_params["seq"],
    )
    try:
        await reports.report_post(
            slug,
            thread_id,
            seq,
            viewer,
            category=form.text("category"),
            note=form.text("note"),
            about=form.text("about", "post"),
            limiter=app_state(request).limiter,
        )
    except (InvalidInputError, ConflictError, NotAllowedError) as exc:
        target = await reports.report_target(slug, thread_id, seq, viewer)
        return await _report_form(
            request, target, status=exc.status, error=exc, values=form.values()
        )
    return redirect("/notices?reported=1")


async def queue_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/mod/queue")
    done = _count(request.query_params.get("done", ""))
    skipped = _count(request.query_params.get("skipped", ""))
    bulk = (done, skipped) if done is not None and skipped is not None else None
    return await _queue(request, viewer, bulk=bulk)


def _count(raw: str) -> int | None:
    # The bulk result rides on the redirect's query string; anything odd is not shown.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else None


async def _queue(
    request: Request, viewer: Viewer, status: int = 200, **context: object
) -> Response:
    current = await queue.open_queue(viewer)
    return await render(
        request,
        "mod_queue.html",
        {"queue": current, "action_labels": modlog.LABELS, **context},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def queue_action(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    item_id = request.path_params["item_id"]
    action = form.text("action")
    try:
        if action in {"claim", "unclaim"}:
            await queue.claim(viewer, item_id, release=action == "unclaim")
        else:
            await queue.resolve(
                viewer, item_id, action, form.text("reason"), forward=form.flag("forward")
            )
    except InvalidInputError as exc:
        return await _queue(request, viewer, status=exc.status, error=exc, error_item=item_id)
    return redirect("/mod/queue")


async def queue_note(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    item_id = request.path_params["item_id"]
    try:
        await notes.add_note(viewer, item_id, form.text("text"), about=form.text("about"))
    except InvalidInputError as exc:
        return await _queue(request, viewer, status=exc.status, note_error=exc, error_item=item_id)
    return redirect(f"/mod/queue#item-{item_id}")


async def queue_bulk(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    # Checkboxes share one name; the Form helper reads single values, the parsed form
    # (cached by Starlette after read_form checked its token) has them all.
    selected = [v for v in (await request.form()).getlist("item") if isinstance(v, str)]
    try:
        result = await queue.resolve_many(
            viewer, selected, form.text("action"), form.text("reason")
        )
    except InvalidInputError as exc:
        return await _queue(request, viewer, status=exc.status, bulk_error=exc)
    return redirect(f"/mod/queue?done={result.done}&skipped={result.skipped}")


async def queue_settings(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        await duty.save_settings(
            viewer, on_duty=form.text("on_duty"), expand_flagged=form.text("expand_flagged")
        )
    except InvalidInputError as exc:
        return await _queue(request, viewer, status=exc.status, settings_error=exc)
    return redirect("/mod/queue")


def _wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


async def board_modlog(request: Request) -> Response:
    viewer = await load_viewer(request)
    access = await boards.require_readable(request.path_params["slug"], viewer)
    entries = await modlog.public_log(access.board)
    if _wants_json(request):
        return JSONResponse({"board": access.board.slug, "entries": _json(entries)})
    return await render(request, "modlog.html", {"entries": entries}, board=access.board)


async def instance_modlog(request: Request) -> Response:
    entries = await modlog.public_log(None)
    if _wants_json(request):
        return JSONResponse({"entries": _json(entries)})
    return await render(request, "modlog.html", {"entries": entries})


def _json(entries: list[modlog.LogEntry]) -> list[dict[str, object]]:
    return [
        {
            "action": e.action,
            "label": e.label,
            "reason": e.reason,
            "date": e.created_at.isoformat(),
            "board": e.board_slug,
            "thread": e.thread_id,
            "thread_title": e.thread_title,
        }
        for e in entries
    ]


async def notices_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/notices")
    groups = await notices.list_notices(viewer)
    listed = [item.notice.id for group in groups for item in group.items]
    return await render(
        request,
        "notices.html",
        {
            "groups": groups,
            "appeals": await appeals.my_notices(viewer, listed),
            "reports": await reports.my_reports(viewer),
            "reported": request.query_params.get("reported"),
            "appealed": request.query_params.get("appealed"),
        },
        headers={"Cache-Control": "no-store"},
    )


async def rules_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if not viewer.is_admin:
        raise NotFoundError()
    return await _rules(request, viewer)


async def _rules(
    request: Request, viewer: Viewer, status: int = 200, **context: object
) -> Response:
    return await render(
        request,
        "admin_rules.html",
        {"rules": await rule_admin.list_rules(viewer), **context},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def rules_action(request: Request) -> Response:
    viewer = await load_viewer(request)
    if not viewer.is_admin:
        raise NotFoundError()
    form = await read_form(request)
    action = form.text("action")
    try:
        if action == "add":
            await rule_admin.add_rule(
                viewer,
                pattern=form.text("pattern"),
                action=form.text("rule_action"),
                is_regex=form.flag("is_regex"),
                message=form.text("message"),
                replacement=form.text("replacement"),
                board_slug=form.text("board"),
            )
        elif action == "delete":
            await rule_admin.delete_rule(viewer, form.integer("rule_id") or 0)
        elif action == "test":
            result = await rule_admin.try_sample(viewer, form.text("sample"))
            return await _rules(request, viewer, result=result, sample=form.text("sample"))
        else:
            raise InvalidInputError(_("Unknown action."))
    except (InvalidInputError, NotFoundError) as exc:
        return await _rules(request, viewer, status=exc.status, error=exc, values=form.values())
    return redirect("/admin/rules")
