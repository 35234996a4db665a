"""JSON API (read; create with a session or a personal token). Filled in by the API work."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
