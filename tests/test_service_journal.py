"""Logs reach a real journald with their structured fields.

systemd-journald runs in a private mount namespace (its sockets and files on tmpfs that
only the namespace sees), the real ``voice-agent run`` logs to it as it would under
systemd (``INVOCATION_ID`` set), and ``journalctl`` reads the entries back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.support.broker import Broker
from tests.support.service_proc import CLI, ROOT, write_config

JOURNALD = next((p for p in ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
                 if os.path.exists(p)), None)

SCRIPT = r"""
set -eu
mount -t tmpfs tmpfs /run/systemd
mkdir -p /run/systemd/journal /run/log
mount -t tmpfs tmpfs /run/log
"$JOURNALD" &
jpid=$!
trap 'kill $jpid 2>/dev/null || true' EXIT
for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
printf 'turn on the kitchen light\nbad\000line\n' | env INVOCATION_ID=0123456789abcdef0123456789abcdef "$@"
echo "agent exit $?" >&2
journalctl --sync 2>/dev/null || sleep 1
journalctl -D /run/log/journal -o json --no-pager SYSLOG_IDENTIFIER=voice-agent > "$OUT"
"""


def _namespaces_work() -> str | None:
    if JOURNALD is None or shutil.which("unshare") is None or shutil.which("journalctl") is None:
        return "needs systemd-journald, journalctl and unshare (systemd, util-linux)"
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    if done.returncode != 0:
        return f"cannot create a mount namespace here (needs root): {done.stderr.decode().strip()}"
    return None


@pytest.mark.skipif(_namespaces_work() is not None, reason=str(_namespaces_work()))
def test_events_are_logged_to_the_journal_with_fields(tmp_path):
    broker = Broker(tmp_path / "broker").start()
    try:
        config = write_config(tmp_path / "config.yaml", broker.port)
        out = tmp_path / "journal.json"
        script = tmp_path / "journal.sh"
        script.write_text(SCRIPT)
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        env.update(JOURNALD=JOURNALD, OUT=str(out))
        done = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", str(script),
                               str(CLI), "run", "--text", "-q", "-c", str(config)],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
    finally:
        broker.kill()
    assert "agent exit 0" in done.stderr, done.stderr
    entries = [json.loads(line) for line in out.read_text().splitlines()]
    # nothing went to stderr: the journal took it all
    assert [line for line in done.stderr.splitlines() if line.startswith(("INFO", "WARNING", "ERROR"))] == []

    intent = [e for e in entries if e.get("INTENT") == "turn_on"]
    assert intent, entries
    assert intent[0]["DEVICE"] == "light.kitchen"
    assert intent[0]["ENGINE"] == "template"
    assert intent[0]["SITE"] == "demo"
    assert intent[0]["PRIORITY"] == "6"
    assert intent[0]["MESSAGE"].startswith("understood 'turn on the kitchen light' as turn_on")

    action = [e for e in entries if e.get("TOPIC") == "zigbee2mqtt/Kitchen Light/set"]
    assert action and action[0]["DEVICE"] == "light.kitchen"

    errors = [e for e in entries if e.get("ERROR_CODE") == "input-rejected"]
    assert errors and errors[0]["PRIORITY"] == "4"
    assert "NUL" in errors[0]["MESSAGE"]
    assert all(e["SYSLOG_IDENTIFIER"] == "voice-agent" for e in entries)
