"""The outbound client: what it fetches, and what it refuses before any connection.

A tiny HTTP/1.1 server on 127.0.0.1 plays the peer (plain and TLS). Host names resolve
through `FakeDNS`, and sockets open through `FakeInternet`, which routes one made-up
public address to that server and fails the test on any other non-loopback address, so
nothing here can reach a real network even if the guard were broken.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation.addresses import is_public_address, resolve_host
from federation.fetch import (
    BadResponseError,
    BlockedAddressError,
    FetchError,
    FetchFailedError,
    FetchPolicy,
    FetchTimeouts,
    ResponseTooLargeError,
    SafeClient,
    TooManyRedirectsError,
    UnsafeURLError,
    fetch_json,
    make_client,
    post,
)

# Stands for a peer on the internet; FakeInternet connects it to 127.0.0.1.
PUBLIC_IP = "93.184.215.14"
LIMIT = 64 * 1024
SECURE = FetchPolicy(
    timeout=FetchTimeouts(connect=2.0, read=2.0, total=5.0),
    max_response_bytes=LIMIT,
    user_agent="Kindred/0.1.0 (+https://kindred.example)",
)
INSECURE = dataclasses.replace(SECURE, insecure=True)
ACTOR = {"id": "https://peer.example/p/abc", "type": "Person"}
TLS_NAMES = ("peer.example", "other.example", "internal.example")


# -- the peer --------------------------------------------------------------------------


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _answer(
    status: str, body: bytes = b"", content_type: str = "application/activity+json", *extra: str
) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", *extra]
    if not any(line.lower().startswith(("content-length", "transfer-encoding")) for line in extra):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _redirect(location: str, status: str = "302 Found") -> bytes:
    return _answer(status, b"", "text/plain", f"Location: {location}")


def _chunked(body: bytes, size: int = 8192) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


ROUTES: dict[str, bytes] = {
    "/actor": _answer("200 OK", json.dumps(ACTOR).encode()),
    "/hop1": _redirect("/hop2"),
    "/hop2": _redirect("/actor", "308 Permanent Redirect"),
    "/loop": _redirect("/loop"),
    "/big": _answer("200 OK", b" " * (LIMIT + 1)),
    # The header claims 2 bytes; the chunked framing (which wins) carries far more.
    "/lying": _answer(
        "200 OK",
        _chunked(b" " * (LIMIT * 4)),
        "application/activity+json",
        "Content-Length: 2",
        "Transfer-Encoding: chunked",
    ),
    "/gzip": _answer(
        "200 OK",
        gzip.compress(json.dumps(ACTOR).encode()),
        "application/json",
        "Content-Encoding: gzip",
    ),
    "/bomb": _answer(
        "200 OK", gzip.compress(b" " * (LIMIT * 200)), "application/json", "Content-Encoding: gzip"
    ),
    "/brotli": _answer("200 OK", b"\x0b\x02\x80{}\x03", "application/json", "Content-Encoding: br"),
    "/html": _answer("200 OK", b"<!doctype html><p>hello</p>", "text/html; charset=utf-8"),
    "/no-type": _answer("200 OK", b"{}", ""),
    "/invalid": _answer("200 OK", b'{"id": "https://peer.example/p/abc",'),
    "/array": _answer("200 OK", b'[{"type": "Person"}]'),
    "/binary": _answer("200 OK", b"\xff\xfe\x00garbage"),
    "/deep": _answer("200 OK", b"[" * 30_000 + b"]" * 30_000, "application/json"),
    "/missing": _answer("404 Not Found", b'{"error": "not found"}', "application/json"),
    "/inbox": _answer("202 Accepted", b"accepted", "text/plain"),
    "/cookie": _answer(
        "200 OK", json.dumps(ACTOR).encode(), "application/json", "Set-Cookie: track=1; Path=/"
    ),
    "/moved-inbox": _redirect("/inbox", "307 Temporary Redirect"),
}


class Peer:
    """A tiny HTTP/1.1 server on 127.0.0.1 that answers from ROUTES and records what it saw."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.connections = 0
        self.server_names: list[str | None] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        try:
            while await self._answer_one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _answer_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, target, _ = request_line.split(" ")
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines if line)
        )
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        url = urlsplit(target)
        self.requests.append(Seen(method, url.path, headers, body))
        if url.path == "/redirect":
            writer.write(_redirect(parse_qs(url.query)["to"][0]))
        elif url.path == "/stall":
            await asyncio.Event().wait()  # until the peer is stopped
        elif url.path == "/trickle":
            writer.write(_answer("200 OK", b"", "application/json", "Content-Length: 100"))
            for _ in range(100):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        else:
            writer.write(ROUTES.get(url.path, _answer("404 Not Found", b"{}")))
        await writer.drain()
        return True


class FakeDNS:
    """A resolver answering from a table, recording every name it was asked about."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class FakeInternet(httpcore.AsyncNetworkBackend):
    """Opens sockets only to loopback, and to PUBLIC_IP by way of 127.0.0.1.

    Any other address fails the test before a socket exists; `attempts` lists what the
    client asked to connect to.
    """

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append(host)
        if host == PUBLIC_IP:
            host = "127.0.0.1"
        elif not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"the client tried to connect to {host}")
        return await self._real.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


# -- fixtures ---------------------------------------------------------------------------


@dataclasses.dataclass
class TLS:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLS:
    """A self-signed certificate for the made-up peer names."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kindred test peer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in TLS_NAMES]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return TLS(server=server, client=ssl.create_default_context(cadata=cert_pem.decode()))


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    """The peer over plain HTTP (reachable only in test mode)."""
    server = Peer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def tls_peer(tls: TLS) -> AsyncIterator[Peer]:
    """The peer over HTTPS, recording the SNI name each handshake asked for."""
    server = Peer()
    tls.server.sni_callback = lambda _sock, name, _ctx: server.server_names.append(name)
    await server.start(tls.server)
    yield server
    await server.stop()


@pytest.fixture
def dns() -> FakeDNS:
    return FakeDNS({"peer.example": [PUBLIC_IP], "other.example": [PUBLIC_IP]})


@pytest.fixture
def net() -> FakeInternet:
    return FakeInternet()


@pytest.fixture
async def clients(
    dns: FakeDNS, net: FakeInternet, tls: TLS
) -> AsyncIterator[Callable[..., SafeClient]]:
    """Builds clients on the fake DNS and network; closes them after the test."""
    made: list[SafeClient] = []

    def build(policy: FetchPolicy = SECURE, *, system_resolver: bool = False) -> SafeClient:
        resolver = None if system_resolver else dns
        client = make_client(policy, resolver=resolver, ssl_context=tls.client, network_backend=net)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


@pytest.fixture
def no_network_contact(
    dns: FakeDNS, net: FakeInternet, peer: Peer, tls_peer: Peer
) -> Generator[None, None, None]:
    """After the test: no name was looked up and no peer saw a connection."""
    yield
    assert dns.lookups == []
    assert net.attempts == []
    assert peer.connections == tls_peer.connections == 0


def _url(server: Peer, path: str = "/actor", host: str = "peer.example") -> str:
    return f"https://{host}:{server.port}{path}"


# -- what it fetches --------------------------------------------------------------------


async def test_insecure_policy_fetches_json_from_loopback(
    peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    client = clients(INSECURE)

    obj = await fetch_json(client, f"http://127.0.0.1:{peer.port}/actor")

    assert obj == ACTOR
    [seen] = peer.requests
    assert seen.headers["user-agent"] == "Kindred/0.1.0 (+https://kindred.example)"
    assert seen.headers["accept"].startswith("application/activity+json")


async def test_secure_policy_connects_to_the_checked_address_with_the_host_name_for_tls(
    tls_peer: Peer, clients: Callable[..., SafeClient], dns: FakeDNS, net: FakeInternet
) -> None:
    obj = await fetch_json(clients(), _url(tls_peer))

    assert obj == ACTOR
    assert dns.lookups == ["peer.example"]
    # The socket layer got the address that was checked, never the name, so nothing
    # resolves it a second time behind the check.
    assert net.attempts == [PUBLIC_IP]
    assert tls_peer.server_names == ["peer.example"]
    assert tls_peer.requests[0].headers["host"] == f"peer.example:{tls_peer.port}"


async def test_fetches_reuse_a_kept_alive_connection(
    tls_peer: Peer, clients: Callable[..., SafeClient], dns: FakeDNS
) -> None:
    client = clients()

    await fetch_json(client, _url(tls_peer))
    await fetch_json(client, _url(tls_peer))

    assert tls_peer.paths == ["/actor", "/actor"]
    assert tls_peer.connections == 1
    assert dns.lookups == ["peer.example"]


async def test_concurrent_fetches_open_several_connections_to_one_host(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    client = clients()

    results = await asyncio.gather(*(fetch_json(client, _url(tls_peer)) for _ in range(4)))

    assert results == [ACTOR] * 4
    assert tls_peer.connections > 1


async def test_a_burst_to_one_peer_keeps_another_peers_connection_alive(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    client = clients()
    other = _url(tls_peer, host="other.example")

    await fetch_json(client, other)
    await asyncio.gather(*(fetch_json(client, _url(tls_peer)) for _ in range(24)))
    await fetch_json(client, other)

    # Each origin has a pool of its own: the burst's 20 connections (its cap) did not
    # push the other peer's idle connection out.
    assert tls_peer.server_names.count("other.example") == 1
    assert tls_peer.server_names.count("peer.example") == 20


async def test_a_peers_cookies_are_not_sent_back(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    client = clients()

    await fetch_json(client, _url(tls_peer, "/cookie"))
    await fetch_json(client, _url(tls_peer))

    assert "cookie" not in tls_peer.requests[1].headers


async def test_gzip_answers_are_decoded(tls_peer: Peer, clients: Callable[..., SafeClient]) -> None:
    assert await fetch_json(clients(), _url(tls_peer, "/gzip")) == ACTOR


async def test_redirects_are_followed(tls_peer: Peer, clients: Callable[..., SafeClient]) -> None:
    assert await fetch_json(clients(), _url(tls_peer, "/hop1")) == ACTOR
    assert tls_peer.paths == ["/hop1", "/hop2", "/actor"]


async def test_auth_runs_per_hop_and_credentials_stay_with_their_origin(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    class SignEachRequest(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers["Signature"] = f"signed for {request.url.host}"
            yield request

    other = quote(_url(tls_peer, host="other.example"), safe="")

    await fetch_json(
        clients(),
        _url(tls_peer, f"/redirect?to={other}"),
        headers={"Authorization": "Bearer only-for-peer"},
        auth=SignEachRequest(),
    )

    first, second = tls_peer.requests
    assert first.headers["authorization"] == "Bearer only-for-peer"
    assert first.headers["signature"] == "signed for peer.example"
    assert "authorization" not in second.headers
    assert second.headers["signature"] == "signed for other.example"
    assert tls_peer.server_names == ["peer.example", "other.example"]


# -- what it refuses before connecting ----------------------------------------------------


async def test_secure_policy_refuses_plain_http(
    peer: Peer, clients: Callable[..., SafeClient], no_network_contact: None
) -> None:
    with pytest.raises(UnsafeURLError):
        await fetch_json(clients(), f"http://peer.example:{peer.port}/actor")


@pytest.mark.parametrize(
    "url", ["ftp://peer.example/actor", "file:///etc/passwd", "peer.example/actor"]
)
async def test_other_schemes_are_refused_even_in_test_mode(
    url: str, clients: Callable[..., SafeClient], no_network_contact: None
) -> None:
    with pytest.raises(UnsafeURLError):
        await fetch_json(clients(INSECURE), url)


@pytest.mark.parametrize("policy", [SECURE, INSECURE], ids=["secure", "insecure"])
async def test_urls_with_credentials_are_refused_without_echoing_them(
    policy: FetchPolicy, clients: Callable[..., SafeClient], no_network_contact: None
) -> None:
    with pytest.raises(UnsafeURLError) as refused:
        await fetch_json(clients(policy), "https://admin:hunter2@peer.example/actor")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "169.254.169.254",
        "192.168.1.1",
        "172.16.0.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "64:ff9b::a00:5",
        "2002:7f00:1::1",
    ],
)
async def test_secure_policy_refuses_hosts_that_resolve_to_non_public_addresses(
    address: str,
    tls_peer: Peer,
    clients: Callable[..., SafeClient],
    dns: FakeDNS,
    net: FakeInternet,
) -> None:
    dns.table["peer.example"] = [address]

    with pytest.raises(BlockedAddressError) as refused:
        await fetch_json(clients(), _url(tls_peer))

    assert refused.value.address == ipaddress.ip_address(address)
    assert address not in str(refused.value)  # a peer shown the message learns no address
    assert net.attempts == []
    assert tls_peer.connections == 0


async def test_one_non_public_answer_refuses_the_whole_host(
    tls_peer: Peer, clients: Callable[..., SafeClient], dns: FakeDNS, net: FakeInternet
) -> None:
    dns.table["peer.example"] = [PUBLIC_IP, "10.0.0.5"]

    with pytest.raises(BlockedAddressError):
        await fetch_json(clients(), _url(tls_peer))

    assert net.attempts == []


async def test_a_new_connection_checks_a_fresh_dns_answer(
    tls_peer: Peer, clients: Callable[..., SafeClient], dns: FakeDNS, net: FakeInternet
) -> None:
    await fetch_json(clients(), _url(tls_peer))
    dns.table["peer.example"] = ["127.0.0.1"]  # the name is rebound after a good answer

    with pytest.raises(BlockedAddressError):
        await fetch_json(clients(), _url(tls_peer))

    assert net.attempts == [PUBLIC_IP]
    assert tls_peer.connections == 1


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "[::1]", "10.0.0.5", "169.254.169.254", "[::ffff:127.0.0.1]", PUBLIC_IP]
)
async def test_secure_policy_refuses_ip_literals(
    host: str, tls_peer: Peer, clients: Callable[..., SafeClient], no_network_contact: None
) -> None:
    with pytest.raises(BlockedAddressError):
        await fetch_json(clients(), _url(tls_peer, host=host))


async def test_the_system_resolver_is_used_by_default_and_localhost_is_refused(
    tls_peer: Peer, clients: Callable[..., SafeClient], net: FakeInternet
) -> None:
    assert "127.0.0.1" in await resolve_host("localhost", 443)

    with pytest.raises(BlockedAddressError):
        await fetch_json(clients(system_resolver=True), _url(tls_peer, host="localhost"))

    assert net.attempts == []


async def test_plain_client_calls_are_guarded_too(
    tls_peer: Peer, clients: Callable[..., SafeClient], dns: FakeDNS, net: FakeInternet
) -> None:
    client = clients()
    dns.table["peer.example"] = ["10.0.0.5"]

    with pytest.raises(UnsafeURLError):
        await client.get(f"http://peer.example:{tls_peer.port}/actor")
    with pytest.raises(BlockedAddressError):
        await client.get(_url(tls_peer))

    assert net.attempts == []


# -- redirects ----------------------------------------------------------------------------


async def test_too_many_redirects_are_refused(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    with pytest.raises(TooManyRedirectsError):
        await fetch_json(clients(), _url(tls_peer, "/loop"))

    assert len(tls_peer.requests) == SECURE.max_redirects + 1


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("https://internal.example:{port}/actor", BlockedAddressError),
        ("https://169.254.169.254/latest/meta-data/", BlockedAddressError),
        ("https://[::1]:{port}/actor", BlockedAddressError),
        ("http://peer.example:{port}/actor", UnsafeURLError),
        ("https://nobody:secret@peer.example:{port}/actor", UnsafeURLError),
    ],
)
async def test_a_redirect_to_a_refused_url_is_stopped_at_that_hop(
    location: str,
    error: type[FetchError],
    tls_peer: Peer,
    clients: Callable[..., SafeClient],
    dns: FakeDNS,
    net: FakeInternet,
) -> None:
    dns.table["internal.example"] = ["10.0.0.5"]
    to = quote(location.format(port=tls_peer.port), safe="")

    with pytest.raises(error):
        await fetch_json(clients(), _url(tls_peer, f"/redirect?to={to}"))

    assert tls_peer.paths == ["/redirect"]
    assert net.attempts == [PUBLIC_IP]


# -- what it refuses in answers -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/big", "/lying", "/bomb"])
async def test_bodies_past_the_limit_are_refused(
    path: str, tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    with pytest.raises(ResponseTooLargeError):
        await fetch_json(clients(), _url(tls_peer, path))


@pytest.mark.parametrize("path", ["/html", "/no-type", "/brotli"])
async def test_answers_that_are_not_json_are_refused(
    path: str, tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    with pytest.raises(BadResponseError):
        await fetch_json(clients(), _url(tls_peer, path))


@pytest.mark.parametrize("path", ["/invalid", "/array", "/binary", "/deep"])
async def test_bodies_that_are_not_a_json_object_are_refused(
    path: str, tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    with pytest.raises(BadResponseError):
        await fetch_json(clients(), _url(tls_peer, path))


async def test_an_error_status_raises_with_the_status(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    with pytest.raises(FetchFailedError) as failed:
        await fetch_json(clients(), _url(tls_peer, "/missing"))
    assert failed.value.status_code == 404


async def test_an_unknown_host_fails_without_connecting(
    clients: Callable[..., SafeClient], net: FakeInternet
) -> None:
    with pytest.raises(FetchFailedError):
        await fetch_json(clients(), "https://nowhere.example/actor")
    assert net.attempts == []


async def test_a_closed_port_fails(clients: Callable[..., SafeClient]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused

        with pytest.raises(FetchFailedError):
            await fetch_json(clients(INSECURE), f"http://127.0.0.1:{port}/actor")


async def test_a_silent_peer_times_out(tls_peer: Peer, clients: Callable[..., SafeClient]) -> None:
    impatient = dataclasses.replace(SECURE, timeout=FetchTimeouts(connect=1.0, read=0.2, total=5.0))

    with pytest.raises(FetchFailedError, match="timed out"):
        await fetch_json(clients(impatient), _url(tls_peer, "/stall"))


async def test_a_trickling_peer_hits_the_total_timeout(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    impatient = dataclasses.replace(SECURE, timeout=FetchTimeouts(connect=1.0, read=1.0, total=0.5))

    with pytest.raises(FetchFailedError, match="longer than"):
        await fetch_json(clients(impatient), _url(tls_peer, "/trickle"))


# -- post ---------------------------------------------------------------------------------


async def test_post_sends_the_body_and_returns_the_answer(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    body = json.dumps({"type": "Follow"}).encode()

    response = await post(
        clients(), _url(tls_peer, "/inbox"), body, {"Content-Type": "application/activity+json"}
    )

    assert (response.status_code, response.text) == (202, "accepted")
    [seen] = tls_peer.requests
    assert (seen.method, seen.body) == ("POST", body)
    assert seen.headers["content-type"] == "application/activity+json"


async def test_post_returns_redirects_instead_of_following_them(
    tls_peer: Peer, clients: Callable[..., SafeClient]
) -> None:
    response = await post(clients(), _url(tls_peer, "/moved-inbox"), b"{}", {})

    assert response.status_code == 307
    assert tls_peer.paths == ["/moved-inbox"]


async def test_post_refuses_non_public_addresses(
    tls_peer: Peer, clients: Callable[..., SafeClient], dns: FakeDNS, net: FakeInternet
) -> None:
    dns.table["peer.example"] = ["192.168.1.1"]

    with pytest.raises(BlockedAddressError):
        await post(clients(), _url(tls_peer, "/inbox"), b"{}", {})

    assert net.attempts == []
    assert tls_peer.connections == 0


# -- policy and addresses -----------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"max_response_bytes": 0},
        {"max_redirects": -1},
        {"timeout": FetchTimeouts(connect=0)},
    ],
)
def test_policy_refuses_nonsense_limits(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FetchPolicy(**options)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC_IP, True),
        ("2606:4700:4700::1111", True),
        (f"::ffff:{PUBLIC_IP}", True),
        ("64:ff9b::5db8:d70e", True),  # NAT64 of PUBLIC_IP
        ("100.127.255.255", False),
        ("198.18.0.1", False),
        ("192.0.2.1", False),
        ("255.255.255.255", False),
        ("fec0::1", False),
        ("::7f00:1", False),
        ("2001:db8::1", False),
    ],
)
def test_address_classification(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
