"""Live discovery: a running daemon's devices follow what the broker announces.

The daemon subscribes to the discovery topics (:meth:`Catalog.subscriptions`); each burst of
changes (a device paired, removed, renamed) rebuilds the devices once it has been quiet for
``settle`` seconds: the user's config file plus every discovered device it does not already
hold (:func:`agent.discovery.merge.overlay`), through the daemon's normal reload (built first,
swapped only when it works). The file stays the source of truth: a device the user wrote is
never changed by discovery. What discovery added is published, retained, on
``<prefix>/<site>/discovery`` for ``voice-agent status``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from typing import Any

from ..config import Config, parse_config
from ..errors import AgentError, ConfigError
from ..yamlsrc import load_yaml
from .catalog import Catalog
from .merge import overlay
from .settings import DiscoverySettings

log = logging.getLogger(__name__)
_INDEX = re.compile(r"devices\[(\d+)\]")


class LiveSync:
    def __init__(self, daemon: Any, config: Config, settings: DiscoverySettings) -> None:
        self.daemon = daemon
        self.settings = settings
        self.catalog = Catalog(settings.sources, ha_prefix=settings.ha_prefix, tasmota_prefix=settings.tasmota_prefix)
        self.base = config
        self.raw: Any = None
        self.added: list[str] = []
        self.skipped: list[dict[str, str]] = []
        self.topic = f"{daemon.topics.base}/discovery"
        self._timer: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._dirty = False
        self._running: set[asyncio.Task] = set()
        for sub in self.catalog.subscriptions():
            daemon.watchers[sub] = self.message
        daemon.config_filter = self.extend

    # ------------------------------------------------------------------ the loop's side
    def message(self, topic: str, payload: bytes, retained: bool) -> None:
        if self.catalog.feed(topic, payload):
            self._dirty = True
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(self.settings.settle, self._start_apply)

    def _start_apply(self) -> None:
        task = asyncio.get_running_loop().create_task(self.apply(), name="discovery-apply")
        self._running.add(task)  # held until done: the loop keeps only a weak reference
        task.add_done_callback(self._running.discard)

    async def apply(self) -> None:
        """Rebuild the daemon's devices from the user's config and the catalog (serialised)."""
        async with self._lock:
            if not self._dirty:
                return
            self._dirty = False
            started = time.monotonic()
            try:
                await self.daemon.reload(self.base)
            except AgentError as exc:
                log.warning("discovered devices not applied (the agent keeps the devices it had): %s", exc)
                return
            except Exception:  # noqa: BLE001 - a discovery message must never stop the agent
                log.exception("discovered devices not applied (the agent keeps the devices it had)")
                return
            log.info("discovery: %d device(s) added to the config's %d in %.2f s", len(self.added),
                     len(self.base.devices), time.monotonic() - started)
            self.publish()

    def publish(self) -> None:
        doc = {"from": list(self.settings.sources), "added": self.added, "skipped": self.skipped[:100],
               "duplicates": self.catalog.duplicates, "ts": round(time.time(), 3)}
        mqtt = self.daemon.mqtt
        if mqtt is not None:
            mqtt.publish(self.topic, json.dumps(doc, ensure_ascii=False), 1, True)

    # ------------------------------------------------------------------ the config filter
    def extend(self, config: Config) -> Config:
        """``config`` (the user's, as loaded) with the discovered devices it does not hold."""
        if config is not self.base or self.raw is None:
            self.base = config
            self.raw = load_yaml(config.path)
        found, skipped = self.catalog.devices()
        self.skipped = [{"name": s.name, "why": s.why} for s in skipped]
        if not found:
            self.added = []
            return config
        data, added = overlay(self.raw, found)
        try:
            merged = parse_config(data, config.path)
        except ConfigError as exc:  # leave out the discovered devices the config refuses, keep the rest
            first = len(self.raw.get("devices") or ()) if isinstance(self.raw, dict) else 0
            bad = {int(i) for p in exc.problems for i in _INDEX.findall(p) if int(i) >= first}
            if not bad:
                raise
            for i in sorted(bad):
                entry = data["devices"][i]
                why = next(p for p in exc.problems if f"devices[{i}]" in p).split(": ", 2)[-1]
                self.skipped.append({"name": str(entry.get("name")), "why": why})
                added.remove(entry["id"])
            data["devices"] = [d for i, d in enumerate(data["devices"]) if i not in bad]
            merged = parse_config(data, config.path)
        self.added = added
        # keep what the command line and the service layer applied to the user's config
        return dataclasses.replace(merged, mqtt=config.mqtt, sections=config.sections)


def attach(daemon: Any, config: Config, settings: DiscoverySettings) -> LiveSync:
    return LiveSync(daemon, config, settings)
