"""The real capture path: PortAudio (sounddevice) opening the ALSA "pulse" device at
48 kHz, fed by a private pulseaudio server whose pipe source plays espeak-ng commands
in real time, through ``voice-agent listen --mic`` with Whisper."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest

from tests.support.speech import ROOT, VirtualMic, agent, demo_config, pcm, silence

pytestmark = pytest.mark.slow


@pytest.fixture
def mic(tmp_path):
    m = VirtualMic(tmp_path).start()
    yield m
    m.stop()


def test_devices_lists_the_virtual_microphone(mic):
    out = subprocess.run(agent("devices"), cwd=ROOT, env=mic.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert " pulse" in out.stdout


def test_microphone_at_48k_to_intent(mic, tmp_path):
    config = demo_config(tmp_path / "mic.yaml", asr="{engine: whisper, model: whisper-tiny.en}",
                         audio="{input: mic, device: pulse, rate: 48000}")
    proc = subprocess.Popen(agent("listen", "-c", str(config)), cwd=ROOT, env=mic.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[dict] = []
    threading.Thread(target=lambda: [lines.append(json.loads(x)) for x in proc.stdout], daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not any(x.get("event") == "state" for x in lines):  # models loaded, listening
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "listen did not start"
            time.sleep(0.1)
        audio = pcm(ROOT / "tests" / "data" / "demo_commands.wav")
        mic.play(silence(1.0) + audio[: int(32000 * 3.0)] + silence(2.0))
        deadline = time.monotonic() + 30
        while not any("intent" in x for x in lines):
            mic.play(silence(0.2))  # a real microphone never stops delivering
            assert time.monotonic() < deadline, f"no command heard: {lines}"
    finally:
        proc.terminate()
        proc.wait(10)
    heard = [x for x in lines if "intent" in x]
    assert [(x["intent"], x["targets"]) for x in heard] == [("turn_on", ["light.kitchen"])]
    states = [x["state"] for x in lines if x.get("event") == "state"]
    assert states[:4] == ["idle", "listening", "processing", "idle"]


def test_a_microphone_that_goes_away_is_reported_retried_and_heard_again(tmp_path):
    """pulseaudio dies (the USB mic was pulled), the listener keeps running, reports
    audio errors while it retries, and hears the next command once the device is back."""
    config = demo_config(tmp_path / "mic.yaml", asr="{engine: whisper, model: whisper-tiny.en}",
                         audio="{input: mic, device: pulse, retry_min_s: 0.2, retry_max_s: 1.0}")
    (tmp_path / "pa").mkdir()
    mic = VirtualMic(tmp_path / "pa").start()
    proc = subprocess.Popen(agent("listen", "-c", str(config)), cwd=ROOT, env=mic.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[dict] = []
    threading.Thread(target=lambda: [lines.append(json.loads(x)) for x in proc.stdout], daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not any(x.get("event") == "state" for x in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "listen did not start"
            time.sleep(0.1)
        mic.play(silence(1.0))
        mic.stop()  # unplugged
        deadline = time.monotonic() + 20
        while len([x for x in lines if x.get("event") == "error"]) < 2:
            assert time.monotonic() < deadline, f"no device errors reported: {lines}"
            time.sleep(0.1)
        assert proc.poll() is None  # still running
        mic = VirtualMic(tmp_path / "pa").start()  # plugged back in
        audio = pcm(ROOT / "tests" / "data" / "demo_commands.wav")
        deadline = time.monotonic() + 40
        mic.play(silence(2.0) + audio[int(32000 * 7.6):] + silence(1.5))  # "turn off the bedroom lamp"
        while not any("intent" in x for x in lines):
            mic.play(silence(0.2))
            assert time.monotonic() < deadline, f"nothing heard after the device came back: {lines}"
    finally:
        proc.terminate()
        proc.wait(10)
        mic.stop()
    codes = {x["code"] for x in lines if x.get("event") == "error"}
    assert codes <= {"audio-device-lost", "audio-device-missing"} and codes
    assert [(x["intent"], x["targets"]) for x in lines if "intent" in x] == [("turn_off", ["light.bedroom"])]
