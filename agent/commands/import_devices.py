"""``voice-agent import``: write (or update) a config from the devices the broker announces.

    voice-agent import --mqtt 10.0.0.5:1883 -o home.yaml
    voice-agent import --mqtt 10.0.0.5:1883 --from zigbee2mqtt,tasmota -o home.yaml   # again: merges

Reads zigbee2mqtt's ``bridge/devices`` and ``bridge/groups``, Tasmota discovery and Home
Assistant MQTT discovery (see :mod:`agent.discovery`). An existing file is merged, keeping
the user's edits and comments; the result is checked like ``voice-agent check``.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import sys
from pathlib import Path
from typing import Any

from ..config import MqttConfig, parse_config
from ..discovery import SOURCES
from ..discovery.catalog import Catalog
from ..discovery.collect import collect
from ..discovery.merge import Report, merge
from ..errors import ConfigError
from ..yamlsrc import load_yaml

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


def yaml_rt():
    from ruamel.yaml import YAML
    y = YAML()
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.preserve_quotes = True
    return y


def skeleton(output: Path, site: str, host: str, port: int) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    data = CommentedMap()
    data["site"] = site
    data["mqtt"] = CommentedMap(host=host, port=port)
    data["mqtt"].fa.set_flow_style()
    rel = os.path.relpath(INTENTS, output.resolve().parent)
    data["intents"] = CommentedSeq([rel])
    data["intents"].fa.set_flow_style()
    data["areas"] = CommentedSeq()
    data["devices"] = CommentedSeq()
    data.yaml_set_start_comment("Written by voice-agent import. Edit freely: a second import keeps your\n"
                                "names, aliases, areas and other settings and adds what is new.")
    return data


def import_into(output: Path, catalog: Catalog, *, site: str = "home", host: str = "127.0.0.1",
                port: int = 1883, stamp: str = "") -> tuple[Report, list, int]:
    """Merge what ``catalog`` holds into ``output`` (created when missing); the merge report,
    the skipped messages and the number of duplicates dropped."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    y = yaml_rt()
    if output.exists():
        load_yaml(output)  # the project's own reader: a broken file is explained, not overwritten
        data = y.load(output.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ConfigError([f"{output}: not a config mapping; give another -o file"])
    else:
        data = skeleton(output, site, host, port)
    found, skipped = catalog.devices()
    answered = {_origin(t) for t in catalog.messages} - {None}

    def comment(mapping: Any, key: str, text: str) -> None:
        if hasattr(mapping, "yaml_add_eol_comment"):
            mapping.yaml_add_eol_comment(text, key)

    def new_map() -> Any:
        m = CommentedMap()
        return m

    report = merge(data, found, answered, new_map=new_map, new_list=CommentedSeq, comment=comment, stamp=stamp)
    for ident in report.added:  # short mappings and lists on one line, as people write them
        entry = next(d for d in data["devices"] if isinstance(d, dict) and d.get("id") == ident)
        if isinstance(entry.get("mqtt"), CommentedMap) and len(entry["mqtt"]) <= 4:
            entry["mqtt"].fa.set_flow_style()
        if isinstance(entry.get("features"), list):
            entry["features"] = CommentedSeq(entry["features"])
            entry["features"].fa.set_flow_style()
    buf = io.StringIO()
    y.dump(data, buf)
    text = buf.getvalue()
    parse_config(_reload(text, output), output.resolve())  # refuse to write what check would refuse
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    return report, skipped, getattr(catalog, "duplicates", 0)


def _reload(text: str, output: Path) -> Any:
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=output.resolve().parent, delete=False,
                                     encoding="utf-8") as fh:
        fh.write(text)
        name = fh.name
    try:
        return load_yaml(Path(name))
    finally:
        os.unlink(name)


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
