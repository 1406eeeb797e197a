"""docs/config.md: its complete example is a config `check` accepts and that does what the
page's table of meanings says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "config.md"


def example(tmp_path: Path) -> Path:
    text = DOC.read_text().split("## A complete example")[1].split("```yaml\n")[1].split("```")[0]
    assert "intents: [../intents/home.yaml]" in text
    path = tmp_path / "home.yaml"
    path.write_text(text.replace("../intents/home.yaml", str(ROOT / "intents" / "home.yaml")))
    return path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=180)


def test_the_example_home_passes_check(tmp_path):
    r = cli("check", "-c", str(example(tmp_path)), "--offline")
    assert r.returncode == 0, r.stderr
    assert "devices: 13" in r.stdout


def test_the_example_home_does_what_the_page_says(tmp_path):
    path = str(example(tmp_path))
    said = {
        "turn on the lights": ("turn_on", ["light.lounge"]),
        "turn off all the lights": ("turn_off", ["light.kitchen", "light.lounge", "light.bedroom"]),
        "turn off the lights upstairs": ("turn_off", ["light.bedroom"]),
        "close all the blinds": ("close", ["cover.shutter", "cover.blind"]),
        "close the roller blinds": ("close", ["cover.shutter"]),
        "turn on the fairy lights": ("turn_on", ["switch.tree"]),
        "good night": ("activate_scene", ["scene.night"]),
        "set the heating to 22": ("set_temperature", ["climate.radiator"]),
        "set the heating to auto": ("set_mode", ["climate.radiator"]),
        "switch the tv to netflix": ("set_source", ["media.tv"]),
        "clean the kitchen": ("clean_room", ["vacuum.robot"]),
        "what's the humidity in the bathroom": ("get_state", ["sensor.bath_humidity"]),
        "it's cold in here": ("temperature_up", ["climate.radiator"]),
    }
    r = cli("parse", "-c", path, *said)
    got = {o["text"]: (o["intent"], o["targets"]) for o in map(json.loads, r.stdout.splitlines())}
    assert got == said
    refused = cli("parse", "-c", path, "set the heating to 35", "stop")
    assert [json.loads(line)["intent"] for line in refused.stdout.splitlines()] == [None, None]
    assert "accepts temperature 5-28" in refused.stderr and "which one?" in refused.stderr
