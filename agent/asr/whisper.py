"""faster-whisper (CTranslate2) recognition for English on stronger boards.

Whisper reads a whole utterance at once: audio is buffered while the user speaks and
transcribed when the endpointer closes the utterance, so it gives no partials. An
``initial_prompt`` made of the domain's own words biases it towards them.

Window: Whisper's encoder is made for 30 s of audio, and faster-whisper pads every
utterance to that. A spoken command lasts a few seconds, so with ``window:
fit`` the encoder reads 10 s, or the utterance plus at least a second of padding in
whole seconds when that is longer: a pass over a command costs a fraction of a padded
one (CTranslate2 takes the shorter input as it is; 0.19 s against 1.1 s for a 2 s
command on this project's loaded 2-core test machine). The decoding is faster-whisper's
for one window without timestamps: greedy or beam search, the same suppressed tokens,
and the same "no speech" rule (no-speech probability over 0.6 with an average
log-probability under -1: nothing was said).

A short window can make Whisper tiny.en repeat itself ("turn off the reading lamp, turn
off the reading lamp, ..."; a 2 s command in a 4-6 s window did, in 8 s or more it did
not, hence the 10 s floor). A transcript that does so (faster-whisper's own test, a zlib
compression ratio over 2.4) or that has more words than anyone says in that time (over
2 + 5 a second) is read again with the full window. ``window: full`` (the default) always
reads the padded 30 s: on barista-dev the fitted window cost accuracy in kitchen noise
(12 dB: 52/60 against 56/60), so it is opt-in for the transcript of a whole utterance.

The look (:meth:`peek`: the words so far, read in a pause to decide whether the command
is finished) uses ``look_window``, ``fit`` by default: a look is only acted on when its
words parse as a finished command nothing could extend, and every other utterance is
read again with ``window`` after the full trailing silence, so the fitted window's cost
in noise falls on few utterances while its speed is what makes the early end early.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from ..errors import ModelMissing
from .base import Worker

MAX_SECONDS = 30.0  # Whisper's window; the endpointer cuts utterances long before this
WINDOWS = ("fit", "full")
MIN_FRAMES = 1000
"""Fitted window: at least 10 s (10 ms frames) ..."""
PAD_FRAMES = 100
"""... and at least this many frames of silence after the audio ..."""
STEP_FRAMES = 100
"""... and a whole number of seconds (fewer distinct shapes for the encoder)."""
FULL_FRAMES = 3000
NO_SPEECH, LOW_LOGPROB = 0.6, -1.0
"""faster-whisper's defaults: above the first and below the second, nothing was said."""
REPEATS = 2.4
"""faster-whisper's compression-ratio threshold: text that compresses more repeats itself."""
WORDS_PER_S = 5.0
"""Fast speech is about 4 words a second: more (plus 2) is Whisper going round in a loop."""


class WhisperRecogniser:
    name = "whisper"

    def __init__(self, model_path: Path, *, prompt: str = "", language: str = "en", beam_size: int = 1,
                 compute_type: str = "int8", threads: int = 2, window: str = "full",
                 look_window: str = "fit") -> None:
        for which, value in (("window", window), ("look_window", look_window)):
            if value not in WINDOWS:
                raise ValueError(f"{which} {value!r}: use one of {', '.join(WINDOWS)}")
        self.model_path = model_path
        self.prompt = prompt
        self.language = language
        self.beam_size = beam_size
        self.compute_type = compute_type
        self.threads = threads
        self.window = window
        self.look_window = look_window
        self._tokenizer = None
        self._prompt_tokens: list[int] = []
        self._suppressed: list[int] = []
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
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens
        model = self._model
        self._tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                                    language=self.language)
        previous = self._tokenizer.encode(" " + self.prompt.strip()) if self.prompt.strip() else []
        self._prompt_tokens = model.get_prompt(self._tokenizer, previous, without_timestamps=True)
        self._suppressed = list(get_suppressed_tokens(self._tokenizer, [-1]))

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

    def transcribe(self, pcm: bytes, window: str | None = None) -> str:  # (worker)
        """The words in ``pcm`` read with ``window`` (default: the ``window`` setting)."""
        audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        if len(audio) < 1600:  # under 0.1 s: nothing to read
            return ""
        if (window or self.window) == "fit":
            frames = self._model.feature_extractor(audio)
            n = frames.shape[-1]
            if n + PAD_FRAMES <= FULL_FRAMES:
                width = max(MIN_FRAMES, -(-(n + PAD_FRAMES) // STEP_FRAMES) * STEP_FRAMES)
                text = unloop(self._read_window(frames, width))
                if not repeats(text) and len(text.split()) <= 2 + WORDS_PER_S * len(audio) / 16000:
                    return text
        segments, _ = self._model.transcribe(
            audio, language=self.language, beam_size=self.beam_size, initial_prompt=self.prompt or None,
            without_timestamps=True, condition_on_previous_text=False, vad_filter=False, temperature=0.0)
        return " ".join(s.text.strip() for s in segments).strip()

    def _read_window(self, frames: np.ndarray, width: int) -> str:  # (worker)
        """One greedy/beam pass over ``frames`` (log-mel, 10 ms each) padded to ``width``."""
        window = np.zeros((frames.shape[0], width), dtype=np.float32)  # faster-whisper pads with 0 too
        window[:, :frames.shape[-1]] = frames
        prompt = self._prompt_tokens
        new_tokens = 24 + width // 10  # 10 tokens a second is far more than anyone says
        result = self._model.model.generate(
            self._model.encode(window), [prompt], beam_size=self.beam_size, max_length=min(448, len(prompt) + new_tokens),
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=self._suppressed)[0]
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > NO_SPEECH and avg_logprob < LOW_LOGPROB:
            return ""
        return self._tokenizer.decode(tokens).strip()

    async def peek(self) -> str:
        size = self._size
        text = await self._worker.call(self.transcribe, b"".join(self._audio), self.look_window)
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


def repeats(text: str) -> bool:
    """Whisper went round in a loop (faster-whisper's compression-ratio test)."""
    data = text.encode("utf-8")
    return len(data) > 0 and len(data) / len(zlib.compress(data)) > REPEATS


def unloop(text: str) -> str:
    """The text without Whisper's loop: from the first word where the rest of it repeats
    one stretch of two different words or more back to back, one copy of that stretch
    ("turn on the tv. turn on the tv." -> "turn on the tv."; a loop after other words
    keeps them). A single word said twice ("very very") is speech, not a loop; one word
    over and over is left for :func:`repeats` to catch."""
    words = text.split()
    keys = [w.strip(".,!?;:").lower() for w in words]
    n = len(words)
    for start in range(n):
        for k in range(2, (n - start) // 2 + 1):
            if len(set(keys[start:start + k])) > 1 and all(keys[j] == keys[j + k] for j in range(start, n - k)):
                return " ".join(words[:start + k])
    return text
