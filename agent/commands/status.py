"""``voice-agent status``: the running agent's health, read from its MQTT topics.

Reads the retained ``<prefix>/<site>/availability`` and ``<prefix>/<site>/health``
the agent publishes, listens ``--wait`` seconds for live events, and reports. Works
from any machine that can reach the broker. Exit status: 0 online and ready, 1 not
(offline, never seen, unhealthy, stuck), 69 the broker cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..events import KINDS, OFFLINE, ONLINE, Topics
from ..health import health_topic
from ..mqtt import MqttClient
from ._common import add_config_arg, broker_override, config_from, emit

EX_UNAVAILABLE = 69


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="report the running agent's health from its MQTT topics")
    add_config_arg(p)
    p.add_argument("--wait", type=float, default=2.0, metavar="SECONDS",
                   help="listen this long for live events (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                   help="give up on the broker after this long (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--mqtt", metavar="HOST:PORT", default=None,
                   help="broker to ask instead of the config's (as for run)")
    p.set_defaults(func=run)


@dataclass(slots=True)
class Observed:
    availability: str | None = None
    health: dict[str, Any] | None = None
    live: list[dict[str, Any]] = field(default_factory=list)
    broker_error: str = ""
    connected: bool = False
    discovery: dict[str, Any] | None = None
    """The retained ``<prefix>/<site>/discovery`` document: what live discovery added."""


class _Listener:
    """The :class:`agent.mqtt.Link` of a short-lived read-only client."""

    def __init__(self, topics: Topics, health: str) -> None:
        self.topics = topics
        self.health_topic = health
        self.seen = Observed()
        self.up = asyncio.Event()

    def mqtt_connected(self) -> None:
        self.seen.connected = True
        self.up.set()

    def mqtt_disconnected(self, reason: str) -> None:
        self.seen.broker_error = reason

    def mqtt_published(self, mid: int, error: str | None) -> None:
        pass

    def mqtt_message(self, topic: str, payload: bytes, retained: bool) -> None:
        text = payload.decode("utf-8", "replace")
        if topic == self.topics.availability:
            self.seen.availability = text.strip()
        elif topic == f"{self.topics.base}/discovery":
            try:
                doc = json.loads(text) if text else None
            except ValueError:
                return
            self.seen.discovery = doc if isinstance(doc, dict) else None
        elif topic == self.health_topic:
            try:
                doc = json.loads(text) if text else None
            except ValueError:
                return
            self.seen.health = doc if isinstance(doc, dict) else None
        elif not retained:
            kind = topic.rsplit("/", 1)[-1]
            if kind in KINDS:
                try:
                    doc = json.loads(text)
                except ValueError:
                    return
                if isinstance(doc, dict):
                    self.seen.live.append(doc)


async def observe(config: Config, wait: float, timeout: float) -> Observed:
    topics = Topics(config.mqtt.prefix, config.site)
    listener = _Listener(topics, health_topic(config.mqtt.prefix, config.site))
    # our own client id: reusing the agent's would make the broker drop the agent
    cfg = dataclasses.replace(config.mqtt, client_id=f"{config.mqtt.client_id}-status-{os.getpid()}")
    client = MqttClient(cfg, listener, asyncio.get_running_loop())
    client.subscribe({topics.availability, listener.health_topic, f"{topics.base}/+"})
    client.start()
    try:
        await asyncio.wait_for(listener.up.wait(), timeout)
    except asyncio.TimeoutError:
        await client.close()
        return listener.seen
    await asyncio.sleep(max(wait, 0.5))  # retained messages arrive right after subscribing
    await client.close()
    return listener.seen


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds}s"
    if seconds < 5400:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def assess(seen: Observed, now: float, wait: float) -> tuple[bool, list[str]]:
    """(healthy, problems) from what the topics said."""
    problems = []
    h = seen.health
    if seen.availability is None:
        problems.append("the agent has never announced itself here (not started against this broker, "
                        "or another mqtt.prefix / site)")
    elif seen.availability == OFFLINE:
        problems.append("the agent is offline (stopped, or its broker connection was lost)")
    elif seen.availability != ONLINE:
        problems.append(f"unexpected availability {seen.availability!r}")
    if h is not None and seen.availability == ONLINE:
        if h.get("state") != "ready":
            problems.append(f"state is {h.get('state')}: {h.get('status', '')}")
        heartbeat = float(h.get("heartbeat") or 30)
        age = now - float(h.get("ts") or 0)
        if age > 2 * heartbeat + wait:
            problems.append(f"no health update for {_ago(age)} (expected every {heartbeat:g}s) while the "
                            "broker connection is up: the agent's event loop may be stuck")
    return not problems, problems


def report(config: Config, seen: Observed, healthy: bool, problems: list[str], now: float, wait: float) -> list[str]:
    h = seen.health or {}
    state = f"{seen.availability or 'unknown'}"
    if h:
        state += f", {h.get('state')}: {h.get('status')}"
    lines = [f"voice-agent {config.site} @ {config.mqtt.host}:{config.mqtt.port}: {state}"]
    if h:
        lines.append(f"  since {_ago(now - h.get('since', now))} ago; up {_ago(now - h.get('started', now))}; "
                     f"pid {h.get('pid')}; version {h.get('version')}; config {h.get('config')}")
        if h.get("reload"):
            r = h["reload"]
            lines.append(f"  last reload {_ago(now - r.get('ts', now))} ago: "
                         + ("ok" if r.get("ok") else f"FAILED, kept the previous config: {r.get('error', '')}"))
        if h.get("last_error"):
            e = h["last_error"]
            lines.append(f"  last error {_ago(now - e.get('ts', now))} ago: [{e.get('code')}] {e.get('message')}")
        lines.append("  " + speech_to_action(h.get("speech_to_action")))
        counts = h.get("counts") or {}
        if counts:
            lines.append("  events since start: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if seen.discovery is not None:
        d = seen.discovery
        added = [str(x) for x in d.get("added") or ()]
        lines.append(f"  discovery from {', '.join(map(str, d.get('from') or ()))}: {len(added)} device(s) added"
                     + (f": {', '.join(added[:40])}" + (" ..." if len(added) > 40 else "") if added else "")
                     + (f"; {len(d['skipped'])} skipped" if d.get("skipped") else ""))
    live = Counter(e.get("kind") for e in seen.live)
    lines.append(f"  live events in {wait:g}s: " + (", ".join(f"{k} {v}" for k, v in sorted(live.items())) or "none"))
    for e in seen.live:
        if e.get("kind") == "error":
            lines.append(f"    error [{e.get('code')}] {e.get('message') or e.get('reason') or ''}")
    lines.append("healthy" if healthy else "NOT healthy: " + "; ".join(problems))
    return lines


def speech_to_action(summary: dict[str, Any] | None) -> str:
    """The health document's end of speech -> action figures as one line."""
    if not summary:
        return "end of speech -> action: not reported by this agent version"
    window = summary.get("window_s", 3600)
    hour = "last hour" if window == 3600 else f"last {_ago(window)}"
    if not summary.get("n"):
        return f"end of speech -> action, {hour}: no spoken command acted on"
    return (f"end of speech -> action, {hour}: p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms "
            f"({summary['n']} spoken command{'s' if summary['n'] != 1 else ''})")


def run(args: argparse.Namespace) -> int:
    config = broker_override(config_from(args), args.mqtt)
    seen = asyncio.run(observe(config, args.wait, args.timeout))
    now = time.time()
    if not seen.connected:
        why = seen.broker_error or "no answer"
        msg = f"cannot reach the broker at {config.mqtt.host}:{config.mqtt.port}: {why}"
        if args.json:
            emit({"healthy": False, "broker": msg})
        else:
            print(f"voice-agent status: [mqtt-unreachable] {msg}; check mqtt.host/port in {config.path}")
        return EX_UNAVAILABLE
    healthy, problems = assess(seen, now, args.wait)
    if args.json:
        emit({"healthy": healthy, "problems": problems, "availability": seen.availability,
              "health": seen.health, "live": seen.live, "discovery": seen.discovery})
    else:
        for line in report(config, seen, healthy, problems, now, args.wait):
            print(line)
    return 0 if healthy else 1
