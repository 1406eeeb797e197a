"""faster-whisper (CTranslate2) recognition for English on stronger boards.

Whisper reads a whole utterance at once: audio is buffered while the user speaks and
transcribed when the endpointer closes the utterance, so it gives no partials. An
``initial_prompt`` made of the domain's own words biases it towards them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelMissing
from .base import Worker

MAX_SECONDS = 30.0  # Whisper's window; the endpointer cuts utterances long before this


class WhisperRecogniser:
    name = "whisper"

    def __init__(self, model_path: Path, *, prompt: str = "", language: str = "en", beam_size: int = 1,
                 compute_type: str = "int8", threads: int = 2) -> None:
        self.model_path = model_path
        self.prompt = prompt
        self.language = language
        self.beam_size = beam_size
        self.compute_type = compute_type
        self.threads = threads
        self._worker = Worker("whisper")
        self._model = None
        self._audio: list[bytes] = []
        self._size = 0
        self._peeked: tuple[int, str] | None = None  # (bytes of audio, its transcript)

    def _load(self) -> None:  # (worker)
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ModelMissing("the Whisper recogniser needs faster-whisper: pip install 'voice-agent[whisper]'",
                               code="asr-unavailable") from None
        try:
            self._model = WhisperModel(str(self.model_path), device="cpu", compute_type=self.compute_type,
                                       cpu_threads=self.threads, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - CTranslate2 raises RuntimeError/ValueError/OSError
            raise ModelMissing(f"{self.model_path} is not a usable CTranslate2 Whisper model ({exc}); "
                               "check it with: voice-agent models verify", code="asr-model-missing") from None

    async def load(self) -> None:
        await self._worker.call(self._load)

    async def start(self) -> None:
        self._audio.clear()
        self._size = 0
        self._peeked = None

    async def feed(self, pcm: bytes) -> str | None:
        if self._size < MAX_SECONDS * 32000:
            self._audio.append(pcm)
            self._size += len(pcm)
        return None

    def transcribe(self, pcm: bytes) -> str:  # (worker)
        audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        if len(audio) < 1600:  # under 0.1 s: nothing to read
            return ""
        segments, _ = self._model.transcribe(
            audio, language=self.language, beam_size=self.beam_size, initial_prompt=self.prompt or None,
            without_timestamps=True, condition_on_previous_text=False, vad_filter=False, temperature=0.0)
        return " ".join(s.text.strip() for s in segments).strip()

    async def peek(self) -> str:
        size = self._size
        text = await self._worker.call(self.transcribe, b"".join(self._audio))
        self._peeked = (size, text)
        return text

    async def finish(self, quiet_since_peek: bool = False) -> str:
        pcm = b"".join(self._audio)
        peeked, size = self._peeked, self._size
        self._audio.clear()
        self._size = 0
        self._peeked = None
        if peeked is not None and (peeked[0] == size or quiet_since_peek):
            return peeked[1]  # only quiet since the look: it already read every word
        return await self._worker.call(self.transcribe, pcm)

    async def close(self) -> None:
        def drop() -> None:
            self._model = None
        await self._worker.call(drop)
        self._worker.close()
