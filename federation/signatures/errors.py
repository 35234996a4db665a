"""Why a signed request was refused, split by the status the caller answers with."""

from __future__ import annotations


class SignatureError(Exception):
    """Base for every problem with an HTTP message signature."""


class MalformedSignatureError(SignatureError):
    """The signature headers cannot be read at all: the caller answers 400."""


class InvalidSignatureError(SignatureError):
    """The signature was read but is not acceptable: the caller answers 401.

    Peers such as Mastodon retry a 401 with the other signature scheme, so every
    problem with trust (bad bytes, stale time, uncovered components, wrong digest)
    lands here rather than in the 400 branch.
    """


class SignatureMismatchError(InvalidSignatureError):
    """Everything else checked out, but the signature does not verify with this key.

    The one refusal a newer copy of the key could turn around: callers that cache keys
    fetch the key again on this error, and only on this one.
    """
