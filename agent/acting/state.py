"""The last known state of every device, fed by its state topics.

Pure (no I/O, time is a parameter). Two layers per device: what the device *reported*
and what the agent *assumed* after sending a command (so "brighter, brighter" steps
twice before the device answers). A report replaces the assumption for the keys it
carries; a command that never went out is reverted with :meth:`StateStore.revert`.

Malformed state payloads (not UTF-8, binary, huge, not the JSON the style expects) are
ignored with one log line per topic per minute; they never raise.
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import Config, Device
from ..errors import ConfigError
from ..payloads import style_of

log = logging.getLogger(__name__)

MAX_STATE_BYTES = 64 * 1024
"""Larger state payloads are ignored (no device reports its state in 64 KiB)."""
LOG_EVERY = 60.0
"""Seconds between two log lines about bad payloads on the same topic."""


class StateStore:
    def __init__(self, config: Config) -> None:
        self.routes: dict[str, list[Device]] = {}
        self.device_ids = frozenset(d.id for d in config.devices)
        problems: list[str] = []
        for d in config.devices:
            if d.mqtt is None:
                continue
            problems += getattr(style_of(d), "check", lambda _d: [])(d)
            for topic in style_of(d).state_topics(d):
                if topic and "\x00" not in topic:
                    self.routes.setdefault(topic, []).append(d)
        if problems:
            raise ConfigError([f"{config.path}: {p}" for p in problems])
        self.reported: dict[str, dict[str, Any]] = {}
        self.assumed: dict[str, dict[str, tuple[Any, object]]] = {}
        self.changed: dict[str, float] = {}
        self.ignored = 0
        """How many state payloads were ignored as malformed."""
        self._last_log: dict[str, tuple[float, int]] = {}

    def topics(self) -> tuple[str, ...]:
        return tuple(self.routes)

    def get(self, device_id: str) -> dict[str, Any]:
        """Reported state overlaid with newer assumptions (a copy)."""
        out = dict(self.reported.get(device_id, {}))
        out.update({k: v for k, (v, _) in self.assumed.get(device_id, {}).items()})
        return out

    def feed(self, topic: str, payload: bytes, now: float) -> list[str]:
        """Take a message from a state topic; the ids of the devices it updated."""
        devices = self.routes.get(topic)
        if not devices:
            return []
        if len(payload) > MAX_STATE_BYTES:
            self._bad(topic, f"{len(payload)} bytes is more than {MAX_STATE_BYTES}", now)
            return []
        if b"\x00" in payload:
            self._bad(topic, "binary payload (NUL bytes)", now)
            return []
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._bad(topic, f"not UTF-8 (bad byte at {exc.start})", now)
            return []
        updated = []
        for device in devices:
            try:
                values = style_of(device).parse_state(device, topic, text)
            except Exception as exc:  # noqa: BLE001 - a device's bad payload must never stop the agent
                self._bad(topic, f"{device.mqtt.style} state for {device.id}: {type(exc).__name__}: "
                          f"{str(exc)[:120]}", now)
                continue
            if not values:
                continue
            self.reported.setdefault(device.id, {}).update(values)
            mine = self.assumed.get(device.id)
            if mine:
                for key in values:
                    mine.pop(key, None)
            self.changed[device.id] = now
            updated.append(device.id)
        return updated

    def assume(self, device_id: str, values: dict[str, Any], token: object, now: float) -> None:
        """Record the state a command should leave behind (``token`` names the command)."""
        layer = self.assumed.setdefault(device_id, {})
        for key, value in values.items():
            layer[key] = (value, token)
        self.changed[device_id] = now

    def revert(self, device_id: str, token: object) -> None:
        """Forget what the command ``token`` assumed (it was dropped, not sent)."""
        layer = self.assumed.get(device_id)
        if layer:
            for key in [k for k, (_, t) in layer.items() if t is token]:
                del layer[key]

    def carry_over(self, old: "StateStore") -> None:
        """Keep what ``old`` knew about devices that still exist (config reload)."""
        for ident, values in old.reported.items():
            if ident in self.device_ids:
                self.reported[ident] = dict(values)
        for ident, layer in old.assumed.items():
            if ident in self.device_ids:
                self.assumed[ident] = dict(layer)

    def _bad(self, topic: str, why: str, now: float) -> None:
        self.ignored += 1
        last, suppressed = self._last_log.get(topic, (float("-inf"), 0))
        if now - last < LOG_EVERY:
            self._last_log[topic] = (last, suppressed + 1)
            return
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        log.warning("ignored state message on %r: %s%s", topic, why, more)
        self._last_log[topic] = (now, 0)
