"""Theme loader: `themes/<name>/` holds templates/, static/ and theme.toml.

A theme overrides any template or static file and falls back to `default` for the rest.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from forum import i18n, stored_text

THEMES_DIR = Path(__file__).resolve().parent
DEFAULT = "default"


@dataclass(frozen=True)
class Theme:
    name: str
    title: str
    description: str
    path: Path


class ThemeError(Exception):
    pass


@functools.cache
def available_themes() -> dict[str, Theme]:
    themes: dict[str, Theme] = {}
    for manifest in sorted(THEMES_DIR.glob("*/theme.toml")):
        try:
            data = tomllib.loads(manifest.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ThemeError(f"The theme manifest {manifest} is not valid TOML: {exc}.") from None
        name = manifest.parent.name
        themes[name] = Theme(
            name=name,
            title=str(data.get("title", name)),
            description=str(data.get("description", "")),
            path=manifest.parent,
        )
    if DEFAULT not in themes:
        raise ThemeError(f"The default theme is missing from {THEMES_DIR}.")
    return themes


def theme_or_default(name: str | None) -> Theme:
    themes = available_themes()
    return themes.get(name or DEFAULT) or themes[DEFAULT]


@functools.cache
def environment(name: str) -> Environment:
    """A Jinja2 environment that looks in the theme first, then in `default`."""
    theme = theme_or_default(name)
    search = [str(theme.path / "templates")]
    if theme.name != DEFAULT:
        search.append(str(THEMES_DIR / DEFAULT / "templates"))
    env = Environment(
        loader=FileSystemLoader(search),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # New-style gettext: `_("Hello %(name)s", name=x)` escapes x and formats after
    # translating; the callables read the request's language (forum.i18n), so one
    # environment serves every language.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.plain_gettext, i18n.plain_ngettext, newstyle=True, pgettext=i18n.plain_pgettext
    )
    # Counts and days in the page's language: `{{ n|number }}`, `{{ day|day }}`.
    env.filters["number"] = i18n.format_number
    env.filters["day"] = i18n.format_day
    env.filters["moment"] = i18n.format_moment
    env.filters["weekday_moment"] = i18n.format_weekday_moment
    env.filters["clock"] = i18n.format_clock
    # Sentences the forum stored in English, in the page's language: `{{ note|shown }}`.
    env.filters["shown"] = stored_text.shown_value
    return env


def static_file(name: str, path: str) -> Path | None:
    """The file for /static/<theme>/<path>: the theme's own, else default's; never outside."""
    theme = theme_or_default(name)
    for root in (theme.path / "static", THEMES_DIR / DEFAULT / "static"):
        candidate = (root / path).resolve()
        if candidate.is_relative_to(root.resolve()) and candidate.is_file():
            return candidate
    return None
