"""`kindred serve --workers N` gives each web process a listening socket of its own
(SO_REUSEPORT), so a burst of keep-alive connections is spread across the processes, and
a restarted process serves its slot's socket again (forum/web/processes.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from forum.web import processes
from forum.web.processes import SlotSupervisor, bind_shared_port, join_shared_port
from tests.forum.served import KINDRED, LOOPBACK, Served, free_port
from tests.forum.test_serve_workers import postgres_database

pytestmark = pytest.mark.skipif(not processes.can_share_port(), reason="Linux only")

LISTEN, ESTABLISHED = "0A", "01"


def _tcp_sockets(port: int) -> dict[int, str]:
    """The inodes of the sockets on local `port`, with their state (/proc/net/tcp)."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                found[int(fields[9])] = fields[3]
    return found


def _held(pid: int, port: int) -> dict[str, set[int]]:
    """The inodes of `pid`'s sockets on `port`, by state."""
    states = _tcp_sockets(port)
    held: dict[str, set[int]] = {LISTEN: set(), ESTABLISHED: set()}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inode = int(target[8:-1])
            if states.get(inode) in held:
                held[states[inode]].add(inode)
    return held


def _web_processes(parent: int, port: int) -> dict[int, int]:
    """The parent's children listening on `port`: pid -> its listening socket's inode."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != parent:
                continue
            listening = _held(int(stat.parent.name), port)[LISTEN]
        except (OSError, ValueError):
            continue  # the process ended meanwhile
        if len(listening) == 1:
            found[int(stat.parent.name)] = listening.pop()
    return found


def _open_kept(port: int, count: int) -> list[socket.socket]:
    """`count` connections opened at once, each answered once and kept open."""
    connections = [socket.create_connection((LOOPBACK, port), timeout=60) for _ in range(count)]
    request = f"GET /healthz HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n\r\n".encode()
    for connection in connections:
        connection.sendall(request)
    for connection in connections:
        assert connection.recv(65536).startswith(b"HTTP/1.1 200"), "no answer"
    return connections


def _close(connections: list[socket.socket]) -> None:
    for connection in connections:
        connection.close()


def _wait_for(condition: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres_only
def test_each_web_process_serves_its_own_socket_and_gets_it_back(tmp_path: Path) -> None:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a long enough passphrase for the admin\n")
    with postgres_database() as url:
        server = Served(tmp_path / "data", url)
        server.cli("migrate")
        server.cli("admin", "create", "root-admin", "--passphrase-file", str(passphrase))
        port = free_port()
        log_path = tmp_path / "serve.log"
        with log_path.open("w") as log:
            parent = subprocess.Popen(
                [str(KINDRED), "serve", "--host", LOOPBACK, "--port", str(port), "--workers", "2"],
                env=server.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            children = _wait_for(
                lambda: (found := _web_processes(parent.pid, port)) and len(found) == 2 and found,
                "two web processes listening",
            )
            # Two sockets, one per process, both held by the parent too.
            assert len(set(children.values())) == 2, children
            assert _held(parent.pid, port)[LISTEN] == set(children.values())

            # 16 keep-alive connections at once land on both processes.
            connections = _open_kept(port, 16)
            try:
                spread = {pid: len(_held(pid, port)[ESTABLISHED]) for pid in children}
                assert sum(spread.values()) == 16 and min(spread.values()) > 0, spread
            finally:
                _close(connections)

            # A killed process is restarted on its slot's socket; connections opened
            # meanwhile wait on that socket and are answered by the replacement.
            killed, slot_socket = next(iter(children.items()))
            os.kill(killed, signal.SIGKILL)
            _wait_for(lambda: killed not in _web_processes(parent.pid, port), "the kill")
            connections = _open_kept(port, 16)
            _close(connections)
            restarted = _wait_for(
                lambda: (found := _web_processes(parent.pid, port)) and len(found) == 2 and found,
                "the restart",
            )
            assert set(restarted.values()) == set(children.values())
            replacement = next(pid for pid, inode in restarted.items() if inode == slot_socket)
            assert replacement != killed
            connections = _open_kept(port, 16)
            try:
                assert _held(replacement, port)[ESTABLISHED]
            finally:
                _close(connections)
        finally:
            parent.terminate()
            parent.wait(timeout=30)
        assert "Traceback" not in log_path.read_text(), log_path.read_text()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_sockets_sharing_a_port_each_take_connections(host: str) -> None:
    first = bind_shared_port(host, 0)
    second = join_shared_port(first)
    try:
        assert second.getsockname() == first.getsockname()
        for sock in (first, second):
            sock.listen(64)
            sock.setblocking(False)
        clients = [socket.create_connection(first.getsockname()[:2]) for _ in range(32)]
        time.sleep(0.1)
        accepted = []
        for sock in (first, second):
            count = 0
            while True:
                try:
                    sock.accept()[0].close()
                except BlockingIOError:
                    break
                count += 1
            accepted.append(count)
        _close(clients)
        assert sum(accepted) == 32 and min(accepted) > 0, accepted
    finally:
        first.close()
        second.close()


def test_a_port_in_use_is_refused_even_by_a_server_sharing_it() -> None:
    stale = bind_shared_port(LOOPBACK, 0)  # another server's socket, SO_REUSEPORT too
    stale.listen()
    try:
        with pytest.raises(OSError):
            bind_shared_port(LOOPBACK, stale.getsockname()[1]).close()
    finally:
        stale.close()


def _supervisor(processes: list[Any], slot_sockets: list[Any]) -> SlotSupervisor:
    # Without __init__: uvicorn's would install signal handlers in the test process.
    supervisor = SlotSupervisor.__new__(SlotSupervisor)
    supervisor.processes = processes
    supervisor.slot_sockets = slot_sockets
    supervisor._restarting = None
    return supervisor


def _process(killed: bool = False) -> Any:
    return SimpleNamespace(parent_conn=SimpleNamespace(closed=killed))


def test_each_new_process_gets_the_socket_of_its_slot() -> None:
    a, b, c = object(), object(), object()
    old = [_process(), _process(), _process()]
    supervisor = _supervisor(old[:2], [a, b, c])
    assert supervisor.sockets == [c]  # a process added (start-up, SIGTTIN)
    supervisor.processes = old
    old[1].parent_conn.closed = True  # killed as dead or hung, about to be replaced
    assert supervisor.sockets == [b]
    old[1].parent_conn.closed = False
    supervisor._restarting = list(old)  # SIGHUP: replaced one by one, in order
    assert supervisor.sockets == [a]
    supervisor.processes = [_process(), *old[1:]]
    assert supervisor.sockets == [b]
    supervisor.processes = [_process(), _process(), old[2]]
    assert supervisor.sockets == [c]


def test_a_process_added_by_sigttin_gets_a_new_socket_on_the_port() -> None:
    first = bind_shared_port(LOOPBACK, 0)
    supervisor = _supervisor([_process()], [first])
    try:
        [added] = supervisor.sockets
        assert added is not first and added.getsockname() == first.getsockname()
    finally:
        for sock in supervisor.slot_sockets:
            sock.close()
