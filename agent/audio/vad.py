"""Voice activity and endpointing: pure state machines fed ``(now, chunk)``.

:class:`EnergyVad` decides per 10 ms frame whether someone is speaking, against a
noise floor it learns from the quiet between utterances (so a humming fridge or a
running tap raises the bar instead of counting as speech).

:class:`Endpointer` turns those decisions into utterances: a start after
``start_ms`` of speech (the ``preroll_ms`` before it included, so the first syllable
is not lost), an end after ``end_silence_ms`` of quiet, and a forced end after
``max_utterance_s`` so a radio left on cannot hold the recogniser forever. Nothing
here reads a clock; tests feed synthetic audio and times and never sleep.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

FRAME = 160  # samples per VAD frame: 10 ms at 16 kHz


@dataclass(frozen=True, slots=True)
class VadSettings:
    threshold_db: float = 9.0
    """How far above the learnt noise floor a frame must be to count as speech."""
    min_level_db: float = -50.0
    """Frames quieter than this (dBFS) are never speech, however quiet the room."""
    start_ms: int = 120
    """Speech needed to open an utterance."""
    end_silence_ms: int = 700
    """Quiet needed to close one: the pause that means "I have finished"."""
    max_utterance_s: float = 10.0
    """An utterance is cut here whatever happens."""
    preroll_ms: int = 300
    """Audio from before the start that is handed over with it."""


@dataclass(frozen=True, slots=True)
class SpeechStart:
    """Someone started speaking; ``audio`` is the pre-roll plus the speech so far."""

    time: float
    audio: bytes


@dataclass(frozen=True, slots=True)
class SpeechAudio:
    """More audio of the utterance in progress (after its :class:`SpeechStart`)."""

    time: float
    audio: bytes


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    """The utterance is over."""

    time: float
    """When the endpointer decided (the end of the trailing quiet)."""
    speech_end: float
    """When the last speech frame was heard: the user's "end of speech"."""
    reason: str
    """``silence``, ``max_length`` (cut at ``max_utterance_s``) or ``flush`` (input ended)."""


class EnergyVad:
    """Frame energy against an adaptive noise floor."""

    def __init__(self, settings: VadSettings = VadSettings()) -> None:
        self.settings = settings
        self.floor_db: float | None = None

    def level_db(self, frame: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(frame.astype(np.float64) ** 2) + 1e-10))

    def is_speech(self, frame: np.ndarray, *, adapt: bool = True) -> bool:
        """One frame of float samples in [-1, 1]."""
        return self.decide(self.level_db(frame), adapt=adapt)

    def decide(self, level: float, *, adapt: bool = True) -> bool:
        """One frame, by its level in dBFS."""
        if self.floor_db is None:
            self.floor_db = level
        speech = level >= self.settings.min_level_db and level >= self.floor_db + self.settings.threshold_db
        if adapt:
            # falls fast (a door closed, the room got quiet), rises slowly (noise came on)
            if level < self.floor_db:
                self.floor_db += 0.2 * (level - self.floor_db)
            elif not speech:
                self.floor_db += 0.02 * (level - self.floor_db)
        return speech


class Endpointer:
    """Utterance boundaries from a stream of 16 kHz mono int16 chunks."""

    def __init__(self, settings: VadSettings = VadSettings(), vad: EnergyVad | None = None) -> None:
        self.settings = settings
        self.vad = vad or EnergyVad(settings)
        self.in_speech = False
        self._carry = b""
        self._preroll: deque[bytes] = deque(maxlen=max(1, settings.preroll_ms // 10))
        self._run = 0  # consecutive speech frames before a start
        self._quiet = 0  # consecutive quiet frames inside an utterance
        self._started_at = 0.0
        self._last_speech = 0.0
        self._pending: list[bytes] = []  # frames of a possible start, not yet confirmed

    def reset(self) -> None:
        """Forget any utterance in progress (the noise floor is kept)."""
        self.in_speech = False
        self._run = self._quiet = 0
        self._pending.clear()

    def feed(self, now: float, pcm: bytes) -> list[SpeechStart | SpeechAudio | SpeechEnd]:
        """Events caused by ``pcm``, whose last sample was captured at ``now``.

        Between a :class:`SpeechStart` and its :class:`SpeechEnd` every frame of the
        utterance is handed out exactly once, in :class:`SpeechAudio` events.
        """
        buf = self._carry + pcm
        nframes = len(buf) // (2 * FRAME)
        self._carry = buf[nframes * 2 * FRAME:]
        events: list[SpeechStart | SpeechAudio | SpeechEnd] = []
        s = self.settings
        voiced: list[bytes] = []
        t = now
        if nframes:
            frames = np.frombuffer(buf, "<i2", count=nframes * FRAME).astype(np.float32).reshape(nframes, FRAME)
            levels = 10 * np.log10(np.mean((frames / 32768.0) ** 2, axis=1) + 1e-10)
        for k in range(nframes):
            t = now - (len(buf) - (k + 1) * 2 * FRAME) / 32000.0  # time at this frame's end
            raw = buf[k * 2 * FRAME:(k + 1) * 2 * FRAME]
            speech = self.vad.decide(float(levels[k]), adapt=not self.in_speech)
            if not self.in_speech:
                if speech:
                    self._run += 1
                    self._pending.append(raw)
                    if self._run * 10 >= s.start_ms:
                        self.in_speech = True
                        self._quiet = 0
                        self._started_at = t - self._run * 0.01
                        self._last_speech = t
                        audio = b"".join(self._preroll) + b"".join(self._pending)
                        self._preroll.clear()
                        self._pending.clear()
                        events.append(SpeechStart(t, audio))
                else:
                    for p in self._pending:
                        self._preroll.append(p)
                    self._pending.clear()
                    self._run = 0
                    self._preroll.append(raw)
            else:
                voiced.append(raw)
                if speech:
                    self._quiet = 0
                    self._last_speech = t
                else:
                    self._quiet += 1
                reason = ("silence" if self._quiet * 10 >= s.end_silence_ms else
                          "max_length" if t - self._started_at >= s.max_utterance_s else "")
                if reason:
                    events.append(SpeechAudio(t, b"".join(voiced)))
                    voiced.clear()
                    events.append(SpeechEnd(t, self._last_speech, reason))
                    self.reset()
        if voiced:
            events.append(SpeechAudio(t, b"".join(voiced)))
        return events

    def flush(self, now: float) -> list[SpeechEnd]:
        """The input ended: close an utterance in progress."""
        if not self.in_speech:
            return []
        self.reset()
        return [SpeechEnd(now, self._last_speech, "flush")]
