"""A Router that tries only the routes that can match a request's path.

Starlette's Router tries every route's regular expression in order until one matches, so a
path served by a route far down the list (the JSON API, the Lemmy API, the inboxes) pays
for a hundred failed matches. A route whose path starts with a literal segment ("/api/...",
"/b/{slug}/...") can only match paths that start with that segment, so this Router keeps,
for each such first segment, the routes that can match it; the rest (a parameter in the
first segment, a route class it does not know) are tried for every path. Candidates keep
their order in `routes`, so the first match still wins and a wrong method still finds the
same route for its 405. Everything else (url_path_for, lifespan, 404) is Starlette's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, SupportsIndex

from starlette._utils import get_route_path
from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match, Mount, Route, Router, compile_path
from starlette.types import Receive, Scope, Send


class RouteList(list[BaseRoute]):
    """The router's routes; any change to the list drops the router's index. The add-ons
    splice their routes into `app.router.routes`, after the app is built."""

    def __init__(self, routes: Iterable[BaseRoute], changed: Callable[[], None]) -> None:
        super().__init__(routes)
        self._changed = changed

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, other: Iterable[BaseRoute]) -> RouteList:  # type: ignore[override,misc]
        super().__iadd__(other)
        self._changed()
        return self

    def __imul__(self, count: SupportsIndex) -> RouteList:
        super().__imul__(count)
        self._changed()
        return self

    def append(self, route: BaseRoute) -> None:
        super().append(route)
        self._changed()

    def extend(self, routes: Iterable[BaseRoute]) -> None:
        super().extend(routes)
        self._changed()

    def insert(self, index: SupportsIndex, route: BaseRoute) -> None:
        super().insert(index, route)
        self._changed()

    def remove(self, route: BaseRoute) -> None:
        super().remove(route)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> BaseRoute:
        route = super().pop(index)
        self._changed()
        return route

    def clear(self) -> None:
        super().clear()
        self._changed()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        super().reverse()
        self._changed()


def first_segment(route: BaseRoute) -> str | None:
    """The literal first path segment every path `route` matches starts with, or None when
    the route could match paths with any first segment (or is not a plain Route/Mount)."""
    if type(route).matches is Route.matches:
        template = getattr(route, "path", None)
    elif type(route).matches is Mount.matches:
        # What Mount compiles: its path, then anything.
        template = getattr(route, "path", "") + "/{path:path}"
    else:
        return None
    if not isinstance(template, str) or not template.startswith("/"):
        return None
    # Only trust the template if it is what the route really matches against.
    regex = getattr(route, "path_regex", None)
    if regex is None or compile_path(template)[0].pattern != regex.pattern:
        return None
    segment = template[1:].partition("/")[0]
    return None if "{" in segment else segment


def request_segment(route_path: str) -> str | None:
    """The first segment of a request's route path; None if it does not start with "/"."""
    if not route_path.startswith("/"):
        return None
    end = route_path.find("/", 1)
    return route_path[1:] if end < 0 else route_path[1:end]


class IndexedRouter(Router):
    """Starlette's Router, dispatching through an index of `routes` by first segment."""

    def __init__(self, routes: Sequence[BaseRoute] | None = None, **kwargs: Any) -> None:
        self._by_segment: dict[str, list[BaseRoute]] | None = None
        self._anywhere: list[BaseRoute] = []
        super().__init__(routes, **kwargs)

    @property
    def routes(self) -> list[BaseRoute]:
        return self._routes

    @routes.setter
    def routes(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = RouteList(routes, self._forget_index)
        self._forget_index()

    def _forget_index(self) -> None:
        self._by_segment = None

    def _build_index(self) -> dict[str, list[BaseRoute]]:
        keyed: dict[str, list[int]] = {}
        anywhere: list[int] = []
        for position, route in enumerate(self._routes):
            segment = first_segment(route)
            if segment is None:
                anywhere.append(position)
            else:
                keyed.setdefault(segment, []).append(position)
        self._anywhere = [self._routes[p] for p in anywhere]
        self._by_segment = {
            segment: [self._routes[p] for p in sorted(positions + anywhere)]
            for segment, positions in keyed.items()
        }
        return self._by_segment

    def candidates(self, route_path: str) -> list[BaseRoute]:
        """The routes that may match `route_path`, in their order in `routes`."""
        by_segment = self._by_segment
        if by_segment is None:
            by_segment = self._build_index()
        segment = request_segment(route_path)
        if segment is None:
            return self._anywhere
        return by_segment.get(segment, self._anywhere)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette's Router.app, trying `candidates` where it tries every route.
        assert scope["type"] in ("http", "websocket", "lifespan")
        if "router" not in scope:
            scope["router"] = self
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
            return

        route_path = get_route_path(scope)
        partial: BaseRoute | None = None
        partial_scope: Scope = {}
        for route in self.candidates(route_path):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope

        if partial is not None:
            # A route has this path for another method: it answers (405).
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return

        if scope["type"] == "http" and self.redirect_slashes and route_path != "/":
            redirect_scope = dict(scope)
            if route_path.endswith("/"):
                redirect_scope["path"] = redirect_scope["path"].rstrip("/")
            else:
                redirect_scope["path"] = redirect_scope["path"] + "/"
            for route in self.candidates(get_route_path(redirect_scope)):
                if route.matches(redirect_scope)[0] is not Match.NONE:
                    response = RedirectResponse(url=str(URL(scope=redirect_scope)))
                    await response(scope, receive, send)
                    return

        await self.default(scope, receive, send)
