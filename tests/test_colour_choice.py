"""A colour change the agent completes: "a different colour" picks one the lights are not
showing (and says which); "change the colour of the lights" with no colour asks "Which
colour?" instead of guessing. On the new-user home (a hub in the lounge)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.acting.recolor import WHEEL, chosen
from agent.messages import Intent
from agent.voice.talkback import completions

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "tests" / "data" / "newuser_home.yaml"


def parsed(*texts: str) -> list[dict]:
    r = subprocess.run([sys.executable, "-m", "agent", "parse", "-c", str(HOME), "--area", "lounge", "--session",
                        *texts], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def colour_of(action: dict) -> dict:
    return json.loads(action["payload"])["color"]


def test_another_colour_is_one_the_lights_are_not_showing():
    ask = Intent("a different colour", "set_color", ("light.a", "light.b"), {"color": "another"})
    assert chosen(ask, None).slots["color"] == WHEEL[0]                     # nothing known: the first
    showing = {"light.a": {"color": "blue", "state": "on"}, "light.b": {"color": "purple"}}
    assert chosen(ask, lambda d: showing.get(d, {})).slots["color"] == "magenta"  # after blue, not purple
    every = {"light.a": {"color": WHEEL[-1]}}
    assert chosen(ask, lambda d: every.get(d, {})).slots["color"] == WHEEL[0]    # round the wheel
    named = Intent("make it blue", "set_color", ("light.a",), {"color": "blue"})
    assert chosen(named, lambda d: showing.get(d, {})) is named              # a colour said is kept


def test_a_different_colour_each_time_and_the_reply_names_it():
    first, second, too = parsed("make the kitchen lights a different colour", "try another colour",
                                "and the landing too")
    kitchen = ["light.kitchen_spots", "light.island"]
    assert (first["intent"], first["targets"], first["slots"]) == ("set_color", kitchen, {"color": "red"})
    assert first["reply"] == "Making the kitchen spotlights and the island pendants red."  # another room: said
    assert (second["targets"], second["slots"]) == (kitchen, {"color": "orange"})        # they were red
    assert colour_of(second["actions"][0]) != colour_of(first["actions"][0])
    # "and the landing too": the colour that was chosen, not another pick
    assert too["targets"] == ["light.landing"] and too["slots"] == {"color": "orange"}
    assert too["reply"] == "Making the landing light orange."
    *_, again = parsed("make the kitchen lights a different colour", "again")
    assert again["slots"] == {"color": "orange"}  # another pick (they were red), not red once more


def test_words_about_a_colour_are_not_a_colour_change():
    for text in ("the floor lamp is a different colour", "is the floor lamp a different colour",
                 "did the floor lamp turn a different colour", "the kitchen lights went a different colour",
                 "is the floor lamp blue"):
        (got,) = parsed(text)
        assert got["intent"] is None and got["actions"] == [], text


def test_a_colour_change_without_a_colour_is_asked_about():
    for text in ("change the colour of the lights", "change the light colour", "switch colours in the kitchen"):
        (got,) = parsed(text)
        assert got["intent"] is None and got["actions"] == [], text
        assert got["reply"] == "Which colour?", text
    # in a compound after something that has no colour, the answer would colour lights nobody named
    (tv,) = parsed("turn on the tv and change the colour")
    assert [c["targets"] for c in tv["commands"]] == [["media.tv"]] and tv["reply"] != "Which colour?"
    assert "Which colour?" not in (tv["reply"] or "")


def test_the_answer_to_which_colour_completes_the_command():
    assert completions("change the colour of the lights", "Blue.", "which_color")[0] == \
        "change the colour of the lights to Blue"
    assert completions("change the light colour", "make it a different colour", "which_color")[0] == \
        "change the light colour to a different colour"
    for anything in ("any", "surprise me", "you choose", "I don't mind.", "something different"):
        assert completions("change the light colour", anything, "which_color")[0] == \
            "change the light colour to a different colour", anything
    (blue,) = parsed("change the colour of the lights to blue")
    assert blue["slots"] == {"color": "blue"} and blue["targets"] == ["light.lounge_ceiling", "light.floor_lamp"]
