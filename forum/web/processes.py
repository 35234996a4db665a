"""The web processes of `kindred serve --workers N`, each on a listening socket of its own.

uvicorn's supervisor hands its processes one shared listening socket, and whichever is
awake first accepts. Under keep-alive load (a burst of connections at once, a reverse
proxy's pool of upstream connections) one process can take every connection while the
others idle. Here each process slot has its own socket, bound to the same address with
SO_REUSEPORT, and Linux spreads new connections across the sockets by a hash of their
addresses.

uvicorn's supervisor is kept (restarts of dead or hung processes, signals, health
checks); only the sockets a new process gets differ. The parent holds every slot's
socket for its whole life, so a restarted process takes over its slot's socket with the
connections queued on it meanwhile. Elsewhere than Linux (where SO_REUSEPORT does not
spread connections, or is missing) the processes share one socket as before.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def can_share_port() -> bool:
    """Whether the kernel spreads connections across sockets sharing a port (Linux 3.9+)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_shared_port(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0: a free one) that more sockets may join."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if port:
        # Sockets with SO_REUSEPORT may join another server's: refuse a port in use, as
        # a plain bind would, rather than share a stale server's connections.
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        _join_port(sock, (host, port))
    except OSError:
        sock.close()
        raise
    return sock


def join_shared_port(first: socket.socket) -> socket.socket:
    """Another socket on the address `first` is bound to, sharing its connections."""
    sock = socket.socket(first.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        _join_port(sock, first.getsockname())
    except OSError:
        sock.close()
        raise
    return sock


def _join_port(sock: socket.socket, address: Any) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)


class SlotSupervisor(Multiprocess):
    """uvicorn's supervisor, where the process in slot i serves `slot_sockets[i]` alone.

    uvicorn starts a process as `Process(self.config, self.sockets)` in four places, and
    `sockets` here answers with the socket of the slot that process is for:
    - `keep_subprocess_alive` kills a dead or hung process, then starts its replacement
      in the same place of `processes` (a killed process's pipe is closed);
    - `restart_all` (SIGHUP) starts each replacement while the old process still runs,
      in the order of `processes`;
    - `init_processes` and `handle_ttin` (SIGTTIN) append a process.
    """

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        self._restarting: list[Process] | None = None
        super().__init__(config, sockets)

    @property
    def sockets(self) -> list[socket.socket]:
        return [self._slot_socket(self._next_slot())]

    @sockets.setter
    def sockets(self, sockets: list[socket.socket]) -> None:
        self.slot_sockets = list(sockets)

    def _next_slot(self) -> int:
        for slot, process in enumerate(self.processes):
            if process.parent_conn.closed:
                return slot  # killed by keep_subprocess_alive, about to be replaced
        if self._restarting is not None:
            for slot, process in enumerate(self.processes):
                if any(process is old for old in self._restarting):
                    return slot  # the first not yet replaced
        return len(self.processes)

    def _slot_socket(self, slot: int) -> socket.socket:
        while len(self.slot_sockets) <= slot:  # SIGTTIN: one more process
            self.slot_sockets.append(join_shared_port(self.slot_sockets[0]))
        return self.slot_sockets[slot]

    def restart_all(self) -> None:
        self._restarting = list(self.processes)
        try:
            super().restart_all()
        finally:
            self._restarting = None

    def handle_ttou(self) -> None:
        super().handle_ttou()
        # Nobody accepts on a removed slot's socket: close it, or Linux keeps sending it
        # its share of new connections.
        while len(self.slot_sockets) > max(len(self.processes), 1):
            self.slot_sockets.pop().close()


def serve(app: str, workers: int, **options: Any) -> None:
    """Run `app` (an import string) in `workers` processes, as `uvicorn.run` would."""
    config = Config(app, workers=workers, **options)
    if not can_share_port():
        logger.warning(
            "This system cannot spread connections across sockets (SO_REUSEPORT): "
            "the %d web processes share one listening socket.",
            workers,
        )
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    else:
        try:
            first = bind_shared_port(config.host, config.port)
            sockets = [first] + [join_shared_port(first) for _ in range(workers - 1)]
        except OSError as exc:
            logger.error(exc)
            sys.exit(STARTUP_FAILURE)
        host, port = first.getsockname()[:2]
        shown = f"[{host}]" if first.family == socket.AF_INET6 else host
        logger.info(
            "Uvicorn running on http://%s:%d, %d processes with a listening socket each "
            "(Press CTRL+C to quit)",
            shown,
            port,
            workers,
        )
        supervisor = SlotSupervisor(config, sockets)
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run does
        supervisor.run()
