"""The discovered home as it stands: the latest retained message of every discovery topic,
turned into devices on demand.

Messages come and go (a device paired, a config cleared with an empty retained message);
:meth:`Catalog.feed` keeps the latest of each topic and :meth:`Catalog.devices` rebuilds the
device list from them. A device that zigbee2mqtt or Tasmota describe natively and that also
has a Home Assistant discovery config (both bridges can publish one) is kept once, from its
native source.
"""

from __future__ import annotations

import json
from typing import Any

from . import SOURCES, homeassistant, tasmota, zigbee2mqtt
from .model import Found, Skipped

MAX_BRIDGE_BYTES = 32 * 1024 * 1024
"""Largest ``bridge/devices`` list read (about 10,000 devices)."""
MAX_CONFIG_BYTES = 64 * 1024
"""Largest Tasmota or Home Assistant discovery config read."""


class Catalog:
    def __init__(self, sources: tuple[str, ...] = SOURCES, *, ha_prefix: str = "homeassistant",
                 tasmota_prefix: str = "tasmota/discovery") -> None:
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown discovery source {unknown[0]!r}; use {', '.join(SOURCES)}")
        self.sources = tuple(sources)
        self.ha_prefix = ha_prefix.strip("/")
        self.tasmota_prefix = tasmota_prefix.strip("/")
        self.messages: dict[str, Any] = {}
        """Topic -> parsed JSON of its latest message."""
        self.rejected: dict[str, str] = {}
        """Topic -> why its latest message could not be read."""
        self.duplicates = 0
        """Home Assistant entities left out by the last :meth:`devices`: a native source had them."""

    def subscriptions(self) -> set[str]:
        out = set()
        if "zigbee2mqtt" in self.sources:
            out |= {"+/bridge/devices", "+/bridge/groups"}
        if "tasmota" in self.sources:
            out |= {f"{self.tasmota_prefix}/+/config", f"{self.tasmota_prefix}/+/sensors"}
        if "homeassistant" in self.sources:
            out |= {f"{self.ha_prefix}/+/+/config", f"{self.ha_prefix}/+/+/+/config"}
        return out

    def wants(self, topic: str) -> bool:
        parts = topic.split("/")
        if "zigbee2mqtt" in self.sources and len(parts) == 3 and parts[1] == "bridge" \
                and parts[2] in ("devices", "groups"):
            return True
        tp = self.tasmota_prefix.split("/")
        if "tasmota" in self.sources and len(parts) == len(tp) + 2 and parts[:len(tp)] == tp \
                and parts[-1] in ("config", "sensors"):
            return True
        return "homeassistant" in self.sources and homeassistant.split_topic(topic, self.ha_prefix) is not None

    def feed(self, topic: str, payload: bytes) -> bool:
        """Take one message; True when the catalog changed."""
        if not self.wants(topic):
            return False
        if not payload:  # an empty retained message clears the topic: the device is gone
            changed = topic in self.messages or topic in self.rejected
            self.messages.pop(topic, None)
            self.rejected.pop(topic, None)
            return changed
        limit = MAX_BRIDGE_BYTES if "/bridge/" in topic else MAX_CONFIG_BYTES
        why = ""
        doc: Any = None
        if len(payload) > limit:
            why = f"{len(payload)} bytes is more than {limit}"
        else:
            try:
                doc = json.loads(payload.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                why = f"not UTF-8 JSON ({type(exc).__name__})"
        if why:
            changed = self.rejected.get(topic) != why or topic in self.messages
            self.messages.pop(topic, None)
            self.rejected[topic] = why
            return changed
        changed = self.messages.get(topic) != doc
        self.messages[topic] = doc
        self.rejected.pop(topic, None)
        return changed

    def devices(self) -> tuple[list[Found], list[Skipped]]:
        """Every device the current messages describe (duplicates removed) and what was skipped."""
        found: list[Found] = []
        skipped = [Skipped(f"topic:{t}", t, f"unreadable discovery message: {why}") for t, why in self.rejected.items()]
        for topic in sorted(self.messages):
            parts = topic.split("/")
            if parts[-2:] == ["bridge", "devices"]:
                base = parts[0]
                groups = self.messages.get(f"{base}/bridge/groups")
                first, _ = zigbee2mqtt.parse_devices(base, self.messages[topic])
                kinds = {f.source.split(":", 1)[1]: (f.type, f.features or ()) for f in first if "/" not in f.source}
                gfound, gskipped, member_area = zigbee2mqtt.parse_groups(base, groups or [], kinds)
                devs, dskipped = zigbee2mqtt.parse_devices(base, self.messages[topic], member_area)
                found += devs + gfound
                skipped += dskipped + gskipped
            elif parts[-1] == "config" and "tasmota" in self.sources and topic.startswith(self.tasmota_prefix + "/"):
                mac = parts[-2]
                devs, sk = tasmota.parse_config(mac, self.messages[topic],
                                                self.messages.get(f"{self.tasmota_prefix}/{mac}/sensors"))
                found += devs
                skipped += sk
        native = list(found)
        exact = {c for f in native for c in f.claims if not c.endswith("/")}
        prefixes = tuple(c for f in native for c in f.claims if c.endswith("/"))
        duplicates = 0
        for topic in sorted(self.messages):
            split = homeassistant.split_topic(topic, self.ha_prefix) if "homeassistant" in self.sources else None
            if split is None:
                continue
            devs, sk = homeassistant.parse_config(split[0], split[1], self.messages[topic])
            for f in devs:
                if any(c in exact or c.startswith(prefixes) for c in f.claims):
                    duplicates += 1
                    continue
                found.append(f)
            skipped += sk
        self.duplicates = duplicates
        seen: set[str] = set()
        unique = []
        for f in found:
            if f.source not in seen:
                seen.add(f.source)
                unique.append(f)
        return unique, skipped
