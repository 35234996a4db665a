"""Moderation pages: report a post, the review queue, the public modlog, private notices."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.services import boards, threads
from forum.services.viewer import Viewer
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from moderation import modlog, queue, reports, rule_admin
from moderation.models import Notice


async def report_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    slug, thread_id = request.path_params["slug"], request.path_params["thread_id"]
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}/t/{thread_id}")
    access = await boards.require_readable(slug, viewer)
    thread = await threads.get_thread(access, thread_id)
    return await render(
        request,
        "report.html",
        {
            "thread": thread,
            "seq": request.path_params["seq"],
            "categories": reports.CATEGORY_LABELS,
        },
        board=access.board,
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
            limiter=app_state(request).limiter,
        )
    except (InvalidInputError, ConflictError, NotAllowedError) as exc:
        access = await boards.require_readable(slug, viewer)
        thread = await threads.get_thread(access, thread_id)
        return await render(
            request,
            "report.html",
            {
                "thread": thread,
                "seq": seq,
                "categories": reports.CATEGORY_LABELS,
                "error": exc,
                "values": form.values(),
            },
            status=exc.status,
            board=access.board,
        )
    return redirect("/notices?reported=1")


async def queue_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/mod/queue")
    current = await queue.open_queue(viewer)
    return await render(
        request, "mod_queue.html", {"queue": current}, headers={"Cache-Control": "no-store"}
    )


async def queue_action(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    item_id = request.path_params["item_id"]
    action = form.text("action")
    if action in {"claim", "unclaim"}:
        await queue.claim(viewer, item_id, release=action == "unclaim")
    else:
        try:
            await queue.resolve(viewer, item_id, action, form.text("reason"))
        except InvalidInputError as exc:
            current = await queue.open_queue(viewer)
            return await render(
                request,
                "mod_queue.html",
                {"queue": current, "error": exc, "error_item": item_id},
                status=400,
            )
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
    notices = await Notice.filter(account_id=viewer.account.id).order_by("-created_at").limit(50)
    return await render(
        request,
        "notices.html",
        {
            "notices": notices,
            "reports": await reports.my_reports(viewer),
            "reported": request.query_params.get("reported"),
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
            raise InvalidInputError("Unknown action.")
    except (InvalidInputError, NotFoundError) as exc:
        return await _rules(request, viewer, status=exc.status, error=exc, values=form.values())
    return redirect("/admin/rules")
