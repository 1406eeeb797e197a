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


def _indicator_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("status_led", ROOT / "hardware" / "status_led.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_led_is_off_after_idle_even_when_a_blink_was_mid_write():
    """A blink thread stopped by "idle" must never write after it: the LED stayed lit when
    the blink's write landed after the idle state's (seen as a flaky LED test)."""
    writing = threading.Event()

    class SlowLed:  # the blink thread's write of "on" is slow, as a GPIO sysfs write can be
        value = None

        def set(self, on: bool) -> None:
            if on and threading.current_thread() is not threading.main_thread():
                writing.set()
                threading.Event().wait(0.2)
            self.value = on

    led = SlowLed()
    indicator = _indicator_module().Indicator(led, None)
    indicator.show("processing")          # starts blinking: first write is "on", slow
    assert writing.wait(5)
    indicator.show("idle")                # while that write is under way
    threading.Event().wait(0.5)           # past the blink's write and its next half-period
    assert led.value is False
