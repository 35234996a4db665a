"""Every route of the real app, with odd values in every path parameter, answers 4xx.

The walk reads the app's own route table (the forum's, federation's, moderation's and the
/api mount), so a route added later is walked without anyone remembering to list it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from federation.negotiation import NEGOTIATED
from forum.models import Persona, Post
from tests.helpers import csrf_token, join, make_admin, make_board, start_thread, thread_id_from

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")

# Written as they travel in a URL path; the app sees them percent-decoded.
BAD_VALUES = [
    "a" * 3000,  # long
    "",  # empty
    "%00",  # NUL
    "a%00b",
    "%0A%0D",  # line break
    "..",
    "%2E%2E%2F%2E%2E%2Fsecret",  # ../../secret
    "%C3%A9t%C3%A9%E2%80%94%F0%9F%98%80",  # non-ASCII
    "%FF%FE",  # bytes that are not UTF-8
    "2147483648",  # one past PostgreSQL's int4
    "9223372036854775808",  # one past int8
    "9" * 400,  # huge number
    "-1",
    "%20",
]

# Signature headers as a hostile peer might send them; no keyId leads off loopback.
BAD_KEY_IDS = [
    "",
    "k" * 5000,
    "http://127.0.0.1:9/" + "k" * 5000,
    "http://127.0.0.1:99999/key",
    "http://[::1/key",
    "http://127.0.0.1:9/\u00e9t\u00e9",
    "not a url",
    "http://127.0.0.1:9/key#" + "\x7f",
]


def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ())


def fill(template: str, good: dict[str, str], bad_name: str, bad: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return bad if name == bad_name else good.get(name, "1")

    return PARAM.sub(value, template)


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """The app's client, but a crash is an answer to count, not an error in the test."""
    transport = httpx.ASGITransport(
        app=app,  # type: ignore[arg-type]
        client=("203.0.113.9", 50000),
        raise_app_exceptions=False,
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c


@pytest.fixture
async def site(client: httpx.AsyncClient) -> dict[str, str]:
    """An admin who is a member of a federating board with one thread; the good values."""
    await make_board("grief", federation="open")
    await make_admin(client)
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief"))
    persona = await Persona.get(board__slug="grief").select_related("actor")
    post = await Post.get(thread_id=tid, seq=1)
    return {
        "slug": "grief",
        "thread_id": str(tid),
        "seq": "1",
        "username": persona.actor.name,
        "actor_id": str(persona.actor.id),
        "item_id": "1",
        "notice_id": "1",
        "post_id": str(post.id),
        "theme": "default",
        "path": "style.css",
        "version": "2.1",
        "token": "0" * 32,
    }


def assert_no_5xx(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures[:40])


async def test_no_path_parameter_value_makes_a_5xx(
    app: object, client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    token = await csrf_token(client, "/account")
    routes = list(walk(app.router.routes))  # type: ignore[attr-defined]
    assert len(routes) > 80, "the walk should see the whole route table"
    failures: list[str] = []
    walked = 0
    for template, methods in routes:
        names = PARAM.findall(template)
        for name in names:
            for bad in BAD_VALUES:
                url = fill(template, site, name, bad)
                if "GET" in methods:
                    response = await client.get(url)
                    walked += 1
                    if response.status_code >= 500:
                        failures.append(
                            f"GET {template} {name}={bad[:20]!r}: {response.status_code}"
                        )
                if "POST" in methods:
                    response = await client.post(
                        url, data={"csrf_token": token, "body": "x", "title": "x"}
                    )
                    walked += 1
                    if response.status_code >= 500:
                        failures.append(
                            f"POST {template} {name}={bad[:20]!r}: {response.status_code}"
                        )
    assert walked > 500
    assert_no_5xx(failures)


async def test_activitypub_documents_with_odd_path_parameters_make_no_5xx(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    failures: list[str] = []
    headers = {"Accept": "application/activity+json"}
    for template, _ in walk(list(NEGOTIATED.routes)):
        for name in PARAM.findall(template):
            for bad in BAD_VALUES:
                url = fill(template, site, name, bad)
                response = await client.get(url, headers=headers)
                if response.status_code >= 500:
                    failures.append(f"GET {template} {name}={bad[:20]!r}: {response.status_code}")
    assert_no_5xx(failures)


async def test_odd_webfinger_resources_and_query_values_make_no_5xx(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    failures: list[str] = []
    pages = [
        "/.well-known/webfinger?resource=",
        "/b/grief?page=",
        "/modlog?after=",
        f"/b/grief/t/{site['thread_id']}?page=",
        "/b/grief/join?invite=",
        "/api/boards?after=",
    ]
    extra = [
        "acct:" + "a" * 3000 + "@127.0.0.1:8000",
        "acct:%00@127.0.0.1:8000",
        "acct:grief@%FF",
        "acct:@",
        "http://127.0.0.1:8000/b/%00",
        "acct:a@b@c",
    ]
    for page in pages:
        for bad in BAD_VALUES + extra:
            response = await client.get(page + bad)
            if response.status_code >= 500:
                failures.append(f"GET {page}{bad[:20]!r}: {response.status_code}")
    assert_no_5xx(failures)


async def test_inbox_posts_with_odd_key_ids_and_paths_make_no_5xx(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://127.0.0.1:9/activities/1",
        "type": "Follow",
        "actor": "http://127.0.0.1:9/users/alice",
        "object": "http://127.0.0.1:8000/b/grief",
    }
    bodies = [json.dumps(activity).encode()] + [
        json.dumps({**activity, "id": odd + "/1", "actor": odd}).encode()
        for odd in ["http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:9/" + "u" * 5000]
    ]
    inboxes = ["/inbox", "/b/grief/inbox", f"/p/{site['username']}/inbox"]
    inboxes += [f"/b/{bad}/inbox" for bad in BAD_VALUES] + [f"/p/{bad}/inbox" for bad in BAD_VALUES]
    failures: list[str] = []
    for inbox in inboxes:
        for key_id in BAD_KEY_IDS:
            for header in (
                f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date",'
                'signature="AAAA"',
                "sig1=:AAAA:",
            ):
                headers = {
                    "Content-Type": "application/activity+json",
                    "Signature": header,
                    "Date": "Mon, 01 Jan 2024 00:00:00 GMT",
                }
                if header.startswith("sig1"):
                    headers["Signature-Input"] = (
                        f'sig1=("@method" "@target-uri");keyid="{key_id}";created=1'
                    )
                raw = {k: v.encode("utf-8") for k, v in headers.items()}
                for body in bodies:
                    response = await client.post(inbox, content=body, headers=raw)
                    if response.status_code >= 500:
                        failures.append(
                            f"POST {inbox[:40]} keyId={key_id[:20]!r}: {response.status_code}"
                        )
    assert_no_5xx(failures)
