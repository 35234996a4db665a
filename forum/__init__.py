"""Kindred: a forum server for peer-run support communities."""

from __future__ import annotations

__version__ = "0.1.0"
