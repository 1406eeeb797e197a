"""The configuration as frozen dataclasses: what every stage reads after loading (nothing
indexes raw dictionaries). Each field says what it means; :mod:`.load` fills them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def slm_threads() -> int:
    """``understanding.slm.threads: auto``: two llama.cpp threads where this process may
    use four cores or more (a Pi 4 or 5 running the agent keeps cores free), else one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return 2 if cores >= 4 else 1


@dataclass(frozen=True, slots=True)
class TlsConfig:
    ca: str | None = None
    """CA bundle that signed the broker's certificate."""
    cert: str | None = None
    """Client certificate (PEM) for mutual TLS."""
    key: str | None = None
    """Client private key (PEM)."""
    insecure: bool = False
    """Skip hostname verification (testing only)."""


@dataclass(frozen=True, slots=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    keepalive: int = 30
    client_id: str = ""
    """Defaults to ``voice-agent-<site>``."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or traceback
    password_file: str | None = None
    """Read the password from this file (first line), keeping secrets out of the config."""
    tls: TlsConfig | None = None
    protocol: str = "3.1.1"
    """``3.1.1`` or ``5``."""
    prefix: str = "voice-agent"
    """Event topics are ``<prefix>/<site>/...``."""
    qos: int = 1
    ttl: float = 10.0
    """Seconds an action may wait for the broker before it is dropped as stale."""
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    ack_timeout: float = 3.0
    """Seconds the broker may take to acknowledge an action (at most half its TTL) before
    the connection counts as stalled and is cut."""
    intent_ttl: dict[str, float] = field(default_factory=dict)
    """Per-intent TTL overrides (``unlock: 5``); a device's own ``ttl`` wins over these."""
    confirm_window: float = 10.0
    """Seconds a ``confirm: true`` device waits for a "yes" before its action is dropped."""
    queue: int = 100
    """Most actions waiting for the broker at once; the oldest is dropped beyond it."""


@dataclass(frozen=True, slots=True)
class Floor:
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceMqtt:
    """How a device is driven over MQTT."""

    style: str
    """``zigbee2mqtt``, ``tasmota``, ``homeassistant`` or ``template``."""
    topic: str = ""
    """zigbee2mqtt: ``<base>/<friendly name>``; tasmota: the device topic; HA: command topic."""
    state_topic: str = ""
    """Where the device reports its state (empty: style default or none)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Style-specific settings (payload templates, brightness scale, ...)."""


STYLES = ("zigbee2mqtt", "tasmota", "homeassistant", "template")


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    device_class: str | None = None
    """Finer kind within the type: ``curtain`` for a cover, ``temperature`` for a sensor."""
    area: str | None = None
    mqtt: DeviceMqtt | None = None
    confirm: bool = False
    """Act only after a spoken "yes" (locks, garage doors, vehicle doors and windows)."""
    ttl: float | None = None
    """Overrides ``mqtt.ttl`` for this device's actions."""
    rate_limit: float = 0.0
    """Minimum seconds between two actions on this device (0: none)."""
    min: float | None = None
    """Lowest settable value (temperature, position ...)."""
    max: float | None = None
    unit: str = "C"
    """Temperature unit the device expects: ``C`` or ``F``."""
    features: tuple[str, ...] | None = None
    """What the device can do beyond on/off (:data:`agent.devices.FEATURES`); None: all its type can."""
    source: str | None = None
    """Where ``voice-agent import`` found it (``zigbee2mqtt:0x00158d.../humidity``): re-imports match on it."""
    kinds: tuple[str, ...] = ()
    """Extra words people use for this device as a kind ("blind": "close the blinds")."""
    modes: tuple[str, ...] = ()
    """Climate: the modes it takes (``heat``, ``cool``, ``auto``, ``dry``, ``fan_only``, ``off``);
    empty: any."""
    sources: tuple[str, ...] = ()
    """Media player: its inputs as people say them ("HDMI 1", "Netflix")."""
    rooms: tuple[tuple[str, str], ...] = ()
    """Vacuum: area id -> the vacuum's own segment id, for "clean the kitchen"."""


@dataclass(frozen=True, slots=True)
class SlmConfig:
    enabled: bool = False
    """Opt in: +200 MiB and a second's load; on SLURP it takes right answers from 41% to 69%
    with 0.8% wrong actions, short of the 88% that would make it worth it for everyone."""
    model: str = "smollm2-135m"
    """A known model name or a path to a .gguf file."""
    adapter: str = "auto"
    """The LoRA adapter trained for this job (``voice-agent train``): ``auto`` is the one
    shipped for the default model (none for other models), ``none`` prompts the bare model
    with few-shot examples instead, or a path to a ``.gguf`` adapter (a personal model)."""
    threads: int = field(default_factory=lambda: slm_threads())
    """llama.cpp threads (``auto``: :func:`slm_threads`). On a quiet machine here two answer
    a command in 77 ms against 112 ms for one, but two threads waiting on each other on a
    2-core machine busy with other work took 19 s for a command one thread answers in 0.2 s."""
    timeout_ms: float = 1500.0
    """Budget per utterance; past it the answer is "not understood"."""
    min_confidence: float = 0.4
    """Probability of the whole answer below which it is "not understood" (chosen on
    benchmarks/slm_dev.jsonl: 0.4 kept every wrong answer out and let two more right ones in)."""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnderstandingConfig:
    fuzzy: float = 0.78
    """Similarity (0..1) a misheard name needs to count as that name; 1 disables fuzzy matching."""
    slm: SlmConfig = field(default_factory=SlmConfig)
    names: tuple[str, ...] = ()
    """Names people call the agent by ("jarvis"): said first or last, they are only the address."""
    followup_window: float = 30.0
    """Seconds during which "and the kitchen too", "turn it off", "undo that" refer to the last
    command of the same site; 0 turns follow-ups off."""
    kinds: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Extra words per kind of device: ``(("cover:shutter", ("blind", "roller")), ...)``."""


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    site: str
    area: str | None
    """The area this agent stands in: "turn on the lights" means this area's lights."""
    language: str
    mqtt: MqttConfig
    intents: tuple[Path, ...]
    floors: tuple[Floor, ...]
    areas: tuple[Area, ...]
    devices: tuple[Device, ...]
    understanding: UnderstandingConfig
    sections: dict[str, Any] = field(default_factory=dict)
    """Raw settings of the optional stages (``audio``, ``asr``, ``activation``, ``service``,
    ``discovery``, ``homeassistant``), each validated by the module that owns it."""
