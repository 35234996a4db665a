"""Tortoise models: fields and invariants only; the services own every write."""

from __future__ import annotations

from forum.models.account import Account, ApiToken, RecoveryCode, Session
from forum.models.actor import Actor
from forum.models.board import Board, Membership, Persona
from forum.models.form_token import FormToken
from forum.models.invite import Invite, InviteBatch
from forum.models.mentor import LinkState, MentorLink, MentorMessage
from forum.models.milestone import Milestone
from forum.models.notice import Notice, NoticeKind
from forum.models.post import Meeting, Mention, Post, Reaction, SavedPost, Thread, ThreadKind
from forum.models.rate import RateCounter
from forum.models.reading import Reading, Watch
from forum.models.site import SiteLanguage, SiteSettings

__all__ = [
    "Account",
    "Actor",
    "ApiToken",
    "Board",
    "FormToken",
    "Invite",
    "InviteBatch",
    "LinkState",
    "Meeting",
    "Membership",
    "Mention",
    "MentorLink",
    "MentorMessage",
    "Milestone",
    "Notice",
    "NoticeKind",
    "Persona",
    "Post",
    "RateCounter",
    "Reaction",
    "Reading",
    "RecoveryCode",
    "SavedPost",
    "Session",
    "SiteLanguage",
    "SiteSettings",
    "Thread",
    "ThreadKind",
    "Watch",
]
