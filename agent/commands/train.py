"""``voice-agent train``: fine-tune the small model for this job (needs the ``[train]`` extra).

Without ``-c`` it trains the general adapter the project ships: a corpus drawn from many
random homes (:mod:`agent.training.corpus`). With ``-c CONFIG`` it trains a personal
adapter: the same corpus plus the home's own names, aliases, custom intents and lists;
with ``--cases`` it prints the user's ``eval`` accuracy before and after. Training
checkpoints as it goes; the same command resumes after an interruption (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import AgentError
from ._common import config_from

DEFAULTS = {"homes": 1200, "per_home": 14, "val_homes": 40, "epochs": 1.0}
PERSONAL_HOMES = 150
"""A personal model starts from the shipped adapter: a few random homes keep what it knows
while the user's own home is learned (minutes, not the general run's hour)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune the on-device model (LoRA) for this job or for your home")
    p.add_argument("-c", "--config", type=Path, default=None,
                   help="train a personal adapter for this home (default: the general adapter)")
    p.add_argument("--cases", type=Path, default=None,
                   help="your `voice-agent eval` cases: accuracy is printed before and after")
    p.add_argument("-o", "--out", type=Path, default=None,
                   help="output folder (default: ./voice-agent-adapter, or beside the config)")
    p.add_argument("--model", default="smollm2-135m", help="base model (name or GGUF path)")
    p.add_argument("--homes", type=int, default=None,
                   help=f"random homes in the corpus (default {DEFAULTS['homes']}; with -c {PERSONAL_HOMES})")
    p.add_argument("--start", default="auto",
                   help="adapter to start from: 'auto' (with -c: the shipped one), 'none', or a .gguf path")
    p.add_argument("--per-home", type=int, default=DEFAULTS["per_home"], help="examples per random home")
    p.add_argument("--val-homes", type=int, default=DEFAULTS["val_homes"], help="held-out homes for validation")
    p.add_argument("--epochs", type=float, default=DEFAULTS["epochs"])
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps (a quick check)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1 is fastest on a busy machine; try the core count on an idle one)")
    p.add_argument("--layers", type=int, default=16, help="LoRA on the top this-many layers")
    p.add_argument("--eval-every", type=int, default=200, help="steps between validation and checkpoints")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        print(f"voice-agent train: {exc.name} is not installed; training needs the [train] extra: "
              "`./install.sh train` (or `.venv/bin/pip install -e .[train]`); the daemon itself never "
              "needs it", file=sys.stderr)
        return 69  # EX_UNAVAILABLE
    from ..slm.models import find_adapter, find_gguf
    from ..training.corpus import Phrases, build, digest, own_home, write_jsonl
    from ..training.train import TrainSettings, train

    base = find_gguf(args.model)
    phrases = Phrases()
    config = config_from(args) if args.config else None
    homes = args.homes if args.homes is not None else (PERSONAL_HOMES if config else DEFAULTS["homes"])
    if args.start == "auto":
        start = find_adapter(args.model, "auto") if config else None
    else:
        start = find_adapter(args.model, args.start)
    cases = None
    if args.cases:
        if config is None:
            print("voice-agent train: --cases needs -c CONFIG (the home the cases are about)", file=sys.stderr)
            return 64
        from .eval import read_cases
        cases = read_cases(args.cases)
    out = args.out or (config.path.parent / f"{config.site}-adapter" if config else Path("voice-agent-adapter"))
    model_name = args.model if not args.model.lower().endswith(".gguf") else base.stem.split(".")[0]
    name = f"{config.site}-voice-agent" if config else f"{model_name.lower()}-voice-agent"

    print(f"building the corpus: {homes} random homes x {args.per_home} examples"
          + (f", plus {config.path.name}" if config else ""), flush=True)
    examples = list(build(args.seed, homes, args.per_home, phrases))
    if config is not None:
        own = own_home(config, max(400, 20 * args.per_home), args.seed, phrases)
        examples += own * 3  # the home's own names weigh more than any one random home
        print(f"  {len(own)} examples from {config.path.name} (each seen 3 times)", flush=True)
    val = list(build(args.seed + 10_000, args.val_homes, args.per_home, phrases))
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(examples, out / "corpus.jsonl")
    write_jsonl(val, out / "validation.jsonl")
    print(f"  {len(examples)} training and {len(val)} validation examples ({out}/corpus.jsonl)", flush=True)

    before = _score(config, cases, start, args.cases) if cases else None  # the adapter it starts from
    settings = TrainSettings(
        out=out, base=base, seed=args.seed, epochs=args.epochs, batch=args.batch, lr=args.lr,
        rank=args.rank, alpha=2 * args.rank, threads=args.threads, layers=args.layers, eval_every=args.eval_every,
        max_steps=args.steps, name=name, start=start,
        extra={"corpus_sha256": digest(examples), "phrases_sha256": phrases.sha256,
               "command": "voice-agent " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
               "home": str(config.path) if config else None,
               "started_from": str(start) if start else None, "code": _commit()})
    try:
        manifest = train(settings, examples, val, log=lambda line: print(line, flush=True))
    except AgentError as exc:
        print(f"voice-agent train: [{exc.code}] {exc}", file=sys.stderr)
        return 1
    if not manifest:
        return 130
    adapter = out / manifest["adapter"]
    if cases:
        after = _score(config, cases, adapter, args.cases)
        print(f"your cases ({args.cases}): before {before[0]}/{before[2]} right, {before[1]} wrong; "
              f"after {after[0]}/{after[2]} right, {after[1]} wrong")
    if config is not None:
        print(f"to use it, set in {config.path.name}:\n  understanding:\n    slm: {{enabled: true, adapter: {adapter}}}")
    return 0


def _score(config, cases, adapter: Path | None, path: Path) -> tuple[int, int, int]:
    """The user's eval cases with templates + the model: (right, acted wrongly, total)."""
    from ..engine import build_understander
    from .eval import score_case

    slm = config.understanding.slm
    slm = replace(slm, enabled=True, adapter=str(adapter) if adapter else slm.adapter)
    config = replace(config, understanding=replace(config.understanding, slm=slm))
    engine = build_understander(config)
    items, default_area = cases
    right = wrong = 0
    for case in items:
        outcome = score_case(case, config, engine, default_area, path)
        right += not outcome.misses
        wrong += outcome.wrong_actions > 0
    close = getattr(engine, "close", None)
    if close:
        close()
    return right, wrong, len(items)


def _commit() -> str | None:
    """The git commit of the code that wrote the corpus (with '+changes' if the tree differs)."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "agent", "training", "intents"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+changes" if dirty else "")) or None
