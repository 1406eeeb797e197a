"""Test speech and microphones: espeak-ng commands as 16 kHz WAVs, a pulseaudio virtual mic."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
# the datasets live in shared/, beside the repository (CI clones it next to shared/ too)
BARISTA = Path(os.environ.get("BARISTA_DIR", ROOT.parent / "shared" / "datasets" / "barista-dev"))


def need(binary: str) -> str:
    """A binary install.sh installs: its absence is a failure, not a skip."""
    path = shutil.which(binary)
    assert path, f"{binary} not found; run ./install.sh (scripts/apt-packages.txt lists it)"
    return path


def say(text: str, out: Path, *, voice: str = "en-us", speed: int = 150) -> Path:
    """espeak-ng speech as 16 kHz mono s16le WAV."""
    raw = out.with_suffix(".espeak.wav")
    subprocess.run([need("espeak-ng"), "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run([need("sox"), "-q", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True)
    raw.unlink()
    return out


def pcm(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(16000 * seconds)


def write_wav(path: Path, data: bytes, rate: int = 16000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)
    return path


def concat(path: Path, *parts: bytes) -> Path:
    return write_wav(path, b"".join(parts))


def tone(seconds: float, freq: float = 440.0, level: float = 0.3, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


class VirtualMic:
    """A private pulseaudio server with a pipe source: whatever is written to ``fifo``
    (16 kHz mono s16le, paced in real time) is what the "pulse" capture device hears."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.fifo = base / "virtmic"
        self.server = f"unix:{base}/pulse/native"
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(base), "HOME": str(base),
                    "PULSE_RUNTIME_PATH": str(base / "pulse"), "PULSE_SERVER": self.server}
        self.proc: subprocess.Popen | None = None
        self._fd: int | None = None

    def start(self) -> "VirtualMic":
        pulse = need("pulseaudio")
        self.proc = subprocess.Popen(
            [pulse, "--daemonize=no", "--exit-idle-time=-1", "-n", "--disallow-exit",
             "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=nullsink",
             f"--log-target=file:{self.base}/pulse.log"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (self.base / "pulse" / "native").exists():
            assert self.proc.poll() is None, (self.base / "pulse.log").read_text()
            assert time.monotonic() < deadline, "pulseaudio did not start"
            time.sleep(0.05)
        pactl = need("pactl")
        subprocess.run([pactl, "load-module", "module-pipe-source", "source_name=virtmic",
                        f"file={self.fifo}", "format=s16le", "rate=16000", "channels=1"],
                       env=self.env, check=True, capture_output=True)
        subprocess.run([pactl, "set-default-source", "virtmic"], env=self.env, check=True)
        return self

    def play(self, data: bytes, block: int = 640) -> None:
        """Write audio into the microphone in 20 ms blocks, in real time."""
        if self._fd is None:
            self._fd = os.open(self.fifo, os.O_WRONLY)
        t0 = time.monotonic()
        for n, i in enumerate(range(0, len(data), block)):
            os.write(self._fd, data[i:i + block].ljust(block, b"\0"))
            delay = t0 + (n + 1) * block / 32000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def agent(*args: str) -> list[str]:
    return [sys.executable, "-m", "agent", *args]


def demo_config(path: Path, **sections: str) -> Path:
    """config/demo.yaml with its speech sections replaced: ``asr="{engine: whisper}"``,
    ``audio=...``, ``activation=...`` (YAML flow text); sections not given are left out."""
    import yaml
    doc = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    doc["intents"] = [str((ROOT / "config" / p).resolve()) for p in doc["intents"]]
    for key in ("asr", "audio", "activation"):
        doc.pop(key, None)
        if key in sections:
            doc[key] = yaml.safe_load(sections[key])
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path
