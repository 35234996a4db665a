"""Logins of apps that speak Lemmy's API: each is a personal API token (forum.models
ApiToken, stored as its SHA-256) whose text is a JWT, as Lemmy apps expect one.

So an app's login works wherever a personal token does, is listed on /account with the
other tokens ("Lemmy app"), and is revoked there or by the app's logout. The JWT carries
no account id: who it stands for is found by its hash, never by decoding it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import cast

import jwt

from forum import account_cache, tokens
from forum.models import Account, ApiToken

TOKEN_NAME = "Lemmy app"  # noqa: S105 (a label shown on /account)


async def start_app_login(account: Account, *, issuer: str, key: bytes) -> str:
    """A new signed JWT for the account, stored as one of its API tokens."""
    claims = {
        "iss": issuer,
        "iat": int(datetime.now(UTC).timestamp()),
        "sid": secrets.token_urlsafe(24),
    }
    token = jwt.encode(claims, key, algorithm="HS256")
    await ApiToken.create(token_hash=tokens.digest(token), name=TOKEN_NAME, account=account)
    return token


async def end_app_login(token: str) -> bool:
    """Revoke the token an app logs out with; whether there was one."""
    digest = tokens.digest(token)
    owners = await ApiToken.filter(token_hash=digest).values_list("account_id", flat=True)
    deleted = await ApiToken.filter(token_hash=digest).delete()
    for account_id in owners:
        await account_cache.account_changed(cast("int", account_id))
    return bool(deleted)
