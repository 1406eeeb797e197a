"""hardware/status_led.py against a real broker and the real daemon's state events."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.support.broker import agent_command, wait_for
from tests.support.speech import ROOT, demo_config

pytestmark = pytest.mark.slow


def test_led_follows_the_daemons_state_events(broker, tmp_path):
    led = tmp_path / "brightness"
    watcher = subprocess.Popen([sys.executable, str(ROOT / "hardware" / "status_led.py"), "--broker", broker.address,
                                "--site", "demo", "--led", f"file:{led}"], stdout=subprocess.PIPE, text=True)
    out: list[str] = []
    threading.Thread(target=lambda: [out.append(x.strip()) for x in watcher.stdout], daemon=True).start()
    writes: list[str] = []
    stop = threading.Event()

    def sample():  # what the LED file held over time
        while not stop.is_set():
            if led.exists():
                v = led.read_text()
                if v and (not writes or writes[-1] != v):
                    writes.append(v)
            stop.wait(0.01)
    threading.Thread(target=sample, daemon=True).start()
    try:
        wait_for(lambda: any("watching" in x for x in out), 20, "the LED watcher to subscribe")
        cfg = demo_config(tmp_path / "speech.yaml", asr="{engine: whisper, model: whisper-tiny.en}")
        agent = subprocess.run(agent_command("run", "-q", "-c", str(cfg), "--mqtt", broker.address, "--audio",
                                             str(ROOT / "tests" / "data" / "demo_commands.wav")),
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert agent.returncode == 0, agent.stderr
        wait_for(lambda: writes and writes[-1] == "0" and writes.count("1") >= 3, 10, "the LED to settle")
    finally:
        stop.set()
        watcher.terminate()
        watcher.wait(10)
    # on while listening, blinking while processing (more on/off flips than commands), off when idle
    assert writes[0] == "0" and writes[-1] == "0"
    assert writes.count("1") >= 3
