"""``voice-agent check``: validate config and intent files; print a summary."""

from __future__ import annotations

import argparse
import collections

from ..intents import load_intents
from ..understand import TemplateEngine
from ._common import add_config_arg, config_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate the config and intent files and print a summary")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    intents = load_intents(config.intents)
    TemplateEngine(config, intents)  # compiles every template against the registry
    types = collections.Counter(d.type for d in config.devices)
    confirm = [d.id for d in config.devices if d.confirm]
    no_mqtt = [d.id for d in config.devices if d.mqtt is None and d.type not in ("sensor", "binary_sensor", "person")]
    print(f"config {config.path}: OK")
    print(f"  site: {config.site}" + (f" (in area {config.area})" if config.area else ""))
    print(f"  broker: {config.mqtt.host}:{config.mqtt.port}  events: {config.mqtt.prefix}/{config.site}/...")
    print(f"  floors: {len(config.floors)}  areas: {len(config.areas)}  devices: {len(config.devices)} "
          f"({', '.join(f'{n} {t}' for t, n in types.most_common())})")
    print(f"  intent files: {len(intents.files)}  intents: {len(intents.intents)}  "
          f"templates: {intents.template_count}  lists: {len(intents.lists)}")
    if confirm:
        print(f"  confirmation required for: {', '.join(confirm)}")
    if no_mqtt:
        print(f"  note: no mqtt settings (understood but nothing is published) for: {', '.join(no_mqtt)}")
    return 0
