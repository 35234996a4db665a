"""The one outbound HTTP client federation uses, guarded against hostile URLs.

Peers hand us URLs (actor ids, key ids, inboxes) and we request them, so every request
goes through three checks before a byte leaves: the URL (https only, no user:password,
no IP literals), then the address, which the network backend resolves itself and checks
before connecting to exactly the address it checked, so a DNS answer cannot change
between the check and the connection (DNS rebinding). TLS SNI, certificate checks and
the Host header still use the host name. `fetch_json` and `post` add manual redirects
(each hop checked again, by the caller's `gate` too), size limits and clear errors on top.

Test mode (`FetchPolicy.insecure`, from KINDRED_FEDERATION_INSECURE=1) allows plain http
and private addresses so two instances can federate on 127.0.0.x.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from federation.addresses import IPAddress, Resolver, is_public_address, parse_ip, resolve_host
from forum.i18n import N_
from forum.stored_text import english, remember

# Peers serve HTML and JSON at one URL (Kindred does too); Accept picks the JSON.
ACTIVITY_JSON = (
    "application/activity+json, "
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)

# A POST's outcome is its status; keep only enough of the answer to log why it failed.
_POST_ANSWER_BYTES = 64 * 1024
# Headers that belong to one origin; dropped when a redirect leaves it.
_CREDENTIAL_HEADERS = ("authorization", "cookie", "signature", "signature-input")
# Connections to one origin at once (delivery asks for fewer per host), and how many
# origins' pools are kept before those without connections are dropped.
_PER_ORIGIN = 20
_MAX_ORIGINS = 1024

# Why a fetch was refused or failed: in English for logs and the CLI, and shown to admins
# in their own language where a page reports one, such as a blocklist subscription's last
# error (forum.stored_text).
NOT_A_URL = remember(N_("Not a valid URL: %(error)s."))
ONLY_HTTPS = remember(N_("Only https URLs may be fetched, not %(url)s."))
ONLY_HTTP_OR_HTTPS = remember(N_("Only http or https URLs may be fetched, not %(url)s."))
WITH_PASSWORD = remember(N_("URLs with a user name or password are refused."))
NO_HOST = remember(N_("The URL %(url)s has no host."))
IP_LITERAL = remember(N_("%(url)s names an IP address instead of a host."))
TOO_SLOW = remember(N_("%(url)s took longer than %(seconds)s s."))
NOT_JSON = remember(N_("%(url)s did not answer valid JSON."))
NOT_AN_OBJECT = remember(N_("%(url)s answered JSON that is not an object."))
REDIRECTS = remember(N_("%(url)s redirected more than %(most)d times."))
BAD_REDIRECT = remember(N_("%(url)s redirected to an invalid URL."))
# Before WRONG_TYPE: a stored sentence is read back by the first shape it fits.
NO_TYPE = remember(N_("%(url)s answered no content type, not JSON."))
WRONG_TYPE = remember(N_("%(url)s answered %(type)s, not JSON."))
TOO_LARGE = remember(N_("%(url)s sent more than %(bytes)d bytes."))
TRUNCATED_GZIP = remember(N_("%(url)s sent a truncated gzip body."))
CORRUPT_GZIP = remember(N_("%(url)s sent a corrupt gzip body."))
TIMED_OUT = remember(N_("%(url)s timed out."))
NOT_PUBLIC = remember(N_("%(host)s resolves to a non-public address."))


class FetchError(Exception):
    """Base for every reason an outbound request did not give a usable answer."""


class UnsafeURLError(FetchError):
    """The URL is not one federation may request (scheme, user:password, no host)."""


class BlockedAddressError(FetchError):
    """The host is, or resolves to, an address federation must not reach.

    The message names the host but not the address, so callers may show it to a peer
    without turning us into a probe of our own network's DNS; `address` is for logs.
    """

    def __init__(self, message: str, address: IPAddress) -> None:
        super().__init__(message)
        self.address = address


class HostRefusedError(FetchError):
    """The caller's gate refused the host (domain policy, federation mode)."""


# Asked before each hop of a GET, before any connection: raises HostRefusedError.
Gate = Callable[[httpx.URL], Awaitable[None]]


class TooManyRedirectsError(FetchError):
    """The redirect chain was longer than the policy allows."""


class ResponseTooLargeError(FetchError):
    """The answer was bigger than the policy allows (declared or actually sent)."""


class BadResponseError(FetchError):
    """The answer is not what was asked for: wrong content type, encoding or JSON."""


class FetchFailedError(FetchError):
    """The network failed, the request timed out, or the peer answered an error status."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class FetchTimeouts:
    """Seconds to connect (including DNS), to wait between reads, and for a whole call."""

    connect: float = 10.0
    read: float = 10.0
    total: float = 30.0


@dataclass(frozen=True)
class FetchPolicy:
    insecure: bool = False
    timeout: FetchTimeouts = field(default_factory=FetchTimeouts)
    max_response_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 3
    user_agent: str = "Kindred/0.1.0"

    def __post_init__(self) -> None:
        timeouts = (self.timeout.connect, self.timeout.read, self.timeout.total)
        if min(timeouts) <= 0:
            raise ValueError("Fetch timeouts must be positive numbers of seconds.")
        if self.max_response_bytes <= 0:
            raise ValueError("max_response_bytes must be positive.")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must be zero or more.")


class SafeClient(httpx.AsyncClient):
    """An httpx client bound to a FetchPolicy; build it with `make_client`.

    Plain `get`/`post` calls on it are still address- and URL-checked by its transport;
    `fetch_json` and `post` below add the redirect and size rules.
    """

    def __init__(self, policy: FetchPolicy, transport: httpx.AsyncBaseTransport) -> None:
        super().__init__(
            transport=transport,
            timeout=httpx.Timeout(
                connect=policy.timeout.connect,
                read=policy.timeout.read,
                write=policy.timeout.read,
                pool=policy.timeout.connect,
            ),
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip"},
            follow_redirects=False,
            # No proxies or .netrc credentials from the environment: either would send
            # requests somewhere other than the address we checked.
            trust_env=False,
        )
        self.policy = policy

    # Peers' cookies are neither kept nor sent back: nothing federation does needs them,
    # and reading every answer into a cookie jar cost ~40 µs of each delivery.
    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        pass


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The system trust store, loaded once a process: loading it takes about 30 ms of CPU,
    and an SSLContext is meant to be shared by every connection that verifies the same way."""
    return httpx.create_ssl_context()


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def make_client(
    policy: FetchPolicy,
    *,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> SafeClient:
    """The client all federation traffic uses; one per process, closed on shutdown.

    `resolver` turns host names into addresses (default: the system resolver);
    `ssl_context` replaces the default trust store; `network_backend` opens the sockets
    once an address has passed the checks. Tests inject all three.
    """
    transport = _GuardedTransport(
        policy,
        resolver=resolver or resolve_host,
        ssl_context=ssl_context or default_ssl_context(),
        network_backend=network_backend or httpcore.AnyIOBackend(),
    )
    return SafeClient(policy, transport)


def check_url(url: str | httpx.URL, policy: FetchPolicy) -> httpx.URL:
    """The parsed URL if federation may request it; raises UnsafeURLError or
    BlockedAddressError (IP literals) otherwise. Host names are checked at connect time."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURLError(english(NOT_A_URL, error=str(exc))) from None
    allowed = ("http", "https") if policy.insecure else ("https",)
    if parsed.scheme not in allowed:
        message = ONLY_HTTPS if "http" not in allowed else ONLY_HTTP_OR_HTTPS
        raise UnsafeURLError(english(message, url=str(url)))
    if parsed.userinfo:
        # The URL is left out of the message: it holds a password.
        raise UnsafeURLError(WITH_PASSWORD)
    if not parsed.host:
        raise UnsafeURLError(english(NO_HOST, url=str(url)))
    literal = parse_ip(parsed.host)
    if literal is not None and not policy.insecure:
        raise BlockedAddressError(english(IP_LITERAL, url=str(url)), literal)
    return parsed


async def fetch_json(
    client: SafeClient,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    accept: str = ACTIVITY_JSON,
    auth: httpx.Auth | None = None,
    gate: Gate | None = None,
) -> dict[str, Any]:
    """GET a JSON object, following redirects up to the policy's limit.

    `auth` runs for every hop, so an HTTP-signature Auth signs each URL it is sent to;
    `gate` is asked about every hop's URL before it is requested.
    """
    policy = client.policy
    try:
        async with asyncio.timeout(policy.timeout.total):
            body = await _get_following_redirects(client, url, headers, accept, auth, gate)
    except TimeoutError:
        raise FetchFailedError(
            english(TOO_SLOW, url=url, seconds=f"{policy.timeout.total:g}")
        ) from None
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        raise BadResponseError(english(NOT_JSON, url=url)) from None
    if not isinstance(obj, dict):
        raise BadResponseError(english(NOT_AN_OBJECT, url=url))
    return obj


async def post(
    client: SafeClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    auth: httpx.Auth | None = None,
) -> httpx.Response:
    """POST `body` and return the peer's answer, whatever its status.

    Redirects are returned, not followed: a signed POST is only valid for the URL it
    was signed for. Only the first 64 KiB of the answer's body is kept.
    """
    policy = client.policy
    target = check_url(url, policy)
    request = client.build_request("POST", target, content=body, headers=headers)
    try:
        async with asyncio.timeout(policy.timeout.total):
            with _network_errors(target):
                response = await client.send(request, auth=auth, stream=True)
                try:
                    answer = await _read_answer(response)
                finally:
                    await response.aclose()
    except TimeoutError:
        raise FetchFailedError(
            english(TOO_SLOW, url=url, seconds=f"{policy.timeout.total:g}")
        ) from None
    kept = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(response.status_code, headers=kept, content=answer, request=request)


async def _get_following_redirects(
    client: SafeClient,
    url: str,
    headers: Mapping[str, str] | None,
    accept: str,
    auth: httpx.Auth | None,
    gate: Gate | None,
) -> bytes:
    policy = client.policy
    request_headers = httpx.Headers({"Accept": accept, **(headers or {})})
    target = check_url(url, policy)
    for _hop in range(policy.max_redirects + 1):
        if gate is not None:
            await gate(target)
        request = client.build_request("GET", target, headers=request_headers)
        with _network_errors(target):
            response = await client.send(request, auth=auth, stream=True)
            try:
                if response.has_redirect_location:
                    following = _redirect_target(response)
                    if _origin(following) != _origin(target):
                        for name in _CREDENTIAL_HEADERS:
                            request_headers.pop(name, None)
                    target = check_url(following, policy)
                    continue
                if not response.is_success:
                    raise FetchFailedError(
                        f"{target} answered {response.status_code}.", response.status_code
                    )
                _check_json_type(response)
                return await _read_body(response, policy.max_response_bytes)
            finally:
                await response.aclose()
    raise TooManyRedirectsError(english(REDIRECTS, url=url, most=policy.max_redirects))


def _redirect_target(response: httpx.Response) -> httpx.URL:
    location = response.headers["Location"]
    try:
        return response.url.join(location).copy_with(fragment=None)
    except httpx.InvalidURL:
        raise UnsafeURLError(english(BAD_REDIRECT, url=str(response.url))) from None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _check_json_type(response: httpx.Response) -> None:
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    # application/json, activity+json, ld+json, jrd+json (WebFinger) and friends.
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise BadResponseError(
        english(WRONG_TYPE, url=str(response.url), type=media_type)
        if media_type
        else english(NO_TYPE, url=str(response.url))
    )


async def _read_body(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """Read at most `limit` decoded bytes, counting what actually arrives: Content-Length
    only matters when it admits to being too big (chunked answers may carry a false one).

    Gzip is inflated here with a bound on the output, so a small bomb cannot expand past
    the limit in memory the way decoding whole chunks would.
    """
    declared = response.headers.get("Content-Length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLargeError(
            f"{response.url} announced {declared} bytes; the limit is {limit}."
        )
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise BadResponseError(
            f"{response.url} answered in an encoding we did not ask for: {encoding}."
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS) if encoding != "identity" else None
    body = bytearray()
    try:
        async for chunk in _raw_chunks(response):
            body += inflater.decompress(chunk, limit + 1 - len(body)) if inflater else chunk
            if len(body) > limit:
                if truncate:
                    return bytes(body[:limit])
                raise ResponseTooLargeError(english(TOO_LARGE, url=str(response.url), bytes=limit))
        if inflater is not None and not inflater.eof:
            raise BadResponseError(english(TRUNCATED_GZIP, url=str(response.url)))
    except zlib.error:
        raise BadResponseError(english(CORRUPT_GZIP, url=str(response.url))) from None
    return bytes(body)


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    if response.is_stream_consumed:  # an answer made in memory (httpx.MockTransport)
        yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


async def _read_answer(response: httpx.Response) -> bytes:
    """The start of a POST's answer, for logs: once the status is in, the POST happened,
    so nothing about the body may turn it into an error (and a re-delivery)."""
    try:
        return await _read_body(response, _POST_ANSWER_BYTES, truncate=True)
    except (BadResponseError, httpx.HTTPError):
        return b""


@contextlib.contextmanager
def _network_errors(url: httpx.URL) -> Iterator[None]:
    """Turn httpx's transport errors into FetchFailedError, naming the URL."""
    try:
        yield
    except httpx.TimeoutException:
        raise FetchFailedError(english(TIMED_OUT, url=str(url))) from None
    except httpx.HTTPError as exc:
        raise FetchFailedError(
            f"{url} could not be fetched: {str(exc) or type(exc).__name__}."
        ) from exc


class _GuardedTransport(httpx.AsyncBaseTransport):
    """URL checks, then a keep-alive pool of its own for each origin.

    One pool per origin because httpcore's pool looks at every connection it holds (a
    poll(2) each) for every request, and closes idle ones once it holds more than its
    keep-alive limit in all: one shared pool for many peers reconnected on almost every
    delivery. A peer's pool keeps its few connections alive between deliveries.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver,
        ssl_context: ssl.SSLContext,
        network_backend: httpcore.AsyncNetworkBackend,
    ) -> None:
        self._policy = policy
        self._ssl_context = ssl_context
        self._backend = _GuardedBackend(policy, resolver, network_backend)
        self._origins: dict[tuple[str, str, int | None], _OriginTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url(request.url, self._policy)
        origin = _origin(request.url)
        transport = self._origins.get(origin)
        if transport is None:
            if len(self._origins) >= _MAX_ORIGINS:
                self._forget_idle_origins()
            transport = _OriginTransport(self._ssl_context, self._backend)
            self._origins[origin] = transport
        return await transport.handle_async_request(request)

    def _forget_idle_origins(self) -> None:
        # A pool without connections holds no sockets: dropping it closes nothing.
        for origin, transport in list(self._origins.items()):
            if not transport.holds_connections():
                del self._origins[origin]

    async def aclose(self) -> None:
        transports = list(self._origins.values())
        self._origins.clear()
        for transport in transports:
            await transport.aclose()


class _OriginTransport(httpx.AsyncHTTPTransport):
    """httpx's transport for one origin, on `_GuardedBackend`.

    httpx has no public way to pass a network backend, so the pool it builds is replaced
    with an equivalent one; the fetch tests fail if that ever stops taking effect.
    """

    def __init__(self, ssl_context: ssl.SSLContext, backend: _GuardedBackend) -> None:
        super().__init__(verify=ssl_context)
        # The keep-alive limit is the connection limit: httpcore counts every connection
        # against it, busy or idle, and would otherwise close idle ones under load.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=_PER_ORIGIN,
            max_keepalive_connections=_PER_ORIGIN,
            keepalive_expiry=30.0,
            network_backend=backend,
        )

    def holds_connections(self) -> bool:
        return bool(self._pool.connections)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host, refuses it if any address is not public, then connects to a
    checked address itself. httpcore still uses the host name for TLS (SNI, certificate)."""

    def __init__(
        self, policy: FetchPolicy, resolver: Resolver, inner: httpcore.AsyncNetworkBackend
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"Resolving {host} timed out.") from None
        if not self._policy.insecure:
            # One bad address refuses the host: a name that mixes public and private
            # answers is either misconfigured or hoping one of the private ones is picked.
            for address in addresses:
                if not is_public_address(address):
                    raise BlockedAddressError(english(NOT_PUBLIC, host=host), address)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        literal = parse_ip(host)
        if literal is not None:
            return [literal]
        try:
            answers = await self._resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"Cannot resolve {host}: {exc}.") from None
        addresses = [parse_ip(answer) for answer in answers]
        valid = [address for address in addresses if address is not None]
        if not valid or len(valid) != len(addresses):
            raise httpcore.ConnectError(f"Cannot resolve {host}: no usable addresses.")
        return valid

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("Federation never connects to unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
