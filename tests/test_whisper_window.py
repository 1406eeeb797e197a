"""Whisper's fitted encoder window (agent/asr/whisper.py) with the real Whisper tiny.en:
it reads the utterance, not 30 s of padding, and falls back to the full window when
Whisper goes round in a loop."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from agent.asr.whisper import WhisperRecogniser, repeats, unloop
from agent.errors import ConfigError
from agent.models import KNOWN, package_dir

from tests.support.speech import ROOT, pcm, say, silence

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recognisers():
    path = package_dir(KNOWN["whisper-tiny.en"])
    out = {}
    for window in ("fit", "full"):
        r = WhisperRecogniser(path, prompt="kitchen light, reading lamp, bedroom lamp", window=window, threads=1)
        asyncio.run(r.load())
        out[window] = r
    yield out
    for r in out.values():
        asyncio.run(r.close())


@contextmanager
def encoder_inputs(recogniser: WhisperRecogniser):
    """The shapes of what the recogniser's Whisper encoder is given inside the block."""
    seen: list[tuple[int, ...]] = []
    model = recogniser._model.model

    class Spy:
        def __getattr__(self, name):
            return getattr(model, name)

        def encode(self, features, **kw):
            seen.append(tuple(features.shape))
            return model.encode(features, **kw)

    recogniser._model.model = Spy()
    try:
        yield seen
    finally:
        recogniser._model.model = model


def test_a_command_reads_the_same_in_the_fitted_window(recognisers, tmp_path):
    audio = pcm(say("turn off the reading lamp", tmp_path / "cmd.wav")) + silence(0.3)
    fit, full = recognisers["fit"], recognisers["full"]
    assert fit.transcribe(audio).lower().strip(".") == "turn off the reading lamp"
    assert full.transcribe(audio).lower().strip(".") == "turn off the reading lamp"
    with encoder_inputs(fit) as seen:
        fit.transcribe(audio)
    # about 2 s of speech: the encoder read 10 s, not 30 s, once (no loop, no second pass)
    assert seen == [(1, 80, 1000)]
    long = audio * 6  # about 14 s: the utterance and at least 1 s more, in whole seconds
    with encoder_inputs(fit) as seen:
        fit.transcribe(long)
    frames = len(long) // 320 + 1
    assert seen[0] == (1, 80, -(-(frames + 100) // 100) * 100) and seen[0][2] < 3000


def test_the_look_reads_the_fitted_window_and_the_utterance_the_full_one(tmp_path):
    """A look in a pause (peek) is read fast; the transcript of a whole utterance that the
    look did not end is read with the ``window`` setting (full: the accurate 30 s pass)."""
    r = WhisperRecogniser(package_dir(KNOWN["whisper-tiny.en"]), prompt="reading lamp", threads=1)
    assert (r.window, r.look_window) == ("full", "fit")
    asyncio.run(r.load())
    audio = pcm(say("turn off the reading lamp", tmp_path / "cmd.wav"))

    async def utterance() -> tuple[str, str]:
        await r.start()
        await r.feed(audio)
        look = await r.peek()
        await r.feed(silence(0.5))  # the quiet after the look: the words are read again
        return look, await r.finish()

    try:
        with encoder_inputs(r) as seen:
            look, final = asyncio.run(utterance())
    finally:
        asyncio.run(r.close())
    assert look.lower().strip(".") == final.lower().strip(".") == "turn off the reading lamp"
    assert seen == [(1, 80, 1000), (1, 80, 3000)]


def test_silence_reads_as_nothing(recognisers):
    rng = np.random.default_rng(1)
    hiss = (rng.standard_normal(16000 * 2) * 30).astype("<i2").tobytes()
    assert recognisers["fit"].transcribe(hiss) == ""


def test_a_loop_is_read_again_with_the_full_window(recognisers, tmp_path, monkeypatch):
    audio = pcm(say("turn on the bedroom lamp", tmp_path / "cmd.wav"))
    fit = recognisers["fit"]
    loop = "turn on the bedroom lamp, the bedroom lamp, the bedroom lamp, the bedroom lamp, the bedroom lamp"
    monkeypatch.setattr(fit, "_read_window", lambda frames, width: loop)
    assert fit.transcribe(audio) == "turn on the bedroom lamp,"  # one copy of the loop: no second pass
    # a loop of something other than a run of words read again is read again with the full window
    monkeypatch.setattr(fit, "_read_window", lambda frames, width: "la " * 40)
    assert fit.transcribe(audio).lower().strip(".") == "turn on the bedroom lamp"
    # too many words for the time it took to say them is a loop too, even without repeats
    monkeypatch.setattr(fit, "_read_window", lambda frames, width: " ".join(f"w{i}" for i in range(30)))
    assert fit.transcribe(audio).lower().strip(".") == "turn on the bedroom lamp"


def test_repeats():
    assert repeats("with a little bit of milk, a little bit of milk, a little bit of milk, a little bit of milk, "
                   "a little bit of milk, a little bit of milk")
    assert not repeats("give me a twenty ounce double shot iced mocha with skim milk")
    assert not repeats("")


def test_a_loop_keeps_one_copy_of_what_was_heard():
    assert unloop("Switch off the fan. Switch off the fan.") == "Switch off the fan."
    assert unloop("open the garage, open the garage, open the") == "open the garage,"
    assert unloop("a tea with honey and lemon, and lemon, and lemon") == "a tea with honey and lemon,"
    for said in ("switch off the fan", "it is very very cold", "the hall light and the hall light too",
                 "set the blinds to 4%, the floor, the present."):
        assert unloop(said) == said


def test_window_is_a_config_choice(tmp_path):
    from agent.asr import read_asr
    from agent.config import load_config
    from tests.support.speech import demo_config
    good = load_config(demo_config(tmp_path / "a.yaml", asr="{engine: whisper, window: full}"))
    assert read_asr(good).window == "full"
    assert read_asr(load_config(demo_config(tmp_path / "b.yaml", asr="{engine: whisper}"))).window == "full"
    bad = load_config(demo_config(tmp_path / "c.yaml", asr="{engine: whisper, window: short}"))
    with pytest.raises(ConfigError, match="window"):
        read_asr(bad)
    assert read_asr(good).look_window == "fit"
    full = load_config(demo_config(tmp_path / "d.yaml", asr="{engine: whisper, look_window: full}"))
    assert read_asr(full).look_window == "full"
    with pytest.raises(ConfigError, match="look_window"):
        read_asr(load_config(demo_config(tmp_path / "e.yaml", asr="{engine: whisper, look_window: 5}")))
