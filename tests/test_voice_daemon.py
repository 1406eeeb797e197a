"""The agent talks back, end to end: the real Piper voice and espeak-ng, playback into a
PulseAudio null sink (recorded from its monitor and recognised with faster-whisper),
reply events over a real Mosquitto, a confirmation answered by voice through the
virtual microphone, and barge-in."""

from __future__ import annotations

import json
import subprocess
import threading

import numpy as np
import pytest
import yaml

from tests.support.agent_proc import AgentProc
from tests.support.broker import agent_command, wait_for
from tests.support.listening import SinkRecorder, read_wav, transcribe
from tests.support.speech import ROOT, VirtualMic, pcm, say, silence

pytestmark = pytest.mark.slow


@pytest.fixture
def pulse(tmp_path):
    base = tmp_path / "pa"
    base.mkdir()
    m = VirtualMic(base).start()
    yield m
    m.stop()


class Feeder:
    """Silence into the virtual microphone, as a real one never stops delivering."""

    def __init__(self, mic: VirtualMic) -> None:
        self.mic = mic
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.mic.play(silence(0.1))

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)


def home(path, **sections) -> str:
    doc = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    doc["intents"] = [str((ROOT / "config" / p).resolve()) for p in doc["intents"]]
    for key in ("asr", "audio", "activation"):
        doc.pop(key, None)
    for key, value in sections.items():
        doc[key] = yaml.safe_load(value)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def replies(agent: AgentProc) -> list[dict]:
    return agent.of("reply")


def spoken(agent: AgentProc, reply_id: str) -> str | None:
    """How the reply to utterance ``reply_id`` ended (``done``, ``interrupted``), once it has."""
    ends = [e["state"] for e in agent.of("speaking") if e["id"] == reply_id and e["state"] != "start"]
    return ends[0] if ends else None


def seen(check, what: str, events: list[dict], timeout: float = 60.0) -> None:
    try:
        wait_for(check, timeout, what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the agent's events: {[(e.get('kind'), e.get('text') or e.get('state') or e.get('result'), e.get('code'), e.get('message')) for e in events]}") from None


def test_say_writes_what_whisper_hears_with_piper_and_espeak(tmp_path):
    for engine in ("piper", "espeak"):
        out = tmp_path / f"{engine}.wav"
        r = subprocess.run(agent_command("say", "--engine", engine, "-o", str(out),
                                         "The front door is locked. The kitchen is 21 degrees."),
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        samples, rate = read_wav(out)
        assert rate == 22050 and len(samples) > rate * 2
        heard = transcribe(samples, rate)
        assert "front door" in heard and "locked" in heard and "kitchen" in heard, (engine, heard)
        assert "21" in heard or "twenty" in heard, (engine, heard)


def test_a_confirmation_is_spoken_answered_and_reported(pulse, broker, recorder, tmp_path):
    cfg = home(tmp_path / "v.yaml", voice="{engine: piper, output: pulse}")
    sink = SinkRecorder(pulse.env, tmp_path / "played.raw")
    agent = AgentProc(cfg, "--mqtt", broker.address, env=pulse.env)
    try:
        agent.send("unlock the front door")
        wait_for(lambda: replies(agent), 60, "the question")
        ask = replies(agent)[0]
        assert ask["text"] == "Should I unlock the front door?" and ask["reply"] == "confirm"
        wait_for(lambda: spoken(agent, ask["id"]) == "done", 60, "the question to be spoken")
        start = next(e for e in agent.of("speaking") if e["id"] == ask["id"])
        assert start["state"] == "start" and start["first_audio_ms"] > 0
        agent.send("yes")
        wait_for(lambda: len(replies(agent)) == 2 and spoken(agent, replies(agent)[1]["id"]) == "done", 60,
                 "the answer to be spoken")
        assert replies(agent)[1]["text"] == "Okay, I'm unlocking the front door."
        assert agent.finish(timeout=60) == 0
    finally:
        agent.kill()
        played = sink.stop()
    assert ("zigbee2mqtt/Front Door/set", '{"state":"UNLOCK"}') in [(m.topic, m.text) for m in recorder.unique()]
    published = [json.loads(m.text)["text"] for m in recorder.unique("voice-agent/demo/reply")]
    assert published == ["Should I unlock the front door?", "Okay, I'm unlocking the front door."]
    loud = np.abs(played.astype(np.int32)) > 800
    assert loud.sum() > 16000 * 0.5, "nothing audible reached the speaker"
    heard = transcribe(played)
    assert "unlock" in heard and "front door" in heard, heard


def test_a_new_utterance_stops_the_reply_playing(pulse, broker, tmp_path):
    cfg = home(tmp_path / "v.yaml", voice="{engine: piper, output: pulse}")
    agent = AgentProc(cfg, "--mqtt", broker.address, env=pulse.env)
    try:
        agent.send("unlock the front door")
        wait_for(lambda: replies(agent), 60, "the question")
        ask = replies(agent)[0]
        wait_for(lambda: any(e["id"] == ask["id"] for e in agent.of("speaking")), 60, "the question to play")
        agent.send("turn off the bedroom lamp")  # said over the question (about 1.5 s of speech)
        wait_for(lambda: spoken(agent, ask["id"]) is not None, 60, "the question to stop")
        wait_for(lambda: len(replies(agent)) >= 2, 60, "the second reply")
        last = replies(agent)[-1]
        wait_for(lambda: spoken(agent, last["id"]) == "done", 60, "the last reply to play to its end")
        assert agent.finish(timeout=60) == 0
    finally:
        agent.kill()
    assert spoken(agent, ask["id"]) == "interrupted"
    assert last["text"] == "Turning off the bedroom lamp."
    assert [e["result"] for e in agent.of("confirm")] == ["asking", "superseded"]


def test_replies_as_wav_for_satellites_without_a_speaker(broker, recorder, tmp_path):
    cfg = home(tmp_path / "v.yaml", voice="{engine: espeak, output: none, wav_topic: true}")
    agent = AgentProc(cfg, "--mqtt", broker.address)
    try:
        # the WAV goes out at QoS 0 (a reply is worthless later): only once connected
        wait_for(lambda: [m for m in recorder.on("voice-agent/demo/availability") if m.payload == b"online"],
                 60, "agent online")
        agent.send("turn on the bedroom lamp")
        seen(lambda: recorder.on("voice-agent/demo/reply/wav"), "the reply as WAV", agent.events)
        assert agent.finish(timeout=60) == 0
    finally:
        agent.kill()
    wav = recorder.on("voice-agent/demo/reply/wav")[0].payload
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    wav_path = tmp_path / "reply.wav"
    wav_path.write_bytes(wav)
    heard = transcribe(*read_wav(wav_path))
    assert "bedroom" in heard, heard
    assert [json.loads(m.text)["text"] for m in recorder.unique("voice-agent/demo/reply") if m.topic.endswith("reply")] \
        == ["Turning on the bedroom lamp."]


def test_a_spoken_yes_through_the_microphone_completes_the_command(pulse, broker, recorder, tmp_path):
    # a generous window: on a busy test machine Whisper may take seconds to hear the "yes"
    cfg = home(tmp_path / "v.yaml", voice="{engine: piper, output: pulse}",
               asr="{engine: whisper, model: whisper-tiny.en}", audio="{input: mic, device: pulse}",
               activation="{mode: always}", mqtt="{host: 127.0.0.1, port: 1883, confirm_window: 40}")
    proc = subprocess.Popen(agent_command("run", "-c", cfg, "--mqtt", broker.address), cwd=ROOT, env=pulse.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events: list[dict] = []
    threading.Thread(target=lambda: [events.append(json.loads(x)) for x in proc.stdout], daemon=True).start()
    feeder = None
    try:
        wait_for(lambda: any(e.get("kind") == "state" for e in events), 90, "the listener to start")
        command = pcm(say("unlock the front door", tmp_path / "unlock.wav"))
        yes = pcm(say("yes", tmp_path / "yes.wav"))
        pulse.play(silence(0.5) + command + silence(1.2))
        feeder = Feeder(pulse)
        seen(lambda: any(e.get("kind") == "reply" for e in events), "the spoken question", events)
        ask = next(e for e in events if e.get("kind") == "reply")
        assert ask["text"] == "Should I unlock the front door?"
        wait_for(lambda: any(e.get("kind") == "speaking" and e["id"] == ask["id"] and e["state"] == "done"
                             for e in events), 60, "the question to be spoken")
        feeder.stop()
        pulse.play(silence(0.6) + yes + silence(1.2))
        feeder = Feeder(pulse)
        seen(lambda: any(m.topic == "zigbee2mqtt/Front Door/set" for m in recorder.unique()),
             "the unlock after the spoken yes", events)
    finally:
        if feeder is not None:
            feeder.stop()
        proc.terminate()
        proc.wait(20)
    confirms = [e["result"] for e in events if e.get("kind") == "confirm"]
    assert confirms == ["asking", "confirmed"]
    texts = [e["text"] for e in events if e.get("kind") == "reply"]
    assert texts[:2] == ["Should I unlock the front door?", "Okay, I'm unlocking the front door."]


def asked_then_answered(broker, tmp_path, said: str, answer: str) -> tuple[AgentProc, str, list[dict]]:
    """The agent as a process: ``said``, its first reply (the question), then ``answer``;
    returns the finished agent, the question and the intents it had before the answer."""
    cfg = home(tmp_path / "v.yaml", voice="{engine: espeak, output: none}")
    agent = AgentProc(cfg, "--mqtt", broker.address)
    try:
        agent.send(said)
        wait_for(lambda: replies(agent), 60, "the question")
        question, before = replies(agent)[0]["text"], list(agent.of("intent"))
        agent.send(answer)
        wait_for(lambda: len(agent.of("intent")) > len(before), 60, "the completed command")
        assert agent.finish(timeout=60) == 0
    finally:
        agent.kill()
    return agent, question, before


def test_which_one_is_asked_and_the_answer_completes_the_command(broker, recorder, tmp_path):
    agent, question, _ = asked_then_answered(broker, tmp_path, "stop", "the robot vacuum")
    assert question == "Which one: the living room blinds, the bedroom curtains, the robot vacuum or the tv?"
    intent = agent.of("intent")[0]
    assert (intent["text"], intent["intent"], intent["targets"]) == ("stop the robot vacuum", "stop", ["vacuum.robot"])
    assert ("valetudo/robot/BasicControlCapability/operation/set", "STOP") in \
        [(m.topic, m.text) for m in recorder.unique()]


def test_which_colour_is_asked_and_the_colour_said_next_completes_the_command(broker, recorder, tmp_path):
    agent, question, before = asked_then_answered(broker, tmp_path, "change the colour of the kitchen light", "blue")
    assert question == "Which colour?"
    assert not before  # nothing done on a guess
    intent = agent.of("intent")[0]
    assert (intent["intent"], intent["targets"], intent["slots"]) == ("set_color", ["light.kitchen"], {"color": "blue"})
    sent = [json.loads(m.text) for m in recorder.unique() if m.topic == "zigbee2mqtt/Kitchen Light/set"]
    assert sent and "color" in sent[0]


def test_a_part_asked_about_in_a_compound_takes_the_answer_too(broker, recorder, tmp_path):
    agent, question, _ = asked_then_answered(broker, tmp_path, "turn on the bedroom lamp and change the colour", "green")
    assert question.endswith("Which colour?")
    on, green = agent.of("intent")[:2]
    assert (on["intent"], on["targets"]) == ("turn_on", ["light.bedroom"])
    assert (green["intent"], green["targets"], green["slots"]) == ("set_color", ["light.bedroom"], {"color": "green"})
