"""`voice-agent phrases`: what can I say, made from the config and checked against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.config import load_config
from agent.understanding.template_engine import TemplateEngine

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "tests" / "data" / "newuser_home.yaml"


def phrases(*args):
    return subprocess.run([sys.executable, "-m", "agent", "phrases", "-c", str(HOME), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_every_listed_phrase_does_what_it_is_listed_under():
    r = phrases("--json")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    config = load_config(HOME)
    engine = TemplateEngine(config)
    areas = {d.id: d.area for d in config.devices}
    assert [d["device"] for d in docs] == [d.id for d in config.devices] + [None]
    checked = 0
    for doc in docs:
        if doc["device"] is None:
            assert "cancel" in doc["intents"]
            continue
        assert doc["intents"], doc["device"]                 # every device here takes commands
        for intent, said in doc["intents"].items():
            assert 1 <= len(said) <= 3
            for text in said:
                got = engine.understand(text, area=areas[doc["device"]])
                assert got.name == intent and doc["device"] in got.targets, (text, got)
                checked += 1
    assert checked > 150


def test_one_device_in_plain_text():
    r = phrases("--device", "media.tv", "--device", "vacuum.robot")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "Television (media.tv, Lounge)"
    assert '  set channel: "put television to channel 5"' in r.stdout
    assert '  set source: "switch television to hdmi 1"' in r.stdout
    assert "Robot Hoover (vacuum.robot, Hall)" in lines and "clean room:" in r.stdout
    assert "Lounge Radiator" not in r.stdout


def test_an_unknown_device_is_named_with_a_suggestion():
    r = phrases("--device", "media.tvv")
    assert r.returncode == 78 and "--device 'media.tvv': no such device" in r.stderr
    assert "did you mean 'media.tv'?" in r.stderr
