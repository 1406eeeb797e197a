"""``voice-agent import``: write (or update) a config from the devices the broker announces.

    voice-agent import --mqtt 10.0.0.5:1883 -o home.yaml
    voice-agent import --mqtt 10.0.0.5:1883 --from zigbee2mqtt,tasmota -o home.yaml   # again: merges

Reads zigbee2mqtt's ``bridge/devices`` and ``bridge/groups``, Tasmota discovery and Home
Assistant MQTT discovery (see :mod:`agent.discovery`). An existing file is merged, keeping
the user's edits and comments; the result is checked like ``voice-agent check``.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from ..config import MqttConfig, parse_config
from ..discovery import SOURCES
from ..discovery.catalog import Catalog
from ..discovery.collect import collect
from ..discovery.merge import Report, merge
from ..discovery.yamltext import Loader, TextPatch, flow, scalar
from ..errors import ConfigError
from ..yamlsrc import load_yaml

_NOTHING = object()
INTENTS = Path(__file__).resolve().parents[2] / "intents" / "home.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="write or update a config from the devices the MQTT broker announces "
                                      "(zigbee2mqtt, Tasmota, Home Assistant discovery)")
    p.add_argument("--mqtt", metavar="HOST:PORT", required=True, help="the broker to read discovery from")
    p.add_argument("--from", dest="sources", default=",".join(SOURCES), metavar="SOURCES",
                   help=f"comma-separated: {', '.join(SOURCES)} (default: all)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="config file to write; an existing one is merged (your edits are kept)")
    p.add_argument("--wait", type=float, default=5.0, help="most seconds to collect messages (default 5)")
    p.add_argument("--settle", type=float, default=1.0,
                   help="stop once no message came for this many seconds (default 1)")
    p.add_argument("--site", default="home", help="site name for a new config (default: home)")
    p.add_argument("--ha-prefix", default="homeassistant", help="Home Assistant discovery prefix")
    p.add_argument("--username", default=None, help="broker user name")
    p.add_argument("--password-file", default=None, help="file whose first line is the broker password")
    p.set_defaults(func=run)


def address(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``HOST`` (port 1883) or ``[v6::addr]:PORT``."""
    host, port = value, "1883"
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else port
    elif value.count(":") == 1:
        host, port = value.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"voice-agent import: --mqtt {value!r}: give HOST:PORT, e.g. 127.0.0.1:1883")
    return host, int(port)


def sources_arg(text: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in SOURCES]
    if bad or not names:
        raise SystemExit(f"voice-agent import: --from {text!r}: use one or more of {', '.join(SOURCES)}")
    return names


def skeleton(output: Path, site: str, host: str, port: int) -> str:
    rel = os.path.relpath(INTENTS, output.resolve().parent)
    return ("# Written by voice-agent import. Edit freely: a second import keeps your names, aliases,\n"
            "# areas, comments and other settings, adds what is new and marks what vanished.\n"
            f"site: {scalar(site)}\nmqtt: {flow({'host': host, 'port': port})}\nintents: {flow([rel])}\n")


def import_into(output: Path, catalog: Catalog, *, site: str = "home", host: str = "127.0.0.1",
                port: int = 1883, stamp: str = "") -> tuple[Report, list, int]:
    """Merge what ``catalog`` holds into ``output`` (created when missing); the merge report,
    the skipped messages and the number of duplicates dropped. Nothing is written when the
    result would not pass ``check``."""
    text = output.read_text(encoding="utf-8") if output.exists() else skeleton(output, site, host, port)
    try:
        data = yaml.load(text, Loader=Loader)
    except yaml.YAMLError:
        load_yaml(output)  # the project's reader explains the problem with its line
        raise
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("devices") or [], list) \
            or not isinstance(data.get("areas") or [], list):
        raise ConfigError([f"{output}: not a config with 'areas' and 'devices' lists; give another -o file"])
    found, skipped = catalog.devices()
    answered = {_origin(t) for t in catalog.messages} - {None}
    originals = copy.deepcopy(data.get("devices") or [])
    n_areas = len(data.get("areas") or [])
    notes: dict[int, dict[str, str]] = {}

    def comment(mapping: Any, key: str, note: str) -> None:
        notes.setdefault(id(mapping), {})[key] = note

    report = merge(data, found, answered, comment=comment, stamp=stamp)
    patch = TextPatch(text)
    nodes = patch.items("devices")
    for old, new, node in zip(originals, data["devices"], nodes):
        if not isinstance(new, dict):
            continue
        if old.get("type") != new.get("type"):
            patch.set_value(node, "type", new["type"])
        if old.get("mqtt") != new.get("mqtt"):  # before source: inner lines first at the same place
            sub = patch.child(node, "mqtt")
            if sub is not None and isinstance(old.get("mqtt"), dict):  # key by key: comments inside stay
                for key, value in new["mqtt"].items():
                    if old["mqtt"].get(key, _NOTHING) != value:
                        patch.set_value(sub, key, value)
            else:
                patch.set_value(node, "mqtt", new["mqtt"])
        if old.get("source") != new.get("source"):
            patch.set_value(node, "source", new["source"])
        for key, note in notes.get(id(new), {}).items():
            patch.comment(node, key, note)
    patch.append("areas", [(a, notes.get(id(a), {})) for a in data["areas"][n_areas:]], before="devices")
    patch.append("devices", [(d, notes.get(id(d), {})) for d in data["devices"][len(originals):]])
    result = patch.result()
    parse_config(yaml.load(result, Loader=Loader), output.resolve())  # refuse to write what check refuses
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(result, encoding="utf-8")
    os.replace(tmp, output)
    return report, skipped, catalog.duplicates


def _origin(topic: str) -> str | None:
    parts = topic.split("/")
    if parts[-2:] in (["bridge", "devices"], ["bridge", "groups"]):
        return "zigbee2mqtt"
    if parts[-1] in ("config", "sensors") and "discovery" in parts[:-2] and parts[0] == "tasmota":
        return "tasmota"
    return "homeassistant"


def run(args: argparse.Namespace) -> int:
    sources = sources_arg(args.sources)
    host, port = address(args.mqtt)
    cfg = MqttConfig(host=host, port=port, client_id="voice-agent", username=args.username,
                     password_file=args.password_file)
    catalog = Catalog(sources, ha_prefix=args.ha_prefix)
    tty = sys.stderr.isatty()

    def progress(count: int, elapsed: float) -> None:
        if tty:
            print(f"\rcollecting discovery messages from {cfg.host}:{cfg.port}: {count} "
                  f"({elapsed:.1f} s)", end="", file=sys.stderr, flush=True)

    count = collect(catalog, cfg, wait=args.wait, settle=args.settle, progress=progress)
    if tty:
        print(file=sys.stderr)
    print(f"read {count} discovery message(s) from {cfg.host}:{cfg.port}", file=sys.stderr)
    stamp = datetime.date.today().isoformat()
    report, skipped, duplicates = import_into(args.output, catalog, site=args.site, host=cfg.host,
                                              port=cfg.port, stamp=stamp)
    print(f"{args.output}: {len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.adopted)} matched to devices you wrote, {len(report.unchanged)} unchanged, "
          f"{len(report.areas_added)} new area(s)")
    if duplicates:
        print(f"  {duplicates} Home Assistant discovery entit(y/ies) left out: the same device came from "
              "zigbee2mqtt or Tasmota directly")
    for ident in report.vanished:
        print(f"  vanished (kept, marked in the file; delete it if it is gone for good): {ident}")
    for s in skipped:
        print(f"  skipped {s.name!r} ({s.source}): {s.why}")
    for source in sources:
        if source not in {_origin(t) for t in catalog.messages}:
            print(f"  note: nothing from {source} on this broker")
    print(f"next: voice-agent check -c {args.output}")
    return 0
