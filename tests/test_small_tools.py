"""Small tools a new user meets (issue 15): YAML mistakes in plain words, `status --mqtt`,
`install-service --root` naming groups from the target's own group file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.yamlsrc import load_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text,line,words", [
    ("site: hub\nmqtt:\n  host: x\n    port: 1\n", 4, "this line is indented more than the one above"),
    ("devices:\n  - id: a\n    name: b\n   type: light\n", 4, "this line's indentation does not match the lines above"),
    ("mqtt:\n    host: x\n  port: 1\n", 3, "this line's indentation does not match the lines above"),
    ("devices:\n  - name: Lamp: hall\n", 2, "the value on this line holds ': '; put the value in quotes"),
    ("site: hub\nmqtt:\n\thost: x\n", 3, "this line holds a tab; YAML indents with spaces only"),
    ("site: 'hub\narea: x\n", 1, "a quote opened on this line is never closed"),
    ("intents: [a.yaml, b.yaml\nsite: x\n", 1, "the list [...] that starts on this line is not closed"),
    ("name: @home\n", 1, "a value cannot start with '@'; put the value in quotes"),
    ("name: *star\n", 1, "a value starting with '*' is a YAML alias; put the value in quotes"),
    ("site hub\narea: x\n", 1, "this line has no ':'; write key: value"),
])
def test_yaml_mistakes_are_said_in_plain_words(text, line, words):
    with pytest.raises(ConfigError) as err:
        load_yaml("home.yaml", text=text)
    (problem,) = err.value.problems
    assert problem.startswith(f"home.yaml:{line}: {words}"), problem
    assert "<block" not in problem and "scanning" not in problem


def test_status_takes_the_broker_like_run(tmp_path, broker):
    from tests.support.broker import free_port
    cfg = tmp_path / "home.yaml"
    cfg.write_text(f"site: flat\nmqtt: {{port: {free_port()}}}\nintents: [{ROOT / 'intents' / 'home.yaml'}]\n")
    cli = [sys.executable, "-m", "agent", "status", "-c", str(cfg), "--timeout", "5", "--wait", "0.2"]
    away = subprocess.run(cli + ["--timeout", "1"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert away.returncode == 69                      # the config's broker is not there
    there = subprocess.run(cli + ["--mqtt", f"127.0.0.1:{broker.port}"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60)
    assert there.returncode == 1 and "never announced itself" in there.stdout, there.stdout + there.stderr
    assert f"127.0.0.1:{broker.port}" in there.stdout
    bad = subprocess.run(cli + ["--mqtt", "127.0.0.1:99999"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert bad.returncode != 0 and "--mqtt '127.0.0.1:99999': the port must be a number 1-65535" in bad.stderr


def test_install_service_root_names_groups_from_the_target(tmp_path):
    from agent.commands.install_service import give_group, group_name
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "group").write_text("root:x:0:\nspeakers:x:4242:\n")
    target = tmp_path / "config.yaml"
    target.write_text("site: x\n")
    os.chown(target, os.getuid(), 4242) if os.geteuid() == 0 else None
    gid = target.stat().st_gid
    assert group_name(4242, root) == "speakers"       # the host has no group 4242
    assert group_name(7, root) == "7"
    why = give_group(target, "voice-agent", root)
    assert why == (f"{target} stays group {group_name(gid, root)}: group voice-agent not found in "
                   f"{root / 'etc' / 'group'}")
