"""Config and intent-file validation: every problem at once, with file, line, key path."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.config import load_config
from agent.errors import EX_CONFIG, ConfigError
from agent.understanding.intents import load_intents

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


INTENTS = """
language: en
intents:
  turn_on:
    data:
      - sentences: ["turn on {device}"]
"""


def test_every_problem_reported_with_line_and_suggestion(tmp_path):
    write(tmp_path, "i.yaml", INTENTS)
    cfg = write(tmp_path, "home.yaml", """
        site: hub
        mqtt: {host: 127.0.0.1, port: 99999}
        intents: [i.yaml]
        areas:
          - {id: kitchen, name: Kitchen}
          - {id: kitchen, name: Kitchen again}
        devices:
          - {id: light.a, name: A, type: lihgt, area: kitchen}
          - {id: light.b, name: B, type: light, area: kitchn}
          - {id: light.c, name: C, type: light, colour: red}
          - {id: light.a, name: D, type: light}
        """)
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    problems = err.value.problems
    text = "\n".join(problems)
    assert f"{cfg}:2: mqtt.port: 99999 is out of range" in text
    assert f"{cfg}:6: areas[1].id: duplicate area id 'kitchen'" in text
    assert f"{cfg}:8: devices[0].type: unknown type 'lihgt' (did you mean 'light'?)" in text
    assert f"{cfg}:9: devices[1].area: unknown area 'kitchn' (did you mean 'kitchen'?)" in text
    assert f"{cfg}:10: devices[2].colour: unknown key" in text
    assert f"{cfg}:11: devices[3].id: duplicate device id 'light.a'" in text
    assert len(problems) == 6


def test_malformed_yaml_names_the_line(tmp_path):
    cfg = write(tmp_path, "bad.yaml", """
        site: hub
        devices:
          - {id: x, name: [unclosed
        """)
    with pytest.raises(ConfigError, match=r"bad.yaml:3: the list \[...\] that starts on this line is not closed"):
        load_config(cfg)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")
    empty = write(tmp_path, "empty.yaml", "\n")
    with pytest.raises(ConfigError, match="empty"):
        load_config(empty)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)


def test_intent_file_errors(tmp_path):
    bad = write(tmp_path, "bad_intents.yaml", """
        language: en
        lists:
          speed: {values: [low, {in: "(high|fast", out: high}]}
        intents:
          turn_on:
            data:
              - sentences:
                  - "turn on (the {device}"
                  - "set {device} to {sped}"
                  - "run <missing>"
        """)
    with pytest.raises(ConfigError) as err:
        load_intents([bad])
    text = "\n".join(err.value.problems)
    assert "bad_intents.yaml:3: lists.speed.values[1]" in text and "never closed" in text
    assert "bad_intents.yaml:8: intents.turn_on: template syntax error" in text
    assert "unknown slot list {sped} (did you mean 'speed'?)" in text
    assert "unknown rule <missing>" in text


def test_cli_check_exit_status_78_and_summary(tmp_path):
    write(tmp_path, "i.yaml", INTENTS)
    bad = write(tmp_path, "home.yaml", """
        intents: [i.yaml]
        devices:
          - {id: fan.x, name: X, type: fna}
        """)
    r = subprocess.run([sys.executable, "-m", "agent", "check", "-c", str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == EX_CONFIG
    assert "devices[0].type: unknown type 'fna' (did you mean 'fan'?)" in r.stderr
    r = subprocess.run([sys.executable, "-m", "agent", "check", "-c", str(ROOT / "config/demo.yaml")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "devices: 17" in r.stdout and "templates:" in r.stdout and "areas: 5" in r.stdout


def test_shipped_configs_are_valid():
    for path in [ROOT / "config/demo.yaml", ROOT / "benchmarks/ha_home.yaml"]:
        cfg = load_config(path)
        load_intents(cfg.intents)


def test_slm_threads_auto_uses_two_only_where_four_cores_are_free(tmp_path, monkeypatch):
    from agent.config import model

    intents = write(tmp_path, "intents.yaml", INTENTS)
    devices = f"intents: [{intents}]\ndevices:\n  - {{id: light.a, name: A, type: light, mqtt: {{topic: z/a}}}}\n"
    auto = write(tmp_path, "auto.yaml", devices + "understanding: {slm: {threads: auto}}\n")
    for cores, threads in ((2, 1), (4, 2), (8, 2), (1, 1)):
        monkeypatch.setattr(model.os, "sched_getaffinity", lambda pid, n=cores: set(range(n)))
        assert load_config(auto).understanding.slm.threads == threads
        assert load_config(write(tmp_path, "d.yaml", devices)).understanding.slm.threads == threads
    three = write(tmp_path, "three.yaml", devices + "understanding: {slm: {threads: 3}}\n")
    assert load_config(three).understanding.slm.threads == 3
    with pytest.raises(ConfigError, match="threads: expected a number of threads or 'auto', got 'lots'"):
        load_config(write(tmp_path, "bad.yaml", devices + "understanding: {slm: {threads: lots}}\n"))
