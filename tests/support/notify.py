"""A datagram socket standing in for systemd's NOTIFY_SOCKET, owned by the test."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Datagram:
    at: float
    """time.monotonic() when it was received."""
    fields: dict[str, str]

    def has(self, assignment: str) -> bool:
        key, _, value = assignment.partition("=")
        return self.fields.get(key) == value


def parse(raw: bytes) -> dict[str, str]:
    out = {}
    for line in raw.decode("utf-8").split("\n"):
        if "=" in line:
            key, _, value = line.partition("=")
            out[key] = value
    return out


class NotifySocket:
    """Binds an AF_UNIX SOCK_DGRAM socket and records every datagram on a thread."""

    def __init__(self, directory: Path) -> None:
        self.path = str(directory / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.received: list[Datagram] = []
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                raw = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._cond:
                self.received.append(Datagram(time.monotonic(), parse(raw)))
                self._cond.notify_all()

    def wait_for(self, assignment: str, timeout: float, since: int = 0) -> Datagram:
        """The first datagram (from index ``since``) holding ``KEY=value``; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for d in self.received[since:]:
                    if d.has(assignment):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [d.fields for d in self.received[since:]][-10:]
                    raise AssertionError(f"no {assignment} within {timeout}s; last datagrams: {seen}")
                self._cond.wait(left)

    def mark(self) -> int:
        with self._cond:
            return len(self.received)

    def between(self, start: int, end: int | None = None) -> list[Datagram]:
        with self._cond:
            return list(self.received[start:end])

    def statuses(self, since: int = 0) -> list[str]:
        return [d.fields["STATUS"] for d in self.between(since) if "STATUS" in d.fields]

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()
