"""Speech into the real daemon: ``voice-agent run --audio`` with Whisper against a real
Mosquitto broker - listen -> recognise -> understand -> act - plus state events and
push-to-talk over MQTT."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.broker import Broker, Recorder, agent_command, wait_for
from tests.support.speech import ROOT, demo_config

pytestmark = pytest.mark.slow
DEMO_AUDIO = ROOT / "tests" / "data" / "demo_commands.wav"


def config(tmp_path, broker, **sections: str) -> str:
    sections.setdefault("asr", "{engine: whisper, model: whisper-tiny.en}")
    return str(demo_config(tmp_path / "speech.yaml", **sections))


def run_agent(cfg: str, broker: Broker, *args: str):
    proc = subprocess.Popen(agent_command("run", "-c", cfg, "--mqtt", broker.address, *args), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events: list[dict] = []
    threading.Thread(target=lambda: [events.append(json.loads(x)) for x in proc.stdout], daemon=True).start()
    return proc, events


def actions(rec: Recorder) -> list[tuple[str, str]]:
    return [(m.topic, m.text) for m in rec.unique() if not m.topic.startswith("voice-agent/")]


def test_a_recording_drives_devices_through_the_broker(broker, recorder, tmp_path):
    proc, events = run_agent(config(tmp_path, broker), broker, "--audio", str(DEMO_AUDIO))
    assert proc.wait(120) == 0, proc.stderr.read()
    acts = actions(recorder)
    assert acts[0] == ("zigbee2mqtt/Kitchen Light/set", '{"state":"ON"}')
    assert ("zigbee2mqtt/Bedroom Lamp/set", '{"state":"OFF"}') == acts[-1]
    assert any(t == "zigbee2mqtt/Living Room Lights/set" and '"brightness":128' in p for t, p in acts)
    # state events for LEDs/chimes, on the agent's own topic
    states = [json.loads(m.text)["state"] for m in recorder.unique("voice-agent/demo/state")]
    assert states[:4] == ["idle", "listening", "processing", "idle"] and states.count("processing") == 3
    heard = [e for e in events if e["kind"] == "heard"]
    assert len(heard) == 3 and all(e["eos_ms"] >= e["asr_ms"] > 0 for e in heard)
    # each utterance's events are dated: end of speech, transcript, intent, acknowledged action
    spoken = [e for e in events if e["kind"] == "transcript"]
    assert len(spoken) == 3 and all(e["timing"]["speech_end"] < e["timing"]["transcript"] for e in spoken)
    intents = [e for e in events if e["kind"] == "intent"]
    assert all(e["timing"]["transcript"] <= e["timing"]["intent"] for e in intents)
    # a command's events share one id, from what the ear heard to what the broker acknowledged
    ids = [e["id"] for e in heard]
    assert len(set(ids)) == 3 and [e["id"] for e in spoken] == ids and [e["id"] for e in intents] == ids
    assert {e["id"] for e in events if e["kind"] == "action"} == set(ids)
    first_acts = [e for e in events if e["kind"] == "action" and "speech_to_ack_ms" in e.get("timing", {})]
    assert len(first_acts) == 3  # one figure per spoken command, on its first acknowledged action
    for e in first_acts:
        t = e["timing"]
        assert t["speech_end"] < t["transcript"] <= t["intent"] <= t["acked"]
        assert t["speech_to_ack_ms"] == pytest.approx((t["acked"] - t["speech_end"]) * 1000, abs=2)
    # ... and the health document ``voice-agent status`` reads holds the last hour's figures
    health = json.loads(recorder.unique("voice-agent/demo/health")[-1].text)
    latency = health["speech_to_action"]
    assert latency["n"] == 3 and 0 < latency["p50_ms"] <= latency["p95_ms"]


def test_push_to_talk_over_mqtt_takes_only_the_pressed_command(broker, recorder, tmp_path):
    cfg = config(tmp_path, broker, activation="{mode: ptt}")
    proc, events = run_agent(cfg, broker, "--audio", str(DEMO_AUDIO))
    try:
        wait_for(lambda: any(e.get("kind") == "state" for e in events), 60, "the listener to start")
        recorder.publish("voice-agent/demo/listen", "start")  # before the first command is spoken
        assert proc.wait(120) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert actions(recorder) == [("zigbee2mqtt/Kitchen Light/set", '{"state":"ON"}')]
    assert len([e for e in events if e["kind"] == "transcript"]) == 1


def test_a_missing_model_is_a_config_error_naming_the_fix(broker, tmp_path):
    cfg = Path(config(tmp_path, broker, asr="{engine: vosk}"))
    out = subprocess.run(agent_command("run", "-c", str(cfg), "--mqtt", broker.address, "--audio", str(DEMO_AUDIO)),
                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "VOICE_AGENT_MODELS": str(tmp_path / "models")})
    assert out.returncode == 78
    assert "voice-agent models download vosk-small-en-us" in out.stderr
