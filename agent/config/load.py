"""Loading the configuration: YAML -> :class:`~.model.Config`, every problem reported at once.

Each problem names its file, line and key path, with a suggestion where one is obvious; the
sections are read by :mod:`.mqtt_section`, :mod:`.device_section` and
:mod:`.understanding_section`. Nothing after :func:`load_config` indexes raw dictionaries.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..devices import FEATURES, READ_ONLY, TYPES
from ..errors import ConfigError
from ..yamlsrc import load_yaml
from .device_section import check_names_not_places, read_device_mqtt, read_kind_words, read_modes, read_rooms
from .model import Area, Config, Device, Floor
from .mqtt_section import read_mqtt
from .reader import Reader, suggest
from .understanding_section import read_understanding

_ID = re.compile(r"^[^\s\x00-\x1f/#+]([^\x00-\x1f/#+]*[^\s\x00-\x1f/#+])?$")
"""What an id may be: it becomes part of MQTT topics and event payloads."""
_SECTIONS = ("audio", "asr", "activation", "service", "discovery", "homeassistant", "voice")
"""Optional stages' sections, each validated by the module that owns it."""


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
    mqtt = read_mqtt(r.sub("mqtt"), site or "hub")

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
        mqtt_cfg = read_device_mqtt(d.sub("mqtt"), dtype in READ_ONLY) if d.has("mqtt") else None
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
        check_names_not_places(d, name, aliases, area, areas, floors)
        devices.append(Device(
            id=did, name=name, type=dtype or "switch",
            aliases=aliases, device_class=dclass, area=area, mqtt=mqtt_cfg,
            confirm=d.get("confirm", bool, False), ttl=d.get("ttl", float, None, minimum=0.1, maximum=86400),
            rate_limit=d.get("rate_limit", float, 0.0, minimum=0.0, maximum=86400),
            min=lo, max=hi, unit=unit or "C", kinds=read_kind_words(d, "kinds"),
            modes=read_modes(d), sources=d.strings("sources"), rooms=read_rooms(d, area_ids),
            features=features, source=d.get("source", str, None),
        ))
        d.done()

    understanding = read_understanding(r.sub("understanding"))
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
