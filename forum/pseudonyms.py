"""Random, readable pseudonyms for personas ("Quiet Heron 482")."""

from __future__ import annotations

import re
import secrets

from forum.errors import InvalidInputError
from forum.i18n import _

_ADJECTIVES = [
    "Amber",
    "Brave",
    "Bright",
    "Calm",
    "Clear",
    "Gentle",
    "Golden",
    "Hopeful",
    "Kind",
    "Light",
    "Mellow",
    "Mild",
    "Patient",
    "Quiet",
    "Restful",
    "Silver",
    "Soft",
    "Steady",
    "Still",
    "Sunny",
    "Tender",
    "Warm",
    "Wise",
    "Willow",
    "Bold",
    "Cozy",
    "Dawn",
    "Early",
    "Fair",
    "Green",
    "Humble",
    "Misty",
    "Noble",
    "Open",
    "Peaceful",
    "Rosy",
    "Serene",
    "Sturdy",
    "True",
    "Velvet",
]
_NOUNS = [
    "Alder",
    "Aspen",
    "Badger",
    "Birch",
    "Brook",
    "Cedar",
    "Cloud",
    "Comet",
    "Crane",
    "Dove",
    "Elm",
    "Fern",
    "Finch",
    "Fox",
    "Harbor",
    "Hazel",
    "Heron",
    "Juniper",
    "Lark",
    "Linden",
    "Maple",
    "Meadow",
    "Moss",
    "Oak",
    "Otter",
    "Owl",
    "Pebble",
    "Pine",
    "Plover",
    "Rain",
    "River",
    "Robin",
    "Sparrow",
    "Spruce",
    "Stone",
    "Swallow",
    "Thistle",
    "Wren",
    "Yarrow",
    "Lantern",
    "Beacon",
    "Tide",
]
_NAME = re.compile(r"^[\w][\w .'-]{1,38}[\w.]$")


def random_pseudonym() -> str:
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_NOUNS)} {secrets.randbelow(900) + 100}"


def check_pseudonym(name: str) -> str:
    cleaned = " ".join(name.split())
    if not _NAME.match(cleaned):
        raise InvalidInputError(
            _("A name is 3 to 40 letters, digits, spaces, dots, dashes or apostrophes."),
            field="display_name",
        )
    if cleaned.lower() in {"deleted", "[deleted]", "admin", "moderators", "moderator"}:
        raise InvalidInputError(_("That name is reserved; choose another."), field="display_name")
    return cleaned


def name_key(name: str) -> str:
    """What two names must not share within one board (case and spacing folded)."""
    return " ".join(name.lower().split())
