"""``voice-agent import-rhino``: a Picovoice Rhino context as an intent file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..understanding.rhino import dump, import_context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-rhino", help="convert a Picovoice Rhino context (.yml) into an intent file")
    p.add_argument("context", type=Path, help="the Rhino context YAML")
    p.add_argument("-o", "--output", type=Path, default=None, help="write here (default: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = dump(import_context(args.context), args.context)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote {args.output}; use it with 'intents: [{args.output.name}]' in a config", file=sys.stderr)
    return 0
