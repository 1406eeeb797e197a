"""Activation and the listener with stand-in recognisers: which utterances become
commands in always / wake / push-to-talk mode, the state events, timeouts by audio time."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agent.activation import IDLE, LISTENING, PROCESSING, Gate, read_activation
from agent.asr import Asr
from agent.asr.settings import AsrSettings
from agent.audio.listener import Listener
from agent.audio.vad import VadSettings
from agent.config import parse_config
from agent.errors import ConfigError
from agent.messages import AudioChunk
from agent.yamlsrc import load_yaml

from tests.support.speech import ROOT, tone

HOME_INTENTS = f"intents: [{ROOT / 'intents' / 'home.yaml'}]\n"  # a config needs intents


# ------------------------------------------------------------------ the gate (pure)

def test_always_mode_takes_every_utterance():
    states = []
    g = Gate("always", on_state=lambda s, why: states.append(s))
    assert g.speech_started(1.0)
    g.processing()
    g.done(2.0, heard_anything=True)
    assert states == [LISTENING, PROCESSING, IDLE]


def test_wake_mode_listens_after_the_wake_phrase_and_times_out():
    g = Gate("wake", listen_timeout_s=5)
    assert not g.speech_started(1.0)  # no wake phrase: not a command
    g.wake(2.0)
    g.tick(6.9)
    assert g.state == LISTENING
    g.tick(7.0)
    assert g.state == IDLE
    g.wake(10.0)
    assert g.speech_started(11.0)
    g.tick(100.0)  # no timeout while the command is being spoken
    assert g.state == LISTENING


def test_an_empty_command_after_a_wake_phrase_keeps_listening():
    g = Gate("wake", listen_timeout_s=5)
    g.wake(1.0)
    g.speech_started(1.0)
    g.processing()
    g.done(2.0, heard_anything=False)
    assert g.state == LISTENING
    g.tick(7.0)
    assert g.state == IDLE


def test_push_to_talk_release_ends_the_command():
    g = Gate("ptt")
    assert not g.speech_started(0.5)
    g.press(1.0)
    assert g.speech_started(1.2)
    assert g.release()
    g.processing()
    g.done(2.0, heard_anything=False)
    assert g.state == IDLE  # released: no more listening even though nothing was heard


def test_push_to_talk_released_before_speaking_stops_listening():
    g = Gate("ptt", listen_timeout_s=5)
    g.press(1.0)
    assert not g.release(speaking=False)
    assert g.state == IDLE
    assert not g.speech_started(2.0)


def test_activation_section_problems(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("site: t\nactivation:\n  mode: wake\n  wake_phrase: jarvis\n" + HOME_INTENTS)
    with pytest.raises(ConfigError, match=r"c.yaml:4: activation.wake_phrase: wake phrase 'jarvis' is one word"):
        read_activation(parse_config(load_yaml(path), path))
    path.write_text("site: kitchen\nmqtt: {prefix: home}\nactivation: {mode: ptt}\n" + HOME_INTENTS)
    assert read_activation(parse_config(load_yaml(path), path)).listen_topic == "home/kitchen/listen"


# ------------------------------------------------------------------ the listener with stand-ins

class FakeRecogniser:
    """Says how much audio it got: enough to check what reached it."""

    name = "fake"

    def __init__(self):
        self.audio = b""
        self.loaded = False

    async def load(self):
        self.loaded = True

    async def start(self):
        self.audio = b""

    async def feed(self, pcm):
        self.audio += pcm
        return f"partial {len(self.audio) // 3200}"

    async def finish(self):
        return f"heard {len(self.audio) / 32000:.1f} seconds" if self.audio else ""

    async def close(self):
        pass


class FakeSpotter:
    """Hears the wake phrase in any utterance louder than ``level`` (a stand-in for Vosk)."""

    phrase = "hey computer"

    def __init__(self):
        self.fed = 0

    async def load(self):
        pass

    async def start(self):
        self.fed = 0

    async def feed(self, pcm):
        self.fed += len(pcm)
        peak = np.abs(np.frombuffer(pcm, "<i2")).max() if pcm else 0
        return 0.5 if peak > 20000 and self.fed >= 16000 else None  # "ended 0.5 s in"

    async def finish(self):
        pass


class Chunks:
    def __init__(self, signal: np.ndarray, marks: dict[float, callable] | None = None):
        self.name = "test"
        self.pcm = (signal * 32767).astype("<i2").tobytes()
        self.marks = marks or {}

    async def chunks(self):
        for i in range(0, len(self.pcm), 640):
            t = (i + 640) / 32000
            for at in [m for m in self.marks if m <= t]:
                self.marks.pop(at)()
            yield AudioChunk(self.pcm[i:i + 640], t)


def speech(seconds, loud=False):
    x = tone(seconds, 300, 0.8 if loud else 0.3)
    return x * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * np.arange(len(x)) / 16000))


def quiet(seconds):
    return np.zeros(int(16000 * seconds), np.float32) + 1e-4


def listen(listener):
    async def go():
        return [u async for u in listener.utterances()]
    return asyncio.run(go())


def make(signal, mode="always", marks=None, wake=None):
    events = []
    asr = Asr(AsrSettings(), FakeRecogniser())
    lst = Listener(Chunks(signal, marks), asr, vad=VadSettings(model="energy"), gate=Gate(mode, 3.0),
                   wake=wake, emit=lambda k, d: events.append((k, d)))
    return lst, events


def test_always_mode_turns_each_utterance_into_a_transcript_with_events():
    lst, events = make(np.concatenate([quiet(1), speech(1.0), quiet(1.5), speech(2.0), quiet(1.5)]))
    got = listen(lst)
    assert [u.transcript.text for u in got] == ["heard 2.0 seconds", "heard 3.0 seconds"]  # + preroll, tail
    assert got[0].transcript.source == "fake" and got[0].reason == "silence"
    assert got[0].speech_end == pytest.approx(2.0, abs=0.05)
    states = [d["state"] for k, d in events if k == "state"]
    assert states == [IDLE, LISTENING, PROCESSING, IDLE, LISTENING, PROCESSING, IDLE]
    assert any(k == "partial" for k, _ in events)
    assert [d["text"] for k, d in events if k == "heard"] == ["heard 2.0 seconds", "heard 3.0 seconds"]


def test_wake_mode_ignores_speech_until_the_wake_phrase_then_takes_the_rest_of_the_breath():
    signal = np.concatenate([quiet(1), speech(1.0), quiet(1.5),          # no wake phrase
                             speech(1.0, loud=True), speech(1.5), quiet(1.5)])  # wake + command
    lst, events = make(signal, "wake", wake=FakeSpotter())
    got = listen(lst)
    assert len(got) == 1
    assert [k for k, _ in events].count("wake") == 1
    # the command is what followed the wake phrase's end (0.5 s into that utterance)
    assert got[0].transcript.text == "heard 3.0 seconds"  # 0.3 pre-roll + 2.5 speech + 0.7 tail - 0.5


def test_push_to_talk_takes_one_command_after_a_press():
    holder = {}
    signal = np.concatenate([quiet(1), speech(1.0), quiet(1.5), quiet(1), speech(1.0), quiet(1.5), speech(1.0), quiet(1.5)])
    lst, events = make(signal, "ptt", marks={4.0: lambda: holder["l"].push_to_talk(True)})
    holder["l"] = lst
    got = listen(lst)
    assert len(got) == 1 and got[0].speech_end == pytest.approx(5.5, abs=0.05)


def test_push_to_talk_release_cuts_the_command_short():
    holder = {}
    signal = np.concatenate([quiet(0.5), speech(3.0), quiet(1.5)])
    lst, _ = make(signal, "ptt", marks={0.2: lambda: holder["l"].push_to_talk(True),
                                        2.0: lambda: holder["l"].push_to_talk(False)})
    holder["l"] = lst
    got = listen(lst)
    assert len(got) == 1 and got[0].reason == "released"
    assert got[0].transcript.text == "heard 1.8 seconds"  # 0.3 s pre-roll + 1.5 s of speech


# ------------------------------------------------------------------ intent-aware endpointing

class WordsRecogniser:
    """Says ``words`` once it has heard them all (the speech), and counts its looks."""

    name = "fake"

    def __init__(self, words: str, speech_bytes: int, look_s: float = 0.0):
        self.words, self.speech_bytes = words, speech_bytes
        self.look_s = look_s
        self.audio = b""
        self.peeks = 0

    async def load(self):
        pass

    async def start(self):
        self.audio = b""

    async def feed(self, pcm):
        self.audio += pcm

    async def peek(self):
        self.peeks += 1
        heard = len(self.audio)
        if self.look_s:
            await asyncio.sleep(self.look_s)  # a recognition that takes time (the audio goes on)
        return self.words if heard >= self.speech_bytes else self.words.rsplit(" ", 1)[0]

    async def finish(self, quiet_since_peek=False):
        self.reused = quiet_since_peek
        return self.words


def early(words: str, *, look_s: float = 0.0, look_ahead_ms: int = 100, signal=None, speech_s: float = 1.0):
    from agent.audio.listener import build_completion
    from agent.config import load_config
    from agent.understanding.template_engine import TemplateEngine
    from tests.support.speech import ROOT
    signal = np.concatenate([quiet(1), speech(1.0), quiet(1.5)]) if signal is None else signal
    events = []
    rec = WordsRecogniser(words, int((0.3 + speech_s) * 32000), look_s)
    vad = VadSettings(model="energy", complete_pause_ms=200, end_silence_ms=700, look_ahead_ms=look_ahead_ms)
    completion = build_completion(TemplateEngine(load_config(ROOT / "config" / "demo.yaml")), vad)
    lst = Listener(Chunks(signal), Asr(AsrSettings(), rec), vad=vad, gate=Gate("always"),
                   emit=lambda k, d: events.append((k, d)), completion=completion)
    return listen(lst), [d for k, d in events if k == "heard"], rec


def test_a_finished_command_ends_after_the_short_pause():
    got, heard, rec = early("turn off the reading lamp")
    assert len(got) == 1 and got[0].reason == "complete" and rec.peeks == 1
    assert got[0].speech_end == pytest.approx(2.0, abs=0.05)
    assert got[0].decided - got[0].speech_end == pytest.approx(0.2, abs=0.03)  # not the 0.7 s silence
    assert got[0].transcript.text == "turn off the reading lamp"
    assert got[0].transcript.eos_ms == pytest.approx(got[0].eos_ms, abs=0.2) and got[0].eos_ms >= 200
    assert heard[0]["reason"] == "complete" and "waited" not in heard[0]


def test_the_look_starts_before_the_pause_is_over_so_recognition_overlaps_it():
    # a look that takes 150 ms, started 100 ms before the 200 ms pause is over: the words
    # are ready 250 ms after the speech, not 350 ms
    got, heard, rec = early("turn off the reading lamp", look_s=0.15)
    assert got[0].reason == "complete" and rec.peeks == 1
    assert heard[0]["eos_ms"] - heard[0]["asr_ms"] == pytest.approx(100, abs=1)  # eos = 100 ms + the look
    assert got[0].decided - got[0].speech_end == pytest.approx(0.2, abs=0.03)  # the pause itself is kept
    got, heard, rec = early("turn off the reading lamp", look_s=0.15, look_ahead_ms=0)
    assert got[0].reason == "complete" and heard[0]["eos_ms"] - heard[0]["asr_ms"] == pytest.approx(200, abs=1)


def test_speech_resuming_after_the_look_began_makes_it_stale():
    # 150 ms of quiet inside the command: the look starts (at 100 ms) but the pause never
    # comes; its words (the command without its last word) are not used
    signal = np.concatenate([quiet(1), speech(0.6), quiet(0.15), speech(0.4), quiet(1.5)])
    got, heard, rec = early("turn off the reading lamp", signal=signal, speech_s=1.15)
    assert len(got) == 1 and got[0].reason == "complete" and rec.peeks == 2
    assert got[0].speech_end == pytest.approx(2.15, abs=0.05) and got[0].transcript.text == "turn off the reading lamp"


def test_a_command_the_grammar_could_continue_waits_for_the_silence_and_says_why():
    got, heard, rec = early("turn on the lights")  # ... "in the bedroom" would be other lights
    assert len(got) == 1 and got[0].reason == "silence" and rec.peeks == 1
    assert not rec.reused  # the look did not end it: the whole utterance is read again
    assert got[0].decided - got[0].speech_end == pytest.approx(0.7, abs=0.03)
    assert "area could follow" in heard[0]["waited"]


class EdgeRecogniser(WordsRecogniser):
    """Like Whisper read close to the end of speech: the look loses the last word; the
    final read of the whole utterance has it, unless told to reuse the look's words."""

    async def peek(self):
        self.peeks += 1
        self.peeked = self.words.rsplit(" ", 1)[0]
        return self.peeked

    async def finish(self, quiet_since_peek=False):
        self.reused = quiet_since_peek
        return self.peeked if quiet_since_peek else self.words


def test_after_the_full_silence_the_words_are_read_again_not_taken_from_the_look():
    from agent.audio.listener import build_completion
    from agent.config import load_config
    from agent.understanding.template_engine import TemplateEngine
    from tests.support.speech import ROOT
    rec = EdgeRecogniser("turn on the lights", int(1.3 * 32000))
    vad = VadSettings(model="energy", complete_pause_ms=200, end_silence_ms=700)
    completion = build_completion(TemplateEngine(load_config(ROOT / "config" / "demo.yaml")), vad)
    events = []
    lst = Listener(Chunks(np.concatenate([quiet(1), speech(1.0), quiet(1.5)])), Asr(AsrSettings(), rec), vad=vad,
                   gate=Gate("always"), emit=lambda k, d: events.append((k, d)), completion=completion)
    got = listen(lst)
    assert rec.peeks == 1 and [u.reason for u in got] == ["silence"]  # "turn on the" is no command yet
    assert got[0].transcript.text == "turn on the lights" and not rec.reused
    heard = [d for k, d in events if k == "heard"][0]
    assert heard["eos_ms"] == pytest.approx(700 + heard["asr_ms"], abs=11)  # the silence, then the read
