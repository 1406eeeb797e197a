"""``voice-agent phrases``: what you can say to this home, per device, checked against it."""

from __future__ import annotations

import argparse
import json

from ..config import suggest
from ..errors import ConfigError
from ..understanding.phrases import examples
from ..understanding.template_engine import TemplateEngine
from ._common import add_config_arg, config_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phrases", help="what you can say: example commands per device, made from your config")
    add_config_arg(p)
    p.add_argument("--device", metavar="ID", action="append", default=None,
                   help="only this device (repeatable; default: every device)")
    p.add_argument("-n", type=int, default=3, metavar="N", help="examples per intent (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="one JSON object per device")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    engine = TemplateEngine(config)
    ids = [d.id for d in config.devices]
    unknown = [i for i in args.device or () if i not in ids]
    if unknown:
        raise ConfigError([f"--device {i!r}: no such device in {config.path.name}{suggest(i, ids)}"
                           for i in unknown])
    devices = [d for d in config.devices if args.device is None or d.id in args.device]
    areas = {a.id: a.name for a in config.areas}
    blocks = [(d, examples(engine, d, args.n)) for d in devices]
    if args.device is None:
        blocks.append((None, examples(engine, None, args.n)))
    for device, found in blocks:
        if args.json:
            print(json.dumps({"device": device.id if device else None,
                              "intents": {e.intent: list(e.phrases) for e in found}}, ensure_ascii=False))
            continue
        if device is None:
            if found:
                print("Without a device")
        else:
            where = f", {areas[device.area]}" if device.area else ""
            print(f"{device.name} ({device.id}{where})")
            if not found:
                print("  (nothing to say to it: its type takes no spoken commands here)")
        for e in found:
            print(f"  {e.intent.replace('_', ' ')}: " + " | ".join(f'"{p}"' for p in e.phrases))
    return 0
