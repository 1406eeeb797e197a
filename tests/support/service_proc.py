"""The real ``voice-agent run`` as a child process, the way systemd starts it.

NOTIFY_SOCKET points at a socket the test owns (:class:`~tests.support.notify.NotifySocket`),
WATCHDOG_USEC/WATCHDOG_PID are set like systemd sets them, stderr is collected line by
line on a thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from agent.commands.install_service import config_text

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "voice-agent"
DEMO = ROOT / "config" / "demo.yaml"


def write_config(path: Path, port: int, edit=lambda text: text) -> Path:
    """The demo config, standalone (absolute intent paths) and pointed at ``port``."""
    text = config_text(DEMO).replace("  port: 1883\n", f"  port: {port}\n", 1)
    assert f"port: {port}" in text
    path.write_text(edit(text))
    return path


class Agent:
    def __init__(self, config: Path, notify_path: str, *, watchdog_usec: int | None = None,
                 debug_hooks: bool = False, block_seconds: float = 4.0, extra_env: dict | None = None) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID",
                            "JOURNAL_STREAM", "VOICE_AGENT_DEBUG_HOOKS")}
        env["NOTIFY_SOCKET"] = notify_path
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        if debug_hooks:
            env["VOICE_AGENT_DEBUG_HOOKS"] = "1"
            env["VOICE_AGENT_DEBUG_BLOCK_SECONDS"] = str(block_seconds)
        env.update(extra_env or {})
        self.proc = subprocess.Popen([str(CLI), "-v", "run", "-q", "-c", str(config)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    @property
    def stderr(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_for_line(self, needle: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if needle in line:
                        return line
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"no stderr line with {needle!r}; stderr:\n" + "\n".join(self.lines[-40:]))
                self._cond.wait(min(left, 0.2))

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        return self.proc.returncode
