"""Kindred federating with a real third-party ActivityPub server: Fedify on loopback.

Both sides are real processes: `kindred serve` (its inbox and delivery workers running
in-process) and `peer.mjs`, a Fedify 2.3.6 federation with one Person, alice. Fedify
verifies every signature it receives with its own code and signs what it sends with
RFC 9421 first, falling back to draft-cavage only when refused (double-knocking), so
these tests prove each side accepts the other's signatures, not just its own.

The steps build on each other through module-scoped fixtures: alice follows the board,
a member starts a thread, alice replies to it. Then the board's rules meet alice's posts
as they meet a member's: a blocked word refuses her reply, a crisis phrase in her thread
puts it first in the moderators' queue.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest

from tests.migrated import seed_sqlite

pytestmark = pytest.mark.interop

HERE = Path(__file__).resolve().parent
KINDRED = Path(sys.executable).with_name("kindred")
LOOPBACK = "127.0.0.1"
BOARD = "grief"
START_TIMEOUT = 30.0
WAIT_TIMEOUT = 20.0
POLL_SECONDS = 0.2
THREAD_TITLE = "The first winter without her"
THREAD_BODY = "Some mornings are *heavier* than others."
REPLY_TEXT = "Sending warmth from the Fedify side."
MEMBER_PASSPHRASE = "lantern meadow quietly 42"
ADMIN = "admin-fedify"
BLOCK_MESSAGE = "Advertising is not allowed here."
BLOCKED_TEXT = "Buy followers from the Fedify side."
CRISIS_TITLE = "Tonight, from the Fedify side"
CRISIS_TEXT = "I want to end my life tonight."
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A server subprocess whose output goes to a file, read back when a check fails."""

    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def database(self) -> Path:
        """Kindred's SQLite file (its log lives in its data directory)."""
        return self.log_path.parent / "kindred.sqlite3"

    def output(self) -> str:
        self.log.flush()
        return f"--- {self.name} output ---\n" + self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.log.close()


def spawn(name: str, url: str, argv: list[str], env: dict[str, str], log_path: Path) -> Process:
    log = log_path.open("wb")
    popen = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=HERE)
    return Process(name, url, popen, log_path, log)


def wait_for(
    check: Callable[[], T | None], what: str, processes: list[Process], timeout: float
) -> T:
    """Poll `check` until it returns something, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / POLL_SECONDS) + 1):
        for process in processes:
            if process.popen.poll() is not None:
                pytest.fail(
                    f"{process.name} exited ({process.popen.returncode}) while waiting for "
                    f"{what}.\n{process.output()}",
                    pytrace=False,
                )
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    logs = "\n".join(process.output() for process in processes)
    pytest.fail(f"Gave up after {timeout:.0f}s waiting for {what}.\n{logs}", pytrace=False)


def answers(url: str) -> bool | None:
    try:
        return True if httpx.get(url, timeout=2).status_code == 200 else None
    except httpx.TransportError:
        return None


# --- the two servers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fedify_installed() -> Path:
    """Fedify from tests/fedify/package-lock.json; node and npm are CI's to install."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "The Fedify interop test needs Node.js and npm on PATH "
            "(Debian: `apt-get install nodejs npm`).",
            pytrace=False,
        )
    if not (HERE / "node_modules" / "@fedify").is_dir():
        result = subprocess.run(
            [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            pytest.fail(
                f"`npm ci` for the Fedify peer failed:\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
    return Path(node)


def _kindred(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(KINDRED), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"`kindred {' '.join(args)}` failed:\n{result.stderr}"


@pytest.fixture(scope="module")
def kindred(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    if not KINDRED.exists():
        pytest.fail(f"The kindred command is not at {KINDRED}: `pip install -e .`", pytrace=False)
    data_dir = tmp_path_factory.mktemp("kindred-fedify")
    port = free_port()
    env = {
        **os.environ,
        "KINDRED_DATA_DIR": str(data_dir),
        "KINDRED_PUBLIC_URL": f"http://{LOOPBACK}:{port}",
        # Plain HTTP and loopback peers; retries fast enough for a test.
        "KINDRED_FEDERATION_INSECURE": "1",
        "KINDRED_FEDERATION_RETRY_SECONDS": "0.2",
        "KINDRED_LOG_LEVEL": "info",
    }
    for name in ("KINDRED_CONFIG", "KINDRED_DATABASE_URL"):
        env.pop(name, None)  # always its own SQLite file in data_dir
    seed_sqlite(data_dir)
    _kindred(env, "migrate")
    board = ["--title", "Grief", "--rules", "1. Be kind.", "--federation", "open", "--premod", "0"]
    _kindred(env, "board", "create", BOARD, *board)
    secret = data_dir / "admin-passphrase"
    secret.write_text(MEMBER_PASSPHRASE)
    _kindred(env, "admin", "create", ADMIN, "--passphrase-file", str(secret))
    server = spawn(
        "kindred",
        env["KINDRED_PUBLIC_URL"],
        [str(KINDRED), "serve", "--host", LOOPBACK, "--port", str(port)],
        env,
        data_dir / "serve.log",
    )
    try:
        wait_for(lambda: answers(server.url + "/healthz"), "Kindred", [server], START_TIMEOUT)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fedify(fedify_installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    log_path = tmp_path_factory.mktemp("fedify-peer") / "peer.log"
    port = free_port()
    argv = [str(fedify_installed), str(HERE / "peer.mjs"), str(port)]
    peer = spawn("fedify", f"http://{LOOPBACK}:{port}", argv, dict(os.environ), log_path)
    try:
        wait_for(lambda: answers(peer.url + "/control/log"), "the Fedify peer", [peer], 30)
        yield peer
    finally:
        peer.stop()


@dataclass
class Peers:
    kindred: Process
    fedify: Process

    @property
    def both(self) -> list[Process]:
        return [self.kindred, self.fedify]

    @property
    def group(self) -> str:
        return f"{self.kindred.url}/b/{BOARD}"

    def control(self, action: str, **payload: str) -> dict[str, Any]:
        response = httpx.post(f"{self.fedify.url}/control/{action}", json=payload, timeout=30)
        assert response.status_code == 200, (
            f"{action}: {response.text}\n{self.kindred.output()}\n{self.fedify.output()}"
        )
        result: dict[str, Any] = response.json()
        return result

    def peer_log(self) -> dict[str, Any]:
        log: dict[str, Any] = httpx.get(f"{self.fedify.url}/control/log", timeout=5).json()
        return log

    def received(self, kind: str, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first activity of `kind` Fedify verified and handed to its listener."""

        def find() -> dict[str, Any] | None:
            return next(
                (a for a in self.peer_log()["received"] if a["type"] == kind and match(a)),
                None,
            )

        return wait_for(find, f"Fedify to receive a verified {kind}", self.both, WAIT_TIMEOUT)

    def inbox_requests(self, activity_id: str) -> list[dict[str, Any]]:
        """What the peer saw of each inbox POST that carried `activity_id`."""
        return [r for r in self.peer_log()["inboxRequests"] if r["activity"] == activity_id]

    def posts_to(self, inbox: str) -> list[dict[str, Any]]:
        return [
            r for r in self.peer_log()["outbound"] if r["method"] == "POST" and r["url"] == inbox
        ]


@pytest.fixture(scope="module")
def peers(fedify: Process, kindred: Process) -> Peers:
    return Peers(kindred, fedify)


# --- the steps ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accept(peers: Peers) -> dict[str, Any]:
    """alice (on Fedify) follows the board, found by its actor URL; the board's Accept."""
    sent = peers.control("follow", target=peers.group)
    assert sent["group"] == peers.group and sent["inbox"] == f"{peers.group}/inbox"
    return peers.received("Accept", lambda a: a["object"] == sent["follow"])


@dataclass
class Thread:
    url: str
    announce: dict[str, Any]


def _csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    match = _CSRF.search(page.text)
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def _submit(client: httpx.Client, path: str, status: int, **fields: str) -> httpx.Response:
    """Load the form's page for its CSRF token, then post the form, as a browser does."""
    response = client.post(path, data={"csrf_token": _csrf(client, path), **fields})
    assert response.status_code == status, f"POST {path}: {response.status_code}"
    return response


@pytest.fixture(scope="module")
def thread(peers: Peers, accept: dict[str, Any]) -> Thread:
    """A member registers, joins and starts a thread in the browser's way."""
    with httpx.Client(base_url=peers.kindred.url, timeout=10) as member:
        _submit(member, "/register", 200, handle="mira-fedify", passphrase=MEMBER_PASSPHRASE)
        _submit(member, f"/b/{BOARD}/join", 303, accept_rules="on")
        started = _submit(member, f"/b/{BOARD}/new", 303, title=THREAD_TITLE, body=THREAD_BODY)
    match = re.search(r"/b/[a-z0-9-]+/t/(\d+)", started.headers["location"])
    assert match, started.headers["location"]
    url = f"{peers.group}/t/{match.group(1)}"
    announce = peers.received("Announce", lambda a: (a["innerObject"] or {}).get("id") == url)
    return Thread(url, announce)


@dataclass
class Reply:
    note_id: str
    create_id: str


@pytest.fixture(scope="module")
def reply(peers: Peers, thread: Thread) -> Reply:
    sent = peers.control("reply", group=peers.group, inReplyTo=thread.url, content=REPLY_TEXT)
    return Reply(sent["note"], sent["create"])


# --- what each side sees --------------------------------------------------------------


def test_fedify_follow_is_accepted_with_a_signature_fedify_verifies(
    peers: Peers, accept: dict[str, Any]
) -> None:
    assert accept["verified"] and accept["actor"] == peers.group
    assert accept["acceptedType"] == "Follow"
    # The Accept goes to alice's own inbox, signed with the board's key.
    [request] = peers.inbox_requests(accept["id"])
    assert request["path"] == "/users/alice/inbox" and request["status"] == 202
    assert request["verified"] and request["keyId"] == f"{peers.group}#main-key"
    assert request["scheme"] == "draft-cavage"  # what Kindred's delivery worker signs with
    followers = httpx.get(
        f"{peers.group}/followers", headers={"Accept": "application/activity+json"}, timeout=5
    ).json()
    assert followers["totalItems"] == 1


def test_fedify_receives_a_new_thread_as_a_verified_announce_of_create_page(
    peers: Peers, thread: Thread
) -> None:
    announce = thread.announce
    assert announce["verified"] and announce["actor"] == peers.group
    assert announce["innerType"] == "Create"
    page = announce["innerObject"]
    assert page["type"] == "Page" and page["name"] == THREAD_TITLE
    assert "<em>heavier</em>" in page["content"]
    # FEP-1b12: the Announce reaches alice's server through its shared inbox.
    [request] = peers.inbox_requests(announce["id"])
    assert request["path"] == "/inbox" and request["status"] == 202
    assert request["verified"] and request["keyId"] == f"{peers.group}#main-key"


def test_fedify_reply_is_verified_by_kindred_and_shown_on_the_thread(
    peers: Peers, thread: Thread, reply: Reply
) -> None:
    def shown() -> str | None:
        page = httpx.get(thread.url, timeout=5)
        return page.text if page.status_code == 200 and REPLY_TEXT in page.text else None

    # Kindred stores only what its inbox verified, so a shown reply is a verified one.
    html = wait_for(shown, "the reply on the thread page", peers.both, WAIT_TIMEOUT)
    # A reply to the thread (post #2), not a new thread, under alice's display name.
    assert 'id="post-2"' in html and "Alice (Fedify peer)" in html
    # Kindred announces the remote reply to the board's followers, alice included.
    echoed = peers.received("Announce", lambda a: a["object"] == reply.create_id)
    assert echoed["innerType"] == "Create" and echoed["innerObject"]["id"] == reply.note_id
    assert echoed["innerObject"]["inReplyTo"] == thread.url


def test_kindred_accepts_fedify_rfc9421_signatures_on_the_first_knock(
    peers: Peers, accept: dict[str, Any], reply: Reply
) -> None:
    # Fedify signs RFC 9421 first and retries with draft-cavage only after a 400, 401 or
    # 5xx; Kindred's inbox answers 202 only once the signature verified (401 otherwise),
    # so a 202 to each first knock means Kindred verified RFC 9421 itself. Fedify sends
    # without a queue here: both deliveries were done when the control calls returned.
    ours = {accept["object"], reply.create_id}
    posts = [p for p in peers.posts_to(f"{peers.group}/inbox") if p["activity"] in ours]
    assert [(p["scheme"], p["status"]) for p in posts] == [("rfc9421", 202), ("rfc9421", 202)]
    # Both carried Fedify's object proofs, which Kindred neither needs nor trips over.
    assert {(p["proof"], p["ldSignature"]) for p in posts} == {
        ("eddsa-jcs-2022", "RsaSignature2017")
    }
    log = peers.peer_log()
    assert log["unverified"] == [] and log["errors"] == []


# --- the board's rules meet alice's posts ---------------------------------------------


@pytest.fixture(scope="module")
def rules(peers: Peers) -> None:
    """Kindred's admin blocks a phrase in the board (crisis phrases are built in)."""
    with httpx.Client(base_url=peers.kindred.url, timeout=10) as admin:
        _submit(admin, "/login", 303, handle=ADMIN, passphrase=MEMBER_PASSPHRASE)
        rule = {"pattern": "buy followers", "rule_action": "block", "message": BLOCK_MESSAGE}
        _submit(admin, "/admin/rules", 303, action="add", board=BOARD, **rule)


def query(peers: Peers, sql: str, *args: str) -> list[tuple[Any, ...]]:
    """Read Kindred's own database, as its admin could."""
    with sqlite3.connect(peers.kindred.database) as conn:
        return list(conn.execute(sql, args).fetchall())


def applied(peers: Peers, activity_id: str) -> tuple[str, str]:
    """The state and reason of Kindred's inbox row for `activity_id`, once applied."""

    def done() -> tuple[str, str] | None:
        found = query(peers, "SELECT state, reason FROM inbox_item WHERE ap_id = ?", activity_id)
        return (str(found[0][0]), str(found[0][1])) if found and found[0][0] != "received" else None

    return wait_for(done, f"Kindred to apply {activity_id}", peers.both, WAIT_TIMEOUT)


def test_fedify_reply_with_a_blocked_word_is_rejected_and_never_shown(
    peers: Peers, thread: Thread, rules: None
) -> None:
    content = f"<p>{BLOCKED_TEXT}</p>"
    sent = peers.control("reply", group=peers.group, inReplyTo=thread.url, content=content)
    state, reason = applied(peers, sent["create"])
    assert state == "rejected" and BLOCK_MESSAGE in reason
    assert BLOCKED_TEXT not in httpx.get(thread.url, timeout=5).text
    assert not query(peers, "SELECT id FROM post WHERE ap_id = ?", sent["note"])
    # Nothing was announced: no activity of the board's carries alice's Create.
    like = f"%{sent['create']}%"
    assert not query(peers, "SELECT id FROM outbox_activity WHERE payload LIKE ?", like)


def test_fedify_thread_with_a_crisis_phrase_stays_up_and_is_queued_first(
    peers: Peers, accept: dict[str, Any], rules: None
) -> None:
    content = f"<p>{CRISIS_TEXT}</p>"
    sent = peers.control("thread", group=peers.group, name=CRISIS_TITLE, content=content)
    assert applied(peers, sent["create"]) == ("processed", "")
    # Published: listed on the board, and announced to the board's followers (alice too).
    assert CRISIS_TITLE in httpx.get(peers.group, timeout=5).text
    echoed = peers.received("Announce", lambda a: a["object"] == sent["create"])
    assert echoed["innerObject"]["type"] == "Page"
    [(priority, kind, crisis)] = query(
        peers,
        "SELECT r.priority, r.kind, p.crisis FROM review_item r "
        "JOIN post p ON p.id = r.post_id JOIN thread t ON t.id = p.thread_id WHERE t.ap_id = ?",
        sent["page"],
    )
    assert (priority, kind, crisis) == (0, "flagged", 1)  # crisis priority sorts first


def test_fedify_hears_that_a_members_account_is_gone(peers: Peers, accept: dict[str, Any]) -> None:
    """Deleting an account with "erase": each post's Delete is announced by the board, and
    the persona itself tells every follower's server that it is gone, signed with its own
    key (kept for this), which Fedify fetches and verifies."""
    title = "Leaving, with thanks"
    with httpx.Client(base_url=peers.kindred.url, timeout=10) as member:
        _submit(member, "/register", 200, handle="leaving-fedify", passphrase=MEMBER_PASSPHRASE)
        _submit(member, f"/b/{BOARD}/join", 303, accept_rules="on")
        started = _submit(member, f"/b/{BOARD}/new", 303, title=title, body="Thank you all.")
        match = re.search(r"/t/(\d+)", started.headers["location"])
        assert match
        url = f"{peers.group}/t/{match.group(1)}"
        created = peers.received("Announce", lambda a: (a["innerObject"] or {}).get("id") == url)
        persona = created["innerActor"]
        _submit(member, "/account/delete", 200, posts="erase", passphrase=MEMBER_PASSPHRASE)
    gone = peers.received("Delete", lambda a: a["object"] == persona)
    assert gone["verified"] and gone["actor"] == persona
    # Lemmy's flag, outside the ActivityStreams vocabulary Fedify models: read what was sent.
    [(payload,)] = query(peers, "SELECT payload FROM outbox_activity WHERE ap_id = ?", gone["id"])
    assert json.loads(payload)["removeData"] is True
    erased = peers.received(
        "Announce", lambda a: a["innerType"] == "Delete" and a["innerActor"] == persona
    )
    assert erased["verified"] and erased["actor"] == peers.group
