"""``voice-agent eval``: score the agent on the user's own test sentences.

CASES.yaml::

    area: kitchen                  # optional: where the speaker stands for every case
    cases:
      - text: turn on the kitchen light
        intent: turn_on
        targets: [light.kitchen]   # optional; compared as a set
        slots: {brightness: 50}    # optional; only the slots given are compared
        area: bedroom              # optional, per case
      - text: what's the weather
        intent: null               # expect "not understood"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import Reader, suggest
from ..errors import ConfigError
from ..understand import build_understander
from ..yamlsrc import load_yaml
from ._common import add_config_arg, config_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="score understanding on your own test sentences (CASES.yaml)")
    add_config_arg(p)
    p.add_argument("cases", type=Path, help="YAML file of test sentences with expected results")
    p.set_defaults(func=run)


def read_cases(path: Path) -> tuple[list[dict], str | None]:
    problems: list[str] = []
    r = Reader(load_yaml(path), "", problems, str(path), 1)
    area = r.get("area", str, None)
    cases = []
    for c in r.items("cases"):
        text = c.get("text", str)
        if "intent" not in c.node:
            c.problem("required key is missing (use null to expect 'not understood')", "intent")
        intent = c.get("intent", str, None)
        case = {"text": text, "intent": intent, "line": c.line,
                "targets": set(c.strings("targets")) if c.has("targets") else None,
                "slots": c.get("slots", dict, None), "area": c.get("area", str, None)}
        c.done()
        cases.append(case)
    r.done()
    if problems:
        raise ConfigError(problems)
    if not cases:
        raise ConfigError([f"{path}: no cases; add a 'cases:' list (see voice-agent eval --help)"])
    return cases, area


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    cases, default_area = read_cases(args.cases)
    known_areas = {a.id for a in config.areas}
    engine = build_understander(config)
    # a typo in a case ("turn_onn", "light.kitchn") is the case's fault, not a miss
    known_intents = set(engine.intents.intents)
    known_devices = [d.id for d in config.devices]
    wrong = []
    for case in cases:
        where = f"{args.cases}:{case['line']}"
        area = case["area"] or default_area
        if area is not None and area not in known_areas:
            wrong.append(f"{where}: area {area!r} is not in {config.path.name}{suggest(area, sorted(known_areas))}")
        if case["intent"] is not None and case["intent"] not in known_intents:
            wrong.append(f"{where}: unknown intent {case['intent']!r}"
                         f"{suggest(case['intent'], sorted(known_intents))}")
        for t in sorted(case["targets"] or ()):
            if t not in known_devices:
                wrong.append(f"{where}: unknown device {t!r}{suggest(t, known_devices)}")
    if wrong:
        raise ConfigError(wrong)
    misses = []
    for case in cases:
        area = case["area"] or default_area
        got = engine.understand(case["text"], area=area)
        problems = []
        if got.name != case["intent"]:
            problems.append(f"intent {got.name} (want {case['intent']})")
        if case["targets"] is not None and set(got.targets) != case["targets"]:
            problems.append(f"targets {sorted(got.targets)} (want {sorted(case['targets'])})")
        for key, want in (case["slots"] or {}).items():
            if got.slots.get(key) != want:
                problems.append(f"slot {key}={got.slots.get(key)!r} (want {want!r})")
        if problems:
            misses.append((case, got, problems))
    n = len(cases)
    ok = n - len(misses)
    for case, got, problems in misses:
        print(f"MISS {args.cases}:{case['line']}: {case['text']!r}: " + "; ".join(problems)
              + (f" [{got.reason}]" if got.reason else ""))
    print(f"{ok}/{n} correct ({100.0 * ok / n:.1f}%)")
    sys.stdout.flush()
    return 0 if not misses else 1
