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
      - text: turn off the tv and dim the lights     # several commands, in the order said
        commands:
          - {intent: turn_off, targets: [media.tv]}
          - {intent: brightness_down}
      - conversation:              # turns of one speaker, each read after the ones before
          - {text: turn on the bedroom lamp, intent: turn_on}
          - {text: and the hallway too, commands: [{intent: turn_on, targets: [light.hallway]}]}
          - {text: turn it off, after: 40, intent: null}   # after: seconds since the last turn (3)

A case is right when the utterance (every turn of a conversation) gives exactly the expected
commands. A *wrong action* is a command given that was not expected (a miss that would act).
The summary counts cases: right, wrong (a miss that acted) and not understood (a miss that
did nothing).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config, Reader, suggest
from ..engine import build_understander
from ..errors import ConfigError
from ..messages import Intent
from ..session import Session
from ..understanding import Understander
from ..yamlsrc import load_yaml
from ._common import add_config_arg, config_from

DEFAULT_AFTER = 3.0
"""Seconds between two turns of a conversation when a case does not say."""


@dataclass(frozen=True, slots=True)
class Expected:
    intent: str | None
    targets: frozenset[str] | None = None
    slots: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    commands: tuple[Expected, ...]
    line: int
    area: str | None = None
    site: str | None = None
    after: float = DEFAULT_AFTER


@dataclass(frozen=True, slots=True)
class Case:
    turns: tuple[Turn, ...]
    line: int

    @property
    def conversation(self) -> bool:
        return len(self.turns) > 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="score understanding on your own test sentences (CASES.yaml)")
    add_config_arg(p)
    p.add_argument("cases", type=Path, help="YAML file of test sentences with expected results")
    p.set_defaults(func=run)


def _expected(c: Reader) -> Expected:
    return Expected(c.get("intent", str, None),
                    frozenset(c.strings("targets")) if c.has("targets") else None,
                    c.get("slots", dict, None))


def _turn(c: Reader) -> Turn:
    text = c.get("text", str)
    if c.has("commands"):
        if c.has("intent"):
            c.problem("give either 'intent' (one command) or 'commands' (a list), not both", "intent")
        commands = []
        for e in c.items("commands"):
            if "intent" not in e.node:
                e.problem("required key is missing", "intent")
            commands.append(_expected(e))
            e.done()
        got = tuple(commands)
    else:
        if "intent" not in c.node:
            c.problem("required key is missing (use null to expect 'not understood', or a "
                      "'commands' list)", "intent")
        one = _expected(c)
        got = (one,) if one.intent is not None else ()
    turn = Turn(text or "", got, c.line, c.get("area", str, None), c.get("site", str, None),
                c.get("after", float, DEFAULT_AFTER, minimum=0.0))
    c.done()
    return turn


def read_cases(path: Path) -> tuple[list[Case], str | None]:
    problems: list[str] = []
    r = Reader(load_yaml(path), "", problems, str(path), 1)
    area = r.get("area", str, None)
    cases = []
    for c in r.items("cases"):
        if c.has("conversation"):
            turns = []
            for t in c.items("conversation"):
                turns.append(_turn(t))
            c.done()
            if not turns:
                c.problem("a conversation needs at least one turn", "conversation")
            cases.append(Case(tuple(turns), c.line))
        else:
            cases.append(Case((_turn(c),), c.line))
    r.done()
    if problems:
        raise ConfigError(problems)
    if not cases:
        raise ConfigError([f"{path}: no cases; add a 'cases:' list (see voice-agent eval --help)"])
    return cases, area


def check_cases(cases: list[Case], default_area: str | None, config: Config, intents: set[str],
                path: Path) -> None:
    """A typo in a case ("turn_onn", "light.kitchn") is the case's fault, not a miss."""
    known_areas = {a.id for a in config.areas}
    known_devices = [d.id for d in config.devices]
    wrong = []
    for case in cases:
        for turn in case.turns:
            where = f"{path}:{turn.line}"
            area = turn.area or default_area
            if area is not None and area not in known_areas:
                wrong.append(f"{where}: area {area!r} is not in {config.path.name}"
                             f"{suggest(area, sorted(known_areas))}")
            for want in turn.commands:
                if want.intent is not None and want.intent not in intents:
                    wrong.append(f"{where}: unknown intent {want.intent!r}{suggest(want.intent, sorted(intents))}")
                for t in sorted(want.targets or ()):
                    if t not in known_devices:
                        wrong.append(f"{where}: unknown device {t!r}{suggest(t, known_devices)}")
    if wrong:
        raise ConfigError(wrong)


def matches(got: Intent, want: Expected) -> list[str]:
    """What differs between a command given and the one expected (empty: the same)."""
    problems = []
    if got.name != want.intent:
        problems.append(f"intent {got.name} (want {want.intent})")
    if want.targets is not None and set(got.targets) != want.targets:
        problems.append(f"targets {sorted(got.targets)} (want {sorted(want.targets)})")
    for key, value in (want.slots or {}).items():
        if got.slots.get(key) != value:
            problems.append(f"slot {key}={got.slots.get(key)!r} (want {value!r})")
    return problems


@dataclass(frozen=True, slots=True)
class Outcome:
    misses: tuple[str, ...]
    """One line per turn that went wrong."""
    wrong_actions: int
    """Commands given that were not expected."""


def score_case(case: Case, config: Config, understander: Understander, default_area: str | None,
               path: Path) -> Outcome:
    session = Session(config, understander)
    now = 0.0
    misses: list[str] = []
    wrong = 0
    for turn in case.turns:
        now += turn.after
        area = turn.area or default_area
        reading, _ = session.say(turn.text, area=area, site=turn.site or area, now=now)
        got = reading.commands
        problems = []
        for n in range(max(len(got), len(turn.commands))):
            if n >= len(turn.commands):
                problems.append(f"unexpected {got[n].name} {sorted(got[n].targets)}")
            elif n >= len(got):
                problems.append(f"missing {turn.commands[n].intent}")
            else:
                diff = matches(got[n], turn.commands[n])
                if diff:
                    several = len(got) > 1 or len(turn.commands) > 1
                    problems.append((f"command {n + 1}: " if several else "") + "; ".join(diff))
        # a wrong action is a command given that was not asked for at all; one asked for but
        # given after a part that was not understood ("pop the telly on and kill the light":
        # only the light) is a miss, not a wrong action
        unused = list(turn.commands)
        for command in got:
            same = next((w for w in unused if not matches(command, w)), None)
            if same is None:
                wrong += 1
            else:
                unused.remove(same)
        if problems:
            why = f" [{reading.reason}]" if reading.reason else ""
            why += "".join(f" [not understood {w!r}: {r}]" for w, r in reading.unknown)
            misses.append(f"MISS {path}:{turn.line}: {turn.text!r}: " + "; ".join(problems) + why)
    return Outcome(tuple(misses), wrong)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    cases, default_area = read_cases(args.cases)
    engine = build_understander(config)
    check_cases(cases, default_area, config, set(engine.intents.intents), args.cases)
    wrong = 0
    bad = 0
    acted = 0
    for case in cases:
        outcome = score_case(case, config, engine, default_area, args.cases)
        wrong += outcome.wrong_actions
        bad += bool(outcome.misses)
        acted += outcome.wrong_actions > 0
        for line in outcome.misses:
            print(line)
    n = len(cases)
    ok = n - bad
    extra = f"; {wrong} wrong command(s)" if any(c.conversation or len(c.turns[0].commands) > 1
                                                  for c in cases) else ""
    # a missed case either acted wrongly (a command nobody asked for) or did nothing
    print(f"{ok}/{n} correct ({100.0 * ok / n:.1f}%){extra}")
    print(f"cases: right {ok}, wrong {acted}, not understood {bad - acted}")
    sys.stdout.flush()
    return 0 if not bad else 1
