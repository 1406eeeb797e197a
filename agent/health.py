"""The agent's health as one retained JSON document on ``<prefix>/<site>/health``.

Availability (``online``/``offline``, with a last will) says whether the agent's MQTT
connection is up; it stays ``online`` even when the event loop is stuck, because paho
keeps the connection alive from its own thread. The health document adds what
``voice-agent status`` needs: the state the daemon reports to systemd, when it last
changed, how the last reload went, the last error event, event counts, and ``ts``,
refreshed every ``HEARTBEAT`` seconds from the event loop, so a stale ``ts`` while
``online`` means the loop is stuck.

Pure: time is a parameter; the daemon publishes what :meth:`Health.doc` returns.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .latency import LatencyWindow

HEARTBEAT = 30.0
"""Seconds between two refreshes of the health document while nothing changes."""
STATES = ("starting", "ready", "reloading", "unhealthy", "stopping", "stopped")


def health_topic(prefix: str, site: str) -> str:
    base = f"{prefix}/{site}" if prefix else site
    return f"{base}/health"


@dataclass(slots=True)
class Health:
    site: str
    config: str
    started: float
    state: str = "starting"
    status: str = "starting"
    since: float = 0.0
    pid: int = field(default_factory=os.getpid)
    reload: dict[str, Any] | None = None
    last_error: dict[str, Any] | None = None
    counts: Counter = field(default_factory=Counter)
    watchdog: float | None = None
    """systemd's watchdog timeout in seconds, when one is armed."""
    latency: LatencyWindow = field(default_factory=LatencyWindow)
    """End of speech -> acknowledged action, last hour (first action of each spoken command)."""

    def __post_init__(self) -> None:
        self.since = self.since or self.started

    def set(self, state: str, status: str, now: float) -> bool:
        """Record a state; True when it changed (worth publishing)."""
        if state not in STATES:
            raise ValueError(f"unknown health state {state!r}")
        changed = (state, status) != (self.state, self.status)
        if state != self.state:
            self.since = now
        self.state, self.status = state, status
        return changed

    def reloaded(self, ok: bool, now: float, config: str, error: str = "") -> None:
        self.reload = {"ok": ok, "ts": round(now, 3), **({"error": error} if error else {})}
        if ok:
            self.config = config

    def event(self, kind: str, data: dict[str, Any], now: float) -> bool:
        """Count one event; True for an error (worth publishing at once)."""
        self.counts[kind] += 1
        if kind == "action":
            ms = (data.get("timing") or {}).get("speech_to_ack_ms")
            if ms is not None:
                self.latency.add(now, float(ms))
        if kind != "error":
            return False
        self.last_error = {"ts": round(now, 3), "code": data.get("code", "error"),
                           "message": str(data.get("message") or data.get("reason") or "")[:300]}
        return True

    def doc(self, now: float) -> dict[str, Any]:
        return {
            "site": self.site, "state": self.state, "status": self.status,
            "since": round(self.since, 3), "started": round(self.started, 3), "ts": round(now, 3),
            "pid": self.pid, "version": __version__, "config": self.config,
            "heartbeat": HEARTBEAT, "watchdog": self.watchdog,
            "reload": self.reload, "last_error": self.last_error, "counts": dict(self.counts),
            "speech_to_action": self.latency.summary(now),
        }
