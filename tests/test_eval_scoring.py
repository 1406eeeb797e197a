"""How `voice-agent eval` counts a compound utterance whose parts are not all understood."""

from __future__ import annotations

from pathlib import Path

from agent.commands.eval import Case, Expected, Turn, score_case
from agent.config import load_config
from agent.understanding import TemplateEngine

ROOT = Path(__file__).resolve().parents[1]


def _score(text: str, *want: Expected):
    config = load_config(ROOT / "config" / "demo.yaml")
    case = Case((Turn(text, tuple(want), 1),), 1)
    return score_case(case, config, TemplateEngine(config), "kitchen", Path("cases.yaml"))


def test_a_part_not_understood_is_a_miss_not_a_wrong_action():
    # the first part is not in the templates; the second is, and is what was asked for
    got = _score("frobnicate the telly and turn off the hallway light",
                 Expected("turn_on", frozenset({"media.tv"})),
                 Expected("turn_off", frozenset({"light.hallway"})))
    assert got.misses and got.wrong_actions == 0


def test_a_command_nobody_asked_for_is_a_wrong_action():
    got = _score("turn off the hallway light", Expected("turn_on", frozenset({"light.hallway"})))
    assert got.misses and got.wrong_actions == 1


def test_commands_given_out_of_order_are_a_miss_but_not_wrong():
    got = _score("turn off the hallway light and turn on the tv",
                 Expected("turn_on", frozenset({"media.tv"})),
                 Expected("turn_off", frozenset({"light.hallway"})))
    assert got.misses and got.wrong_actions == 0
