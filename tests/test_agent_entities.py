"""The agent in Home Assistant: its discovery configs on a real broker, the states behind
them, and a mute switch that really mutes the microphone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.support.agent_proc import AgentProc
from tests.support.broker import wait_for
from tests.test_activation import listen, make, quiet, speech

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------- the microphone (listener with stand-ins)
def test_muted_microphone_audio_reaches_nothing():
    signal = np.concatenate([quiet(1), speech(1.0), quiet(1.5), speech(1.0), quiet(1.5)])
    lst, events = make(signal)
    lst.set_muted(True)
    assert listen(lst) == []
    assert lst.asr.recogniser.audio == b""  # not one sample reached the recogniser
    assert not any(k in ("heard", "partial") for k, _ in events)


def test_muting_mid_command_drops_it_and_unmuting_hears_again():
    holder = {}
    signal = np.concatenate([quiet(1), speech(2.0), quiet(1.5), speech(1.0), quiet(1.5)])
    lst, events = make(signal, marks={1.6: lambda: holder["l"].set_muted(True),
                                      3.5: lambda: holder["l"].set_muted(False)})
    holder["l"] = lst
    got = listen(lst)
    assert len(got) == 1 and got[0].speech_end > 4.4  # only the command said after unmuting
    assert ("state", {"state": "idle", "why": "muted"}) in events


# ----------------------------------------------------------------- the daemon on a real broker
def write_config(tmp_path: Path, broker, **extra) -> Path:
    doc = {"site": "hub", "area": "kitchen", "mqtt": {"host": broker.host, "port": broker.port},
           "intents": [str(ROOT / "intents" / "home.yaml")],
           "areas": [{"id": "kitchen", "name": "Kitchen"}],
           "devices": [{"id": "light.kitchen", "name": "Kitchen Light", "type": "light", "area": "kitchen",
                        "mqtt": {"style": "zigbee2mqtt", "topic": "zigbee2mqtt/Kitchen Light"}}],
           **extra}
    path = tmp_path / "home.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def retained(recorder, topic: str) -> dict | str | None:
    msgs = recorder.on(topic)
    msgs = [m for m in msgs if m.topic == topic]
    if not msgs:
        return None
    text = msgs[-1].text
    try:
        return json.loads(text)
    except ValueError:
        return text


ENTITIES = {"sensor": "last_command", "binary_sensor": "listening", "switch": "mute", "text": "command",
            "event": "not_understood"}


def test_entities_are_announced_with_availability_and_work(broker, recorder, tmp_path):
    cfg = write_config(tmp_path, broker, homeassistant={"discovery": True, "name": "Kitchen agent"})
    agent = AgentProc(cfg, "-q", text=True)
    try:
        topics = {c: f"homeassistant/{c}/voice_agent_hub/{o}/config" for c, o in ENTITIES.items()}
        wait_for(lambda: all(retained(recorder, t) for t in topics.values()), 30, "five discovery configs")
        docs = {c: retained(recorder, t) for c, t in topics.items()}
        for component, doc in docs.items():
            assert doc["availability"] == [{"topic": "voice-agent/hub/availability", "payload_available": "online",
                                             "payload_not_available": "offline"}]
            assert doc["device"]["identifiers"] == ["voice-agent-hub"]
            assert doc["device"]["name"] == "Kitchen agent" and doc["device"]["suggested_area"] == "Kitchen"
            assert doc["unique_id"] == f"voice_agent_hub_{ENTITIES[component]}"
        assert docs["switch"]["command_topic"] == "voice-agent/hub/ha/mute/set"
        assert docs["switch"]["state_topic"] == "voice-agent/hub/ha/mute"
        assert docs["text"]["command_topic"] == "voice-agent/hub/text/in"
        assert docs["event"]["event_types"] == ["not_understood"]
        assert docs["sensor"]["value_template"] == "{{ value_json.text }}"
        assert docs["binary_sensor"]["state_topic"] == "voice-agent/hub/ha/listening"
        wait_for(lambda: retained(recorder, "voice-agent/hub/ha/mute") == "OFF", 10, "unmuted state")
        assert retained(recorder, "voice-agent/hub/ha/listening") == "OFF"
        # the switch
        recorder.publish("voice-agent/hub/ha/mute/set", "ON")
        wait_for(lambda: retained(recorder, "voice-agent/hub/ha/mute") == "ON", 10, "muted state")
        # the text entity types a command; the sensor shows it and its result
        recorder.publish(docs["text"]["command_topic"], "turn on the kitchen light")
        wait_for(lambda: (retained(recorder, "voice-agent/hub/ha/last_command") or {}).get("result") == "done",
                 15, "last command done")
        last = retained(recorder, "voice-agent/hub/ha/last_command")
        assert last["text"] == "turn on the kitchen light" and last["intent"] == "turn_on"
        assert last["targets"] == ["light.kitchen"]
        # the event entity
        agent.send("order me a taxi to the moon")
        wait_for(lambda: retained(recorder, "voice-agent/hub/ha/not_understood"), 15, "not understood event")
        event = retained(recorder, "voice-agent/hub/ha/not_understood")
        assert event["event_type"] == "not_understood" and event["text"] == "order me a taxi to the moon"
        assert event["reason"]
    finally:
        agent.kill()  # no clean shutdown: the broker publishes the last will
    wait_for(lambda: recorder.on("voice-agent/hub/availability")[-1].text == "offline", 60, "last will")


def test_a_muted_agent_stays_muted_after_a_restart(broker, recorder, tmp_path):
    recorder.publish("voice-agent/hub/ha/mute", "ON", retain=True)
    cfg = write_config(tmp_path, broker, homeassistant={"discovery": True})
    agent = AgentProc(cfg, "-q", text=True)
    try:
        wait_for(lambda: retained(recorder, "homeassistant/switch/voice_agent_hub/mute/config"), 30, "config")
        recorder.publish("voice-agent/hub/ha/mute/set", "maybe")
        agent.send("turn on the kitchen light")
        wait_for(lambda: recorder.on("zigbee2mqtt/Kitchen Light/set"), 15, "the command still acts")
        states = lambda: [m.text for m in recorder.on("voice-agent/hub/ha/mute")  # noqa: E731
                          if m.topic == "voice-agent/hub/ha/mute"]
        wait_for(lambda: len(states()) >= 2, 15, "the agent's own mute state")
        assert states() == ["ON", "ON"]  # ours, then the agent's restored state; never OFF
        assert "send ON or OFF" in json.dumps([m.text for m in recorder.on("voice-agent/hub/error")])
    finally:
        agent.kill()


def test_bad_homeassistant_or_discovery_sections_are_refused_by_check(broker, tmp_path):
    import subprocess
    from tests.support.broker import agent_command
    cfg = write_config(tmp_path, broker, homeassistant={"discovery": "yes", "prefx": "x"},
                       discovery={"from": ["zigbee"], "settle": 0})
    done = subprocess.run(agent_command("check", "-c", str(cfg)), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 78
    for part in ("homeassistant.discovery: expected true/false", "homeassistant.prefx: unknown key",
                 "discovery.from: unknown source 'zigbee'", "discovery.settle: 0.0 is out of range"):
        assert part in done.stderr


@pytest.mark.slow
def test_the_mute_switch_really_mutes_the_microphone(broker, recorder, tmp_path):
    """Real speech through Whisper: muted, the recording's three commands reach nothing;
    unmuted (the positive control, same recording), all three act."""
    from tests.support.speech import demo_config
    from tests.test_audio_daemon import DEMO_AUDIO, run_agent

    def actions(rec):  # what reached devices (not the agent's own or its discovery topics)
        return [m for m in rec.unique() if not m.topic.startswith(("voice-agent/", "homeassistant/"))]
    path = demo_config(tmp_path / "speech.yaml", asr="{engine: whisper, model: whisper-tiny.en}")
    path.write_text(path.read_text() + "homeassistant: {discovery: true}\n")
    cfg = str(path)
    for muted, expected in (("ON", 0), ("OFF", 3)):
        recorder.publish("voice-agent/demo/ha/mute", muted, retain=True)  # as the switch left it
        before = len(actions(recorder))
        proc, events = run_agent(cfg, broker, "--audio", str(DEMO_AUDIO))
        try:
            assert proc.wait(180) == 0, proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
        heard = [e for e in events if e["kind"] in ("heard", "transcript", "partial")]
        acted = actions(recorder)[before:]
        assert len([e for e in heard if e["kind"] == "transcript"]) == expected, (muted, heard)
        if muted == "ON":
            assert heard == [] and acted == []
        else:  # three commands, the first one the kitchen light (the living room lights may be two lamps)
            assert len(acted) >= 3 and (acted[0].topic, acted[0].text) == ("zigbee2mqtt/Kitchen Light/set",
                                                                         '{"state":"ON"}')
