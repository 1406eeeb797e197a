"""A discovered device, in the shape of a config entry."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Found:
    """One device (or one reading of a multi-sensor) a discovery message describes."""

    source: str
    """Stable key across re-imports: ``zigbee2mqtt:<ieee>[/<property>]``, ``tasmota:<mac>/relay1``,
    ``homeassistant:<unique_id>``."""
    name: str
    type: str
    mqtt: dict[str, Any]
    """The config's ``mqtt:`` mapping (style, topic, state_topic, options)."""
    device_class: str | None = None
    area: str | None = None
    """The area's name as the source gives it, or guessed from the device's name."""
    area_guessed: bool = False
    features: tuple[str, ...] | None = None
    unit: str | None = None
    """``C``/``F`` for thermostats."""
    min: float | None = None
    max: float | None = None
    confirm: bool = False
    claims: tuple[str, ...] = ()
    """Topics this device owns: another source announcing the same topics is a duplicate."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def entry(self, ident: str, area_id: str | None) -> dict[str, Any]:
        """The config mapping for this device."""
        out: dict[str, Any] = {"id": ident, "name": self.name, "type": self.type}
        if self.device_class:
            out["class"] = self.device_class
        if area_id:
            out["area"] = area_id
        if self.features is not None:
            out["features"] = list(self.features)
        if self.unit:
            out["unit"] = self.unit
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.confirm:
            out["confirm"] = True
        out["mqtt"] = dict(self.mqtt)
        out["source"] = self.source
        return out


@dataclass(frozen=True, slots=True)
class Skipped:
    """A discovery message that describes nothing the agent can drive, and why."""

    source: str
    name: str
    why: str


def slug(text: str) -> str:
    """``Kitchen Ceiling`` -> ``kitchen_ceiling`` (ASCII letters, digits and ``_``)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "device"


def clean_name(text: Any, fallback: str) -> str:
    """A spoken-friendly name: control characters and MQTT wildcards out, spaces tidied."""
    if not isinstance(text, str):
        return fallback
    text = re.sub(r"[\x00-\x1f\x7f#+]", " ", text)
    text = re.sub(r"[_/]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()[:80]
    return text or fallback


def plain_topic(topic: Any) -> bool:
    """A usable MQTT topic for commands and state: non-empty text, no wildcards, no NUL."""
    return isinstance(topic, str) and bool(topic) and not any(c in topic for c in "#+\x00") \
        and len(topic) <= 512
