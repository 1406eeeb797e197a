"""The configuration: parsed once from YAML into frozen dataclasses.

Every problem is collected and reported together, each with file, line and key
path and a suggestion where one is obvious. Nothing after :func:`load_config`
indexes raw dictionaries.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..devices import FEATURES, READ_ONLY, TYPES
from ..errors import ConfigError
from ..mqtt_names import string_problem, topic_problem
from ..yamlsrc import Node, NodeList, load_yaml

_MISSING = object()


def suggest(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Reader:
    """Reads one YAML mapping, checking keys and types, collecting problems."""

    def __init__(self, node: Any, path: str, problems: list[str], file: str = "?", line: int = 0):
        self.node = node if isinstance(node, dict) else Node()
        self.path = path
        self.problems = problems
        self.file = getattr(node, "file", file)
        self.line = getattr(node, "line", line)
        self.used: set[str] = set()
        if node is not None and not isinstance(node, dict):
            self.problem(f"expected a mapping (key: value), got {_kind(node)}")

    # -- reporting ---------------------------------------------------------
    def where(self, key: str | None = None) -> str:
        line = self.node.line_of(key) if key is not None and isinstance(self.node, Node) else self.line
        path = self.path if key is None else (f"{self.path}.{key}" if self.path else key)
        return f"{self.file}:{line}: {path}" if path else f"{self.file}:{line}"

    def problem(self, message: str, key: str | None = None) -> None:
        self.problems.append(f"{self.where(key)}: {message}")

    # -- access --------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.node

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING, *,
            choices: Any = None, minimum: float | None = None, maximum: float | None = None,
            secret: bool = False) -> Any:
        """``secret``: the value never appears in a message (a password)."""
        self.used.add(key)
        if key not in self.node or self.node[key] is None:
            if default is _MISSING:
                self.problem("required key is missing", key)
                return None
            return default
        value = self.node[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        fail = None if default is _MISSING else default
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                self.problem(f"a {len(str(abs(value)))}-digit number is out of range", key)
                return fail
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            got = _kind(value, hide=secret)
            hint = "; put it in quotes" if secret and isinstance(value, (int, float)) and str in kinds else ""
            self.problem(f"expected {names}, got {got}{hint}", key)
            return fail
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(f"{value} is not a finite number; give one", key)
            return fail
        if choices is not None and value not in choices:
            self.problem(f"unknown value {value!r}{suggest(value, choices)}; "
                         f"one of: {', '.join(map(str, choices))}", key)
            return None if default is _MISSING else default
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            self.problem(f"{value} is out of range [{minimum}, {maximum}]", key)
            return None if default is _MISSING else default
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is accepted as a one-item list)."""
        value = self.get(key, (list, str), [])
        if isinstance(value, str):
            return (value,)
        out = []
        for i, item in enumerate(value or []):
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out.append(str(item))
            else:
                line = value.line_of(i) if isinstance(value, NodeList) else self.line
                self.problems.append(f"{self.file}:{line}: {self.path}.{key}[{i}]: "
                                     f"expected a string, got {_kind(item)}")
        return tuple(out)

    def sub(self, key: str) -> "Reader":
        """The mapping under ``key`` (an empty one when absent)."""
        self.used.add(key)
        value = self.node.get(key)
        path = f"{self.path}.{key}" if self.path else key
        return Reader(value, path, self.problems, self.file, self.node.line_of(key) if isinstance(self.node, Node) else self.line)

    def items(self, key: str) -> Iterator["Reader"]:
        """Readers for each mapping in the list under ``key``."""
        value = self.get(key, list, [])
        path = f"{self.path}.{key}" if self.path else key
        for i, item in enumerate(value or []):
            line = value.line_of(i) if isinstance(value, NodeList) else self.line
            yield Reader(item, f"{path}[{i}]", self.problems, self.file, line)

    def done(self, extra_ok: tuple[str, ...] = ()) -> None:
        """Report keys nobody asked for."""
        known = self.used | set(extra_ok)
        for key in self.node:
            if key not in known:
                self.problem(f"unknown key{suggest(key, sorted(known))}", key)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
               list: "a list", dict: "a mapping"}


def _kind(value: Any, hide: bool = False) -> str:
    if value is None:
        return "nothing"
    for t, name in _TYPE_NAMES.items():
        if isinstance(value, t) and not (t in (int, float) and isinstance(value, bool)):
            if hide and t in (str, int, float):
                return f"{name} (not shown: it is a secret)"
            return f"{name} ({str(value)[:40]!r})" if t in (str, int, float) else name
    return type(value).__name__


# --------------------------------------------------------------------------- sections

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
_NUMERIC_OPTIONS: dict[str, tuple[type, float, float]] = {
    "relay": (int, 1, 32), "shutter": (int, 1, 16), "brightness_scale": (int, 1, 65535),
    "volume_scale": (float, 0.001, 1e6), "temperature_precision": (float, 0.01, 10),
}
_STEP_OPTION = (float, 0.001, 1000)


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
    """Opt in: +200 MiB and a few seconds' load; on SLURP it takes right answers from 41% to 70%
    with 1.7% wrong actions, short of the 90% that would make it worth it for everyone."""
    model: str = "smollm2-135m"
    """A known model name or a path to a .gguf file."""
    adapter: str = "auto"
    """The LoRA adapter trained for this job (``voice-agent train``): ``auto`` is the one
    shipped for the default model (none for other models), ``none`` prompts the bare model
    with few-shot examples instead, or a path to a ``.gguf`` adapter (a personal model)."""
    threads: int = 1
    """llama.cpp threads. One by default: on a machine busy with other work, two threads
    waiting on each other took 19 s for a command that one thread answers in 0.2 s here."""
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


_ID = re.compile(r"^[^\s\x00-\x1f/#+]([^\x00-\x1f/#+]*[^\s\x00-\x1f/#+])?$")
_TOP = ("site", "area", "language", "mqtt", "intents", "floors", "areas", "devices",
        "understanding", "audio", "asr", "activation", "service", "discovery", "homeassistant")


_SECTIONS = ("audio", "asr", "activation", "service", "discovery", "homeassistant", "voice")
"""Optional stages' sections, each validated by the module that owns it."""


def _read_mqtt(r: Reader, site: str) -> MqttConfig:
    d = MqttConfig()
    tls = None
    if r.has("tls"):
        t = r.sub("tls")
        tls = TlsConfig(t.get("ca", str, None), t.get("cert", str, None), t.get("key", str, None),
                        t.get("insecure", bool, False))
        t.done()
    protocol = str(r.get("protocol", (str, int, float), "3.1.1"))
    if protocol not in ("3.1.1", "5", "5.0"):
        r.problem(f"unknown MQTT protocol {protocol!r}; use '3.1.1' or '5'", "protocol")
    cfg = MqttConfig(
        host=r.get("host", str, d.host),
        port=r.get("port", int, d.port, minimum=1, maximum=65535),
        keepalive=r.get("keepalive", int, d.keepalive, minimum=5, maximum=3600),
        client_id=r.get("client_id", str, f"voice-agent-{site}"),
        username=r.get("username", str, None),
        password=r.get("password", str, None, secret=True),
        password_file=r.get("password_file", str, None),
        tls=tls,
        protocol="5" if protocol.startswith("5") else "3.1.1",
        prefix=r.get("prefix", str, d.prefix).strip("/"),
        qos=r.get("qos", int, d.qos, choices=(0, 1, 2)),
        ttl=r.get("ttl", float, d.ttl, minimum=0.1, maximum=86400),
        reconnect_min=r.get("reconnect_min", float, d.reconnect_min, minimum=0.05, maximum=3600),
        reconnect_max=r.get("reconnect_max", float, d.reconnect_max, minimum=0.1, maximum=3600),
        ack_timeout=r.get("ack_timeout", float, d.ack_timeout, minimum=0.05, maximum=60),
        intent_ttl=_read_intent_ttl(r.sub("intent_ttl")),
        confirm_window=r.get("confirm_window", float, d.confirm_window, minimum=1.0, maximum=300),
        queue=r.get("queue", int, d.queue, minimum=1, maximum=100000),
    )
    if cfg.password and cfg.password_file:
        r.problem("give either password or password_file, not both", "password_file")
    if cfg.reconnect_min > cfg.reconnect_max:
        r.problem(f"reconnect_min ({cfg.reconnect_min:g}) is above reconnect_max ({cfg.reconnect_max:g})",
                  "reconnect_min")
    for key in ("client_id", "username", "password"):
        value = getattr(cfg, key)
        bad = string_problem(value) if isinstance(value, str) else None
        if bad is not None:
            r.problem(f"the value {bad}" + ("" if key == "password" else "; MQTT cannot send it"), key)
    if cfg.prefix:
        bad = topic_problem(f"{cfg.prefix}/{site}/not_understood")  # the longest event topic
        if bad is not None:
            r.problem(f"the prefix {bad} (it starts every event topic)", "prefix")
    r.done()
    return cfg


def _read_intent_ttl(r: Reader) -> dict[str, float]:
    return {name: r.get(name, float, 10.0, minimum=0.1, maximum=86400) for name in list(r.node)}


def _read_device_mqtt(r: Reader, read_only: bool = False) -> DeviceMqtt:
    style = r.get("style", str, "zigbee2mqtt", choices=STYLES)
    topic = r.get("topic", str, "")
    state_topic = r.get("state_topic", str, "")
    options = {k: v for k, v in r.node.items() if k not in ("style", "topic", "state_topic")}
    for key in options:  # the numbers the payload styles compute with
        limits = _NUMERIC_OPTIONS.get(key) or (_STEP_OPTION if key.endswith("_step") else None)
        if limits is not None:
            kind, low, high = limits
            options[key] = r.get(key, kind, None, minimum=low, maximum=high)
        elif key.endswith(("_topic", "_prefix", "_key", "_mode")) or key in ("schema", "white_as"):
            options[key] = r.get(key, str, None)
    options = {k: v for k, v in options.items() if v is not None}
    if style == "template" and not options.get("actions"):
        r.problem("a template device needs 'actions': {intent: {topic: ..., payload: ...}}")
    if style != "template" and not topic and not (read_only and state_topic):
        r.problem(f"{style} devices need a 'topic'", "topic")
    return DeviceMqtt(style or "zigbee2mqtt", topic or "", state_topic or "", dict(options))


@functools.lru_cache(maxsize=4096)  # asked once per device for every area: a big home repeats it
def _place_words(name: str) -> tuple[str, ...]:
    from ..normalize import tokens
    return tokens(name, fragment=True)


def _check_names_not_places(d: Reader, name: str, aliases: tuple[str, ...], area: str | None,
                            areas: list[Area], floors: list[Floor]) -> None:
    """A device called like another room ("bedroom" on the lounge's Christmas tree) takes "turn
    on the bedroom" for itself alone. A device named after its own room or floor (a
    zigbee2mqtt group "Kitchen" in the kitchen) means what the room's name means: allowed."""
    own_floor = next((a.floor for a in areas if a.id == area), None)
    places = {}
    for place, what in [(a, "area") for a in areas] + [(f, "floor") for f in floors]:
        for spoken in (place.name, *place.aliases):
            places.setdefault(_place_words(spoken), (what, place.id, spoken))
    for key, spoken in [("name", name)] + [("aliases", a) for a in aliases]:
        hit = places.get(_place_words(spoken))
        if hit and hit[1] not in ((area,) if hit[0] == "area" else (own_floor,)):
            what, pid, said = hit
            d.problem(f"{spoken!r} is also the name of {what} {pid!r} ({said!r}): \"turn on the {said.lower()}\" "
                      f"would mean this device alone; give the device a name of its own", key)


HVAC_MODES = ("heat", "cool", "auto", "heat_cool", "dry", "fan_only", "off")


def _modes(d: Reader) -> tuple[str, ...]:
    modes = d.strings("modes")
    for m in modes:
        if m not in HVAC_MODES:
            d.problem(f"unknown mode {m!r}{suggest(m, HVAC_MODES)}; one of: {', '.join(HVAC_MODES)}", "modes")
    return modes


def _rooms(d: Reader, area_ids: list[str]) -> tuple[tuple[str, str], ...]:
    """``rooms: {kitchen: 3}``: the vacuum's segment for each area it can clean alone."""
    r = d.sub("rooms")
    out = []
    for area in list(r.node):
        if area not in area_ids:
            r.problem(f"unknown area {area!r}{suggest(area, area_ids)}; the keys are area ids", area)
        seg = r.get(area, (str, int), None)
        if seg is not None:
            out.append((area, str(seg)))
    return tuple(out)


def _kind_words(r: Reader, key: str) -> tuple[str, ...]:
    from .. import vocab
    words = []
    for word in r.strings(key):
        if not word.strip():
            r.problem("an empty kind word; write the word people use, e.g. 'blind'", key)
            continue
        words.extend(vocab.plurals(word))
    return tuple(dict.fromkeys(words))


def _read_kinds(r: Reader) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``understanding.kinds: {cover:shutter: [blind]}``: more words for a kind of device."""
    out = []
    for kind in list(r.node):
        dtype, _, dclass = str(kind).partition(":")
        if dtype not in TYPES:
            r.problem(f"unknown device type {dtype!r}{suggest(dtype, TYPES)}; write type or type:class", str(kind))
        elif dclass and TYPES[dtype].classes and dclass not in TYPES[dtype].classes:
            r.problem(f"unknown class {dclass!r} for a {dtype}{suggest(dclass, TYPES[dtype].classes)}", str(kind))
        out.append((str(kind), _kind_words(r, str(kind))))
    return tuple(out)


def _read_slm(r: Reader) -> SlmConfig:
    d = SlmConfig()
    known = ("enabled", "model", "adapter", "threads", "timeout_ms", "min_confidence")
    cfg = SlmConfig(
        enabled=r.get("enabled", bool, d.enabled),
        model=r.get("model", str, d.model),
        adapter=_adapter(r, d.adapter),
        threads=r.get("threads", int, d.threads, minimum=1, maximum=64),
        timeout_ms=r.get("timeout_ms", float, d.timeout_ms, minimum=10),
        min_confidence=r.get("min_confidence", float, d.min_confidence, minimum=0, maximum=1),
        options={k: v for k, v in r.node.items() if k not in known},
    )
    return cfg


def _adapter(r: Reader, default: str) -> str:
    value = r.get("adapter", str, default)
    if value in ("auto", "none") or value is None:
        return value or default
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(r.file).parent / path  # relative to the config file, like intents
    if not path.is_file():
        r.problem(f"adapter file {value!r} not found (looked in {path}); give a .gguf adapter written "
                  "by `voice-agent train`, or 'auto' / 'none'", "adapter")
        return default
    return str(path.resolve())


def parse_config(data: Any, path: Path) -> Config:
    """Validate a loaded YAML document; raise :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    if data is None:
        raise ConfigError([f"{path}: the file is empty; see config/demo.yaml for a starting point"])
    r = Reader(data, "", problems, str(path), 1)
    if problems:
        raise ConfigError(problems)
    site = r.get("site", str, "hub")
    if site and not re.fullmatch(r"[A-Za-z0-9_-]+", site):
        r.problem("use letters, digits, '-' and '_' only (it becomes part of MQTT topics)", "site")
    language = r.get("language", str, "en")
    mqtt = _read_mqtt(r.sub("mqtt"), site or "hub")

    intent_paths = []
    if not r.strings("intents"):
        r.problem("no intent files: without them nothing is ever understood; add "
                  "'intents: [../intents/home.yaml]' (paths are relative to this config file, "
                  "so adjust the ../ to where the repository's intents/ folder is)", "intents")
    for rel in r.strings("intents"):
        p = (path.parent / rel).resolve()
        if not p.exists():
            r.problem(f"intent file {rel!r} not found (looked in {p})", "intents")
        intent_paths.append(p)

    floors, areas, devices = [], [], []
    seen: dict[tuple[str, str], str] = {}

    def check_id(item: Reader, what: str) -> str:
        ident = item.get("id", (str, int), None)
        if ident is None:
            return ""
        ident = str(ident)
        if not _ID.match(ident):
            item.problem(f"{what} id {ident!r} may not hold '/', '#', '+', control characters "
                         "or surrounding spaces", "id")
        elif (what, ident) in seen:
            item.problem(f"duplicate {what} id {ident!r} (first defined at {seen[what, ident]})", "id")
        else:
            seen[what, ident] = item.where("id")
        return ident

    for f in r.items("floors"):
        fid = check_id(f, "floor")
        floors.append(Floor(fid, f.get("name", str, fid) or fid, f.strings("aliases")))
        f.done()
    floor_ids = [f.id for f in floors]

    for a in r.items("areas"):
        aid = check_id(a, "area")
        floor = a.get("floor", str, None)
        if floor is not None and floor not in floor_ids:
            a.problem(f"unknown floor {floor!r}{suggest(floor, floor_ids)}; "
                      "define it under 'floors'", "floor")
        areas.append(Area(aid, a.get("name", str, aid) or aid, a.strings("aliases"), floor))
        a.done()
    area_ids = [a.id for a in areas]

    site_area = r.get("area", str, None)
    if site_area is not None and site_area not in area_ids:
        r.problem(f"unknown area {site_area!r}{suggest(site_area, area_ids)}", "area")

    for d in r.items("devices"):
        did = check_id(d, "device")
        dtype = d.get("type", str, None)
        if dtype is not None and dtype not in TYPES:
            d.problem(f"unknown type {dtype!r}{suggest(dtype, TYPES)}; "
                      f"one of: {', '.join(TYPES)}", "type")
            dtype = None
        dclass = d.get("class", str, None)
        if dclass is not None and dtype and TYPES[dtype].classes and dclass not in TYPES[dtype].classes:
            d.problem(f"unknown class {dclass!r} for a {dtype}{suggest(dclass, TYPES[dtype].classes)}; "
                      f"one of: {', '.join(TYPES[dtype].classes)}", "class")
        area = d.get("area", str, None)
        if area is not None and area not in area_ids:
            d.problem(f"unknown area {area!r}{suggest(area, area_ids)}; define it under 'areas'", "area")
        mqtt_cfg = _read_device_mqtt(d.sub("mqtt"), dtype in READ_ONLY) if d.has("mqtt") else None
        features = None
        if d.has("features"):
            features = d.strings("features")
            allowed = FEATURES.get(dtype or "", ())
            for f in features:
                if f not in allowed:
                    d.problem(f"unknown feature {f!r} for a {dtype}{suggest(f, allowed)}; "
                              f"one of: {', '.join(allowed) or '(none: remove features)'}", "features")
        unit = d.get("unit", str, "C", choices=("C", "F"))
        lo, hi = d.get("min", float, None), d.get("max", float, None)
        if lo is not None and hi is not None and lo > hi:
            d.problem(f"min {lo:g} is above max {hi:g}: every value would be refused; swap them", "min")
        name = d.get("name", str, None) or did
        aliases = d.strings("aliases")
        _check_names_not_places(d, name, aliases, area, areas, floors)
        devices.append(Device(
            id=did, name=name, type=dtype or "switch",
            aliases=aliases, device_class=dclass, area=area, mqtt=mqtt_cfg,
            confirm=d.get("confirm", bool, False), ttl=d.get("ttl", float, None, minimum=0.1, maximum=86400),
            rate_limit=d.get("rate_limit", float, 0.0, minimum=0.0, maximum=86400),
            min=lo, max=hi, unit=unit or "C", kinds=_kind_words(d, "kinds"),
            modes=_modes(d), sources=d.strings("sources"), rooms=_rooms(d, area_ids),
            features=features, source=d.get("source", str, None),
        ))
        d.done()

    u = r.sub("understanding")
    understanding = UnderstandingConfig(
        fuzzy=u.get("fuzzy", float, UnderstandingConfig().fuzzy, minimum=0.5, maximum=1.0),
        slm=_read_slm(u.sub("slm")),
        names=u.strings("names"),
        followup_window=u.get("followup_window", float, UnderstandingConfig().followup_window,
                              minimum=0.0, maximum=3600.0),
        kinds=_read_kinds(u.sub("kinds")),
    )
    u.done()
    sections = {k: data[k] for k in _SECTIONS if k in data}
    r.done(extra_ok=_SECTIONS)
    if problems:
        raise ConfigError(problems)
    return Config(path=path, site=site, area=site_area, language=language, mqtt=mqtt,
                  intents=tuple(intent_paths), floors=tuple(floors), areas=tuple(areas),
                  devices=tuple(devices), understanding=understanding, sections=sections)


def load_config(path: Path | str) -> Config:
    """Load and validate a config file (raises :class:`ConfigError`)."""
    path = Path(path).resolve() if Path(path).exists() else Path(path)
    return parse_config(load_yaml(path), path)
