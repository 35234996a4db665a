"""Domain policy pages: /admin/domains (admins only; 404 for everyone else) and the
published /blocklist.csv."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError, NotFoundError, PayloadTooLargeError
from forum.i18n import _, lazy
from forum.web.cookies import csrf_token_valid
from forum.web.forms import CsrfError, Form, read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from moderation import domain_admin, subscriptions
from moderation.blocklists import MAX_BYTES, export_blocklist
from moderation.blocklists.download import list_client

PAGE = "/admin/domains"
PREVIEW_SHOWN = 500  # rows of each kind the preview lists; counts are always whole
_NO_STORE = {"Cache-Control": "no-store"}
# Subscribers poll daily; a quarter of an hour lets an unpublished list go out of caches
# soon after the admin turns publishing off.
_PUBLISHED_CACHE = "public, max-age=900"
_NOTICES = {
    "saved": lazy("Policy saved."),
    "removed": lazy("Policy removed."),
    "published": lazy("Saved: the blocklist is published at /blocklist.csv."),
    "unpublished": lazy("Saved: the blocklist is not published."),
    "subscribed": lazy("Subscribed; the list's status is below."),
    "unsubscribed": lazy("Unsubscribed."),
    "refreshed": lazy("Refreshed; each list's status is below."),
}


async def domains_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    domain_admin.require_admin(viewer)
    known = _NOTICES.get(request.query_params.get("done", ""))
    notice = str(known) if known is not None else None
    imported = request.query_params.get("imported", "")
    if imported.count(".") == 3 and imported.replace(".", "").isdigit():
        added, changed, removed, unchanged = imported.split(".")
        notice = _(
            "Imported: %(added)s added, %(changed)s changed, %(removed)s removed, "
            "%(unchanged)s unchanged.",
            added=added,
            changed=changed,
            removed=removed,
            unchanged=unchanged,
        )
    return await _page(request, notice=notice)


async def domains_action(request: Request) -> Response:
    viewer = await load_viewer(request)
    domain_admin.require_admin(viewer)
    form = await read_form(request)
    action = form.text("action")
    try:
        done = await _ACTIONS.get(action, _unknown)(request, form)
    except (InvalidInputError, ConflictError, NotFoundError) as exc:
        return await _page(
            request, status=exc.status, error=exc, error_form=action, values=form.values()
        )
    return redirect(f"{PAGE}?done={done}")


async def import_preview(request: Request) -> Response:
    viewer = await load_viewer(request)
    domain_admin.require_admin(viewer)
    async with request.form(max_files=1, max_fields=10) as data:
        # read_form refuses file uploads, so this form's CSRF check is here.
        form = Form(data)
        if not csrf_token_valid(request, form.text("csrf_token")):
            raise CsrfError()
        upload = data.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInputError(_("Choose a file to import."), field="file")
            content = await upload.read(MAX_BYTES + 1)  # a byte over is enough to refuse
            preview = await domain_admin.preview_upload(
                viewer, app_state(request).settings.data_dir, content, form.text("mode")
            )
        except (InvalidInputError, PayloadTooLargeError) as exc:
            return await _page(request, status=exc.status, error=exc, error_form="import")
    return await _preview(request, preview)


async def import_apply(request: Request) -> Response:
    viewer = await load_viewer(request)
    domain_admin.require_admin(viewer)
    form = await read_form(request)
    try:
        counts = await domain_admin.apply_upload(
            viewer,
            app_state(request).settings.data_dir,
            form.text("token"),
            form.text("mode"),
            form.text("digest"),
        )
    except domain_admin.PreviewChangedError as exc:
        return await _preview(request, exc.fresh, status=exc.status, error=exc)
    except (InvalidInputError, NotFoundError) as exc:
        return await _page(request, status=exc.status, error=exc, error_form="import")
    summary = f"{counts.added}.{counts.changed}.{counts.removed}.{counts.unchanged}"
    return redirect(f"{PAGE}?imported={summary}")


async def export(request: Request) -> Response:
    viewer = await load_viewer(request)
    domain_admin.require_admin(viewer)
    return Response(
        await export_blocklist(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"', **_NO_STORE},
    )


async def published(request: Request) -> Response:
    text = await domain_admin.published_blocklist()
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": _PUBLISHED_CACHE}
    asked = request.headers.get("if-none-match", "").split(",")
    if etag in {tag.strip().removeprefix("W/") for tag in asked}:
        return Response(status_code=304, headers=headers)
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


async def _save(request: Request, form: Form) -> str:
    await domain_admin.save_policy(
        await load_viewer(request),
        domain=form.text("domain"),
        severity=form.text("severity"),
        reject_media=form.flag("reject_media"),
        reject_reports=form.flag("reject_reports"),
        public_comment=form.text("public_comment"),
        private_comment=form.text("private_comment"),
    )
    return "saved"


async def _remove(request: Request, form: Form) -> str:
    await domain_admin.remove_policy(await load_viewer(request), form.text("domain"))
    return "removed"


async def _publish(request: Request, form: Form) -> str:
    publish = form.flag("publish_blocklist")
    await domain_admin.set_publishing(await load_viewer(request), publish)
    return "published" if publish else "unpublished"


async def _subscribe(request: Request, form: Form) -> str:
    async with list_client(app_state(request).settings) as client:
        await subscriptions.subscribe(
            client,
            form.text("url"),
            mode=form.text("mode"),
            refresh_hours=form.integer("refresh_hours", 24) or 0,
        )
    return "subscribed"


async def _unsubscribe(request: Request, form: Form) -> str:
    keep = form.text("entries") == "keep"
    await subscriptions.unsubscribe(form.text("url"), keep_entries=keep)
    return "unsubscribed"


async def _refresh(request: Request, form: Form) -> str:
    async with list_client(app_state(request).settings) as client:
        if form.text("url"):
            await subscriptions.refresh_subscription(
                client, await subscriptions.get_subscription(form.text("url"))
            )
        else:
            await subscriptions.refresh_all(client)
    return "refreshed"


async def _unknown(request: Request, form: Form) -> str:
    raise InvalidInputError(_("Unknown action."))


_ACTIONS: dict[str, Callable[[Request, Form], Awaitable[str]]] = {
    "save": _save,
    "remove": _remove,
    "publish": _publish,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "refresh": _refresh,
}


async def _page(request: Request, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    query = request.query_params
    page = query.get("page", "1")
    policies = await domain_admin.list_policies(
        viewer, search=query.get("q", ""), page=int(page) if page.isdigit() else 1
    )
    edit = query.get("edit", "")
    return await render(
        request,
        "admin_domains.html",
        {
            "policies": policies,
            "editing": await domain_admin.get_policy(viewer, edit) if edit else None,
            "subscriptions": await subscriptions.list_subscriptions(),
            "max_upload": app_state(request).settings.max_body_bytes,
            **context,
        },
        status=status,
        headers=_NO_STORE,
    )


async def _preview(
    request: Request, preview: domain_admin.UploadPreview, status: int = 200, **context: object
) -> Response:
    return await render(
        request,
        "admin_domains_preview.html",
        {"upload": preview, "shown": PREVIEW_SHOWN, **context},
        status=status,
        headers=_NO_STORE,
    )
