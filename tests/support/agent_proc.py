"""``voice-agent run`` as a child process: feed it lines, collect the events it prints."""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from .broker import agent_command, wait_for

ROOT = Path(__file__).resolve().parents[2]
_RUNNING: list["AgentProc"] = []


@atexit.register
def _kill_leftovers() -> None:
    """A failed test must not leave an agent running."""
    for agent in _RUNNING:
        agent.kill()


class AgentProc:
    def __init__(self, config: Path, *extra: str, text: bool = True, env: dict | None = None) -> None:
        args = ["run", "-c", str(config), *extra] + (["--text"] if text else [])
        self.proc = subprocess.Popen(agent_command(*args), cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **(env or {})})
        _RUNNING.append(self)
        self.events: list[dict] = []
        self.stderr: list[str] = []
        self.lock = threading.Lock()
        self._readers = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            try:
                doc = json.loads(line)
            except ValueError:
                doc = {"kind": "unparsed", "line": line.decode(errors="replace")}
            with self.lock:
                self.events.append(doc)

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            with self.lock:
                self.stderr.append(line.decode(errors="replace"))

    def send(self, *lines: str) -> float:
        """Write lines to stdin; the monotonic time they were written."""
        self.proc.stdin.write("".join(line + "\n" for line in lines).encode())
        self.proc.stdin.flush()
        return time.monotonic()

    def close(self) -> None:
        self.proc.stdin.close()

    def wait(self, timeout: float = 60.0) -> int:
        """Wait for the exit, then for every event it printed to be read."""
        status = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(10.0)  # (a child it left behind may hold the pipe open)
        return status

    def finish(self, lines: list[str] | None = None, timeout: float = 60.0) -> int:
        if lines:
            self.send(*lines)
        self.close()
        return self.wait(timeout)

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def of(self, kind: str, **match) -> list[dict]:
        with self.lock:
            return [e for e in self.events if e.get("kind") == kind
                    and all(e.get(k) == v for k, v in match.items())]

    def wait_event(self, kind: str, timeout: float = 15.0, count: int = 1, **match) -> list[dict]:
        wait_for(lambda: len(self.of(kind, **match)) >= count, timeout, f"{count} {kind} event(s) {match}")
        return self.of(kind, **match)

    @property
    def log(self) -> str:
        with self.lock:
            return "".join(self.stderr)
