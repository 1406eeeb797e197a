"""`check` refuses what `run` cannot do (issue 15): each with exit 78 and the fix named,
and `install-service` refuses the same before it installs anything."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INTENTS = ROOT / "intents" / "home.yaml"
CLI = [sys.executable, "-m", "agent"]


def write(tmp_path: Path, body: str, name: str = "home.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip())
    return path


def check(path: Path, *more: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "check", "-c", str(path), *more], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_no_intents_key_is_refused(tmp_path):
    cfg = write(tmp_path, """
        areas: [{id: kitchen, name: Kitchen}]
        devices: [{id: light.k, name: Kitchen Light, type: light, area: kitchen}]
        """)
    r = check(cfg)
    assert r.returncode == 78
    assert "home.yaml:1: intents: no intent files: without them nothing is ever understood" in r.stderr
    assert "intents: [../intents/home.yaml]" in r.stderr and "relative to this config file" in r.stderr


def test_min_above_max_is_refused(tmp_path):
    cfg = write(tmp_path, f"""
        intents: [{INTENTS}]
        devices:
          - {{id: climate.t, name: Thermostat, type: climate, min: 30, max: 10}}
        """)
    r = check(cfg)
    assert r.returncode == 78 and "home.yaml:3: devices[0].min: min 30 is above max 10" in r.stderr


def test_a_device_named_like_a_room_or_floor_is_refused(tmp_path):
    cfg = write(tmp_path, f"""
        intents: [{INTENTS}]
        floors: [{{id: up, name: Upstairs}}]
        areas: [{{id: bedroom, name: Bedroom, floor: up}}]
        devices:
          - id: switch.tree
            name: Christmas Tree
            aliases: [tree, bedroom]
            type: switch
          - {{id: light.up, name: upstairs, type: light}}
        """)
    r = check(cfg)
    assert r.returncode == 78
    assert ("home.yaml:7: devices[0].aliases: 'bedroom' is also the name of area 'bedroom' ('Bedroom'): "
            "\"turn on the bedroom\" would mean this device alone") in r.stderr
    assert "devices[1].name: 'upstairs' is also the name of floor 'up'" in r.stderr


def test_a_device_named_after_its_own_room_is_what_the_room_means(tmp_path):
    cfg = write(tmp_path, f"""
        intents: [{INTENTS}]
        floors: [{{id: up, name: Upstairs}}]
        areas: [{{id: kitchen, name: Kitchen}}, {{id: landing, name: Landing, floor: up}}]
        devices:
          - {{id: light.kitchen_group, name: Kitchen, type: light, area: kitchen}}
          - {{id: light.up_group, name: Upstairs, type: light, area: landing}}
        """)
    assert check(cfg).returncode == 0


SPEECH = textwrap.dedent("""
    intents: [{intents}]
    areas: [{{id: kitchen, name: Kitchen}}]
    devices: [{{id: light.k, name: Kitchen Light, type: light, area: kitchen}}]
    """)


def test_a_wake_phrase_needs_a_vosk_model_that_is_installed(tmp_path):
    base = SPEECH.format(intents=INTENTS) + "audio: {input: mic}\nasr: {engine: whisper, model: whisper-tiny.en}\n"
    whisper_only = write(tmp_path, base + "activation: {mode: wake, wake_phrase: hey jarvis}\n", "a.yaml")
    r = check(whisper_only)
    assert r.returncode == 78 and "set activation.wake_model" in r.stderr, r.stderr
    missing = write(tmp_path, base + "activation: {mode: wake, wake_phrase: hey jarvis, "
                                     "wake_model: vosk-small-en-us}\n", "b.yaml")
    env = dict(os.environ, VOICE_AGENT_MODELS=str(tmp_path / "no-models"))
    r = check(missing, env=env)
    assert r.returncode == 78 and "voice-agent models download vosk-small-en-us" in r.stderr, r.stderr
    # the same config with the always-listening default passes
    fine = write(tmp_path, base, "c.yaml")
    assert check(fine).returncode == 0


def test_asr_without_an_audio_source_is_refused_by_check_and_run(tmp_path):
    cfg = write(tmp_path, SPEECH.format(intents=INTENTS) + "asr: {engine: whisper, model: whisper-tiny.en}\n")
    r = check(cfg)
    assert r.returncode == 78 and "asr: is set but there is no 'audio:' section" in r.stderr
    assert "add 'audio: {input: mic}'" in r.stderr
    r = subprocess.run([*CLI, "run", "-c", str(cfg), "--text"], input="", capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 78 and "no 'audio:' section" in r.stderr


def test_install_service_refuses_what_check_refuses(tmp_path):
    from tests.test_service_unit import fake_root, install
    cfg = write(tmp_path, SPEECH.format(intents=INTENTS) + "asr: {engine: whisper, model: whisper-tiny.en}\n")
    root = fake_root(tmp_path)
    done = install(root, "-c", str(cfg), "--no-user")
    assert done.returncode == 78 and "no 'audio:' section" in done.stderr, done.stderr
    assert not (root / "etc" / "systemd").exists() and not (root / "etc" / "voice-agent").exists()


def test_an_engine_whose_python_package_is_missing_is_refused(tmp_path, monkeypatch):
    import importlib.util

    import pytest

    from agent.commands.check import check_all
    from agent.config import load_config
    from agent.errors import ConfigError

    find = importlib.util.find_spec
    gone = {"faster_whisper", "llama_cpp"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in gone else find(name, *a))
    cfg = write(tmp_path, SPEECH.format(intents=INTENTS) + "audio: {input: mic}\n"
                "asr: {engine: whisper, model: whisper-tiny.en}\nunderstanding: {slm: {enabled: true}}\n")
    with pytest.raises(ConfigError) as err:
        check_all(load_config(cfg))
    text = "\n".join(err.value.problems)
    assert "asr.engine: whisper needs the Python package 'faster_whisper', which is not installed" in text
    assert ".venv/bin/pip install -e '.[whisper]'" in text
    assert "understanding.slm.enabled: true needs the Python package 'llama_cpp'" in text
    monkeypatch.setattr(importlib.util, "find_spec", find)
    check_all(load_config(cfg))  # installed, the same config passes
