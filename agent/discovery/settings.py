"""The ``discovery:`` and ``homeassistant:`` config sections.

```yaml
discovery:                       # keep the devices in step with the broker while running
  from: [zigbee2mqtt, homeassistant]   # default: all three
  homeassistant_prefix: homeassistant
  tasmota_prefix: tasmota/discovery
  settle: 1.0                    # seconds of quiet before the devices are rebuilt
homeassistant:
  discovery: true                # announce the agent itself to Home Assistant
  prefix: homeassistant
  name: Kitchen voice agent      # the device's name there (default: "Voice agent <site>")
```
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, Reader
from ..errors import ConfigError
from . import SOURCES


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    sources: tuple[str, ...] = SOURCES
    """Where devices come from: zigbee2mqtt, tasmota, homeassistant."""
    ha_prefix: str = "homeassistant"
    tasmota_prefix: str = "tasmota/discovery"
    settle: float = 1.0
    """Seconds without a new discovery message before the devices are rebuilt (one rebuild per burst)."""


@dataclass(frozen=True, slots=True)
class AnnounceSettings:
    discovery: bool = False
    """Publish the agent's own Home Assistant discovery configs."""
    prefix: str = "homeassistant"
    name: str = ""
    """The device's name in Home Assistant (default ``Voice agent <site>``)."""


def _reader(config: Config, key: str, problems: list[str]) -> Reader:
    node = config.sections.get(key)
    return Reader(node, key, problems, str(config.path), getattr(node, "line", 0))


def _prefix(r: Reader, key: str, default: str) -> str:
    value = (r.get(key, str, default) or default).strip("/")
    if not value or any(c in value for c in "#+\x00"):
        r.problem(f"{value!r} is not a plain MQTT topic prefix", key)
        return default
    return value


def read_discovery(config: Config) -> DiscoverySettings | None:
    """The ``discovery:`` section (None when absent); ConfigError listing every problem."""
    if "discovery" not in config.sections:
        return None
    problems: list[str] = []
    r = _reader(config, "discovery", problems)
    sources = r.strings("from") or SOURCES
    for s in sources:
        if s not in SOURCES:
            r.problem(f"unknown source {s!r}; one of: {', '.join(SOURCES)}", "from")
    out = DiscoverySettings(tuple(dict.fromkeys(sources)), _prefix(r, "homeassistant_prefix", "homeassistant"),
                            _prefix(r, "tasmota_prefix", "tasmota/discovery"),
                            r.get("settle", float, 1.0, minimum=0.05, maximum=60))
    r.done()
    if problems:
        raise ConfigError(problems)
    return out


def read_announce(config: Config) -> AnnounceSettings | None:
    """The ``homeassistant:`` section (None when absent or ``discovery: false``)."""
    if "homeassistant" not in config.sections:
        return None
    problems: list[str] = []
    r = _reader(config, "homeassistant", problems)
    out = AnnounceSettings(r.get("discovery", bool, False), _prefix(r, "prefix", "homeassistant"),
                           r.get("name", str, "") or "")
    r.done()
    if problems:
        raise ConfigError(problems)
    return out if out.discovery else None
