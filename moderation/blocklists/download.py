"""Fetching a subscribed list: a CSV at a URL, through federation's guarded client.

federation.fetch checks every URL and address (https only, no private addresses, each
redirect hop again) and bounds each call's time; this adds what a CSV needs: a content
type check, the blocklist size cap while reading, and ETag / If-None-Match.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from federation.fetch import (
    BadResponseError,
    FetchFailedError,
    FetchPolicy,
    ResponseTooLargeError,
    SafeClient,
    TooManyRedirectsError,
    check_url,
    make_client,
)
from forum import __version__
from forum.i18n import N_
from forum.settings import Settings
from forum.stored_text import english, remember
from moderation.blocklists.csvfile import MAX_BYTES, decode_blocklist

# Kept in a subscribed list's last status (in English; forum.stored_text translates them).
TOOK_TOO_LONG = remember(N_("%(url)s took longer than %(seconds)s s."))
NOT_FETCHED = remember(N_("%(url)s could not be fetched: %(reason)s."))
ANSWERED = remember(N_("%(url)s answered %(status)s."))

# What servers send CSV as: GitHub's raw files are text/plain, some send no type at all.
CSV_TYPES = {
    "",
    "text/csv",
    "text/plain",
    "application/csv",
    "text/x-csv",
    "text/comma-separated-values",
    "application/octet-stream",
}

_MIB = f"{MAX_BYTES // 1024 // 1024} MiB"


@dataclass(frozen=True)
class Download:
    text: str | None  # None: not modified since `etag`
    etag: str | None


def list_client(settings: Settings) -> SafeClient:
    """A guarded client for list fetches (close it after use), with the instance's
    test-mode setting and user agent."""
    policy = FetchPolicy(
        insecure=settings.federation_insecure,
        user_agent=f"Kindred/{__version__} (+{settings.public_url})",
    )
    return make_client(policy)


async def download_list(client: SafeClient, url: str, etag: str | None = None) -> Download:
    """The list's text, or Download(None, etag) when the server answers 304. Raises
    federation.fetch's FetchError (network, status, type, size) or a BlocklistError (not
    UTF-8), each with a sentence naming the URL."""
    policy = client.policy
    try:
        async with asyncio.timeout(policy.timeout.total):
            return await _follow(client, url, etag)
    except TimeoutError:
        seconds = f"{policy.timeout.total:g}"
        raise FetchFailedError(english(TOOK_TOO_LONG, url=url, seconds=seconds)) from None


async def _follow(client: SafeClient, url: str, etag: str | None) -> Download:
    policy = client.policy
    # Identity: a gzip body is inflated by httpx without a bound, a bomb in a few KiB.
    headers = {"Accept": "text/csv, text/plain;q=0.9", "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    target = check_url(url, policy)
    for _hop in range(policy.max_redirects + 1):
        request = client.build_request("GET", target, headers=headers)
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchFailedError(english(NOT_FETCHED, url=target, reason=reason)) from exc
        try:
            if response.status_code == 304 and etag:
                return Download(None, etag)
            if response.has_redirect_location:
                target = check_url(response.url.join(response.headers["Location"]), policy)
                continue
            if not response.is_success:
                raise FetchFailedError(
                    english(ANSWERED, url=target, status=str(response.status_code)),
                    response.status_code,
                )
            return Download(decode_blocklist(await _read(response)), response.headers.get("ETag"))
        finally:
            await response.aclose()
    raise TooManyRedirectsError(f"{url} redirected more than {policy.max_redirects} times.")


async def _read(response: httpx.Response) -> bytes:
    media_type = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise BadResponseError(f"{response.url} answered {media_type}, not a CSV blocklist.")
    if response.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        raise BadResponseError(f"{response.url} answered compressed, which we did not ask for.")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise ResponseTooLargeError(f"{response.url} is {declared} bytes, over {_MIB}.")
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > MAX_BYTES:
            raise ResponseTooLargeError(f"{response.url} sent more than {_MIB}.")
    return bytes(body)
