"""Who signed a request: the key its signature names, fetched (or remembered), and the
signature checked against it. The inbox's POSTs and authorized fetch's GETs both ask here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from federation.remote_actors import ActorResolver, SigningKey
from federation.signatures import SignatureMismatchError, SignedRequest, verify_signature


async def verify_signer(
    resolver: ActorResolver, signed: SignedRequest, *, body: bytes | None, max_skew: timedelta
) -> SigningKey:
    """The key that signed `signed` (and `body`, for a POST).

    Raises InvalidSignatureError when the signature does not verify, ActorUnavailableError
    when its key cannot be had.
    """
    signer = await resolver.signing_key(signed.key_id)
    try:
        _check(signed, signer, body, max_skew)
    except SignatureMismatchError:
        # The peer may have rotated its key: fetch it once more, then decide. Other
        # refusals (stale date, wrong digest) would fail with any key: no fetch.
        signer = await resolver.signing_key(signed.key_id, refresh=True)
        _check(signed, signer, body, max_skew)
    return signer


def _check(
    signed: SignedRequest, signer: SigningKey, body: bytes | None, max_skew: timedelta
) -> None:
    verify_signature(signed, signer.key, body=body, now=datetime.now(UTC), max_skew=max_skew)
