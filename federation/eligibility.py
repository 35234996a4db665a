"""Which boards and personas federate. Everything else answers 404 to ActivityPub."""

from __future__ import annotations

from forum.models import Board, SiteSettings
from forum.models.board import FederationMode, Visibility
from forum.models.site import InstanceFederation


def board_federates(board: Board, site: SiteSettings) -> bool:
    if board.remote:  # a mirror of another server's group: federating is what it is for
        return site.federation != InstanceFederation.off
    # Private and members-only boards never federate, whatever their mode says.
    return (
        board.visibility == Visibility.public
        and board.federation in (FederationMode.publish, FederationMode.open)
        and site.federation != InstanceFederation.off
    )


def board_accepts_remote_posts(board: Board, site: SiteSettings) -> bool:
    return board_federates(board, site) and board.federation == FederationMode.open
