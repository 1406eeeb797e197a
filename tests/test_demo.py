"""`voice-agent demo`: starts its own broker when none answers and runs the real daemon."""

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_without_a_broker_starts_one_and_delivers(tmp_path):
    port = unused_port()  # nothing listens here
    cfg = tmp_path / "demo.yaml"
    text = (ROOT / "config" / "demo.yaml").read_text()
    text = text.replace("port: 1883", f"port: {port}").replace("../intents/", f"{ROOT}/intents/")
    cfg.write_text(text)
    r = subprocess.run([sys.executable, "-m", "agent", "demo", "-c", str(cfg), "--text"],
                       input="turn on the kitchen light\nopen the pod bay doors\n",
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert f"no broker at 127.0.0.1:{port}; started a private Mosquitto" in out
    assert "understood turn_on -> light.kitchen" in out
    assert 'published zigbee2mqtt/Kitchen Light/set  {"state":"ON"}' in out
    assert "not understood 'open the pod bay doors'" in out
