"""espeak-ng (Debian package ``espeak-ng``) as a voice: always there, robotic, instant.

The text goes to the program's standard input (never its command line, so a reply can
never be read as an option); its WAV comes back on standard output as it is made, and
is yielded block by block.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from typing import Iterator

import numpy as np

from ..errors import ModelMissing

BLOCK_BYTES = 4096
HEADER_BYTES = 44


class EspeakVoice:
    def __init__(self, voice: str = "en-us", *, speed: int = 165, program: str = "espeak-ng") -> None:
        path = shutil.which(program)
        if path is None:
            raise ModelMissing(f"{program} is not installed; install the Debian package espeak-ng "
                               "(./install.sh does) or choose voice.engine: piper",
                               code="tts-voice-missing")
        self.program = path
        self.voice = voice
        self.speed = speed
        self.name = f"espeak:{voice}"
        self.sample_rate = 22050
        for _ in self.stream("."):  # learns the real rate; fails now, not at the first reply
            pass

    def stream(self, text: str) -> Iterator[np.ndarray]:
        proc = subprocess.Popen([self.program, "-v", self.voice, "-s", str(self.speed), "-b", "1", "--stdout"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(text.replace("\n", " ").encode("utf-8") + b"\n")
            proc.stdin.close()
            header = proc.stdout.read(HEADER_BYTES)
            if len(header) < HEADER_BYTES or header[:4] != b"RIFF":
                err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
                raise ModelMissing(f"espeak-ng voice {self.voice!r} produced no audio: {err or 'no output'}; "
                                   "list voices with: espeak-ng --voices", code="tts-voice-missing")
            self.sample_rate = struct.unpack("<I", header[24:28])[0]
            carry = b""
            while True:
                data = proc.stdout.read1(BLOCK_BYTES) if hasattr(proc.stdout, "read1") else proc.stdout.read(BLOCK_BYTES)
                if not data:
                    break
                data = carry + data
                cut = len(data) - len(data) % 2
                carry = data[cut:]
                if cut:
                    yield np.frombuffer(data[:cut], dtype=np.int16).copy()
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for f in (proc.stdout, proc.stderr):
                if f is not None:
                    f.close()
