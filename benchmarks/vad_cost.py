#!/usr/bin/env python3
"""What the voice activity detector costs, offline: the endpointer over recordings, energy
VAD alone and Silero behind the energy gate.

For each recording: utterances opened, windows the network judged, and the endpointer's
CPU time per second of audio; then the Silero network's own CPU time per 32 ms window
(one thread, as the daemon runs it). The kitchen track is barista-dev's 123 s of kitchen
noise with no speech in it; demo_commands.wav is 12 s of spoken commands.

    .venv/bin/python benchmarks/vad_cost.py
"""

from __future__ import annotations

import os
import sys
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.audio.silero import WINDOW, SileroVad  # noqa: E402
from agent.audio.vad import Endpointer, SpeechStart, VadSettings  # noqa: E402
from tests.support.speech import BARISTA  # noqa: E402

RECORDINGS = [("kitchen noise", BARISTA / "kitchen_noise.wav"),
              ("spoken commands", ROOT / "tests" / "data" / "demo_commands.wav")]
CHUNK = 640  # bytes: 20 ms blocks, as the microphone delivers them


def read(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return w.readframes(w.getnframes())


def endpoint(pcm: bytes, model: str) -> tuple[int, int, float]:
    """Utterances opened, network windows, CPU seconds."""
    ep = Endpointer(VadSettings(model=model))
    starts = 0
    c0 = time.process_time()
    for i in range(0, len(pcm), CHUNK):
        starts += sum(isinstance(e, SpeechStart) for e in ep.feed((i + CHUNK) / 32000, pcm[i:i + CHUNK]))
    return starts, getattr(ep.vad, "windows", 0), time.process_time() - c0


def main() -> int:
    print(f"{'recording':16} {'VAD':7} {'utterances':>10} {'windows':>8} {'CPU per audio second':>21}")
    for label, path in RECORDINGS:
        pcm = read(path)
        seconds = len(pcm) / 32000
        for model in ("energy", "silero"):
            starts, windows, cpu = endpoint(pcm, model)
            print(f"{label:16} {model:7} {starts:10} {windows:8} {1000 * cpu / seconds:17.2f} ms")
    x = np.frombuffer(read(RECORDINGS[0][1]), "<i2").astype(np.float32) / 32768.0
    windows = x[:len(x) // WINDOW * WINDOW].reshape(-1, WINDOW)[:2000]
    vad = SileroVad()
    for w in windows[:100]:  # warm up
        vad(w)
    c0, t0 = time.process_time(), time.perf_counter()
    for w in windows:
        vad(w)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(f"\nSilero network alone, {len(windows)} windows: CPU {1e6 * cpu / len(windows):.0f} us per window, "
          f"wall {1e6 * wall / len(windows):.0f} us ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
