"""The app as each process of `kindred serve --workers N` builds it.

uvicorn starts the N processes afresh and imports this; each reads its settings from the
environment and the data directory, as the parent did (a public URL the parent derived
from the address served is in `{data dir}/served-url`, which `load_settings` reads).
"""

from __future__ import annotations

import gc

from starlette.applications import Starlette

from forum.settings import load_settings
from forum.web.app import create_app

# Young objects the cycle collector lets pile up before it runs. Python's 700 is fewer
# than one page allocates, so it ran about once a request (some 7% of a thread page's CPU).
GC_YOUNG_OBJECTS = 20_000


def tune_gc() -> None:
    """Tune the cycle collector for a long-running server: what start-up built (modules,
    routes, models) lives as long as the process, so full collections skip it."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_OBJECTS, older, oldest)


def app_from_environment() -> Starlette:
    app = create_app(load_settings())
    tune_gc()
    return app
