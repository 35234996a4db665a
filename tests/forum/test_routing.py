"""The app's router (forum.web.routing) tries only the routes a path can match, and
answers every request exactly as Starlette's plain Router does with the same routes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route, Router
from starlette.types import Message, Receive, Scope, Send

from forum.web.routing import IndexedRouter, first_segment

PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
SAMPLE = {"str": "x7", "int": "7", "path": "a/b", "float": "1.5"}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
UNKNOWN = ["/nope", "/b/x/nothing", "/api/nope", "/api/v3/nope", "/b", "//", "/b//t/1", "/."]


def leaves(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from leaves(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def sample_path(template: str) -> str:
    return PARAM.sub(lambda m: SAMPLE[m.group(2) or "str"], template)


def plain(routes: list[BaseRoute]) -> Router:
    """Starlette's Router over the same route objects, its mounts plain Routers too."""
    copied: list[BaseRoute] = [
        Mount(route.path, routes=plain(list(route.routes)).routes, name=route.name)
        if isinstance(route, Mount)
        else route
        for route in routes
    ]
    return Router(copied)


async def outcome(router: Router, method: str, path: str, root_path: str = "") -> Any:
    """What the router does with a request: the route it hands the request to (and the
    path parameters), or the answer it sends itself (404, a redirect)."""
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": root_path + path,
        "root_path": root_path,
        "headers": [],
        "query_string": b"q=1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await router.app(scope, receive, send)
    except Handled as handled:
        return handled.args
    return [(m.get("status"), sorted(m.get("headers", []))) for m in sent]


class Handled(Exception):
    pass


async def record(self: Route, scope: Scope, receive: Receive, send: Send) -> None:
    allowed = self.methods is None or scope["method"] in self.methods
    raise Handled(self, dict(scope["path_params"]), allowed, scope.get("root_path"))


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Routes report which of them got the request instead of running their view."""
    monkeypatch.setattr(Route, "handle", record)


def requests(app: Any) -> Iterator[tuple[str, str]]:
    for template, _route in leaves(app.router.routes):
        path = sample_path(template)
        for variant in {path, path + "/", path.rstrip("/") or "/"}:
            for method in METHODS:
                yield method, variant
    for path in UNKNOWN:
        for method in ("GET", "POST"):
            yield method, path


def test_the_app_and_its_mounts_route_by_index(app: Any) -> None:
    assert type(app.router) is IndexedRouter
    mounts = [route for route in app.router.routes if isinstance(route, Mount)]
    assert mounts and all(type(mount._base_app) is IndexedRouter for mount in mounts)


async def test_every_route_resolves_as_with_starlettes_router(app: Any, handled: None) -> None:
    reference = plain(app.router.routes)
    count = 0
    for method, path in requests(app):
        for root_path in ("", "/forum"):
            ours = await outcome(app.router, method, path, root_path)
            theirs = await outcome(reference, method, path, root_path)
            assert ours == theirs, (method, root_path + path)
            count += 1
    assert count > 2000


async def test_each_route_gets_its_own_path(app: Any, handled: None) -> None:
    for template, route in leaves(app.router.routes):
        method = sorted(route.methods or {"GET"})[0]
        got = await outcome(app.router, method, sample_path(template))
        # An earlier route may take the same sample path; never a wrong-method one.
        assert isinstance(got, tuple) and got[2], (method, template)
        if got[0] is route:
            assert set(got[1]) == {name for name, _ in PARAM.findall(template)}


def test_url_path_for_is_unchanged_for_every_named_route(app: Any) -> None:
    reference = plain(app.router.routes)
    for template, route in leaves(app.router.routes):
        params = {name: "7" for name, _ in PARAM.findall(route.path)}
        try:
            expected = str(reference.url_path_for(route.name, **params))
        except NoMatchFound:
            expected = "NoMatchFound"
        try:
            got = str(app.url_path_for(route.name, **params))
        except NoMatchFound:
            got = "NoMatchFound"
        assert got == expected, template


async def test_wrong_method_answers_405_with_allow(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/b/x/t/1")
    assert answer.status_code == 405
    assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD"}
    answer = await client.get("/api/threads/1/posts")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


async def test_unknown_paths_answer_404(client: httpx.AsyncClient) -> None:
    for path in ("/nope", "/b/x/t/1/nothing", "/api/nope", "/static"):
        assert (await client.get(path)).status_code == 404, path


async def test_a_trailing_slash_redirects(client: httpx.AsyncClient) -> None:
    answer = await client.get("/help/?a=1")
    assert answer.status_code == 307
    assert answer.headers["location"] == "http://127.0.0.1:8000/help?a=1"


async def test_head_is_answered_like_get(client: httpx.AsyncClient) -> None:
    answer = await client.head("/help")
    assert answer.status_code == 200
    assert answer.content == b""


async def test_routes_added_later_are_found(handled: None) -> None:
    async def view(request: Any) -> None:
        raise AssertionError

    router = IndexedRouter([Route("/a", view, name="a"), Route("/{x}", view, name="x")])
    assert (await outcome(router, "GET", "/b"))[0].name == "x"
    router.routes.insert(0, Route("/b", view, name="b"))
    assert (await outcome(router, "GET", "/b"))[0].name == "b"
    router.routes[0:0] = [Route("/c", view, name="c")]
    assert (await outcome(router, "GET", "/c"))[0].name == "c"
    router.routes.remove(router.routes[0])
    assert (await outcome(router, "GET", "/c"))[0].name == "x"
    router.routes = [Route("/c", view, name="c2")]
    assert (await outcome(router, "GET", "/c"))[0].name == "c2"


async def test_a_route_that_matches_its_own_way_is_tried_for_every_path(handled: None) -> None:
    class Anything(Route):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return Match.FULL, {"path_params": {}}

    async def view(request: Any) -> None:
        raise AssertionError

    odd = Anything("/odd", view)
    assert first_segment(odd) is None
    assert first_segment(Route("/odd/{x}", view)) == "odd"
    assert first_segment(Route("/{x}/odd", view)) is None
    assert first_segment(Mount("/api", routes=[])) == "api"
    assert first_segment(Mount("", routes=[])) is None
    router = IndexedRouter([Route("/a", view), odd])
    assert (await outcome(router, "GET", "/zzz"))[0] is odd


async def test_the_lifespan_runs() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    router = IndexedRouter([], lifespan=lifespan)
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> Message:
        return next(incoming)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    await router({"type": "lifespan", "state": {}}, receive, send)
    assert events == ["start", "stop"]
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
