"""Voice activity and endpointing: pure state machines fed ``(now, chunk)``.

Two detectors decide per 10 ms frame whether someone is speaking:

* :class:`EnergyVad` compares the frame's energy with a noise floor it learns from the
  quiet between utterances (a humming fridge or a running tap raises the bar instead of
  counting as speech);
* :class:`NeuralVad` (the default) asks Silero VAD, a small neural network that tells a
  voice from a clatter or a tap, over 32 ms windows. The energy detector stays in front
  of it as a cheap gate: in a quiet room the network is not run at all, and once an
  utterance has started the network alone says when the voice stopped, so kitchen noise
  does not hold the utterance open. The network's verdict trails the voice (its windows
  and its memory: 50-170 ms after the last loud frame of espeak-ng commands in a quiet
  room), so in a quiet room the end of speech is dated at the last frame the energy
  detector heard before the network let go (:attr:`NeuralVad.quiet_frames`, at most
  ``TAIL_MS``): pauses and the trailing silence count from when the voice stopped, not
  from when the network noticed. In noise the network's date stands.

:class:`Endpointer` turns those decisions into utterances: a start after ``start_ms`` of
speech (the ``preroll_ms`` before it included, so the first syllable is not lost), a
:class:`SpeechPause` after ``complete_pause_ms`` of quiet (the listener then asks whether
what was said is already a finished command, and may :meth:`Endpointer.close` the
utterance at once; a :class:`SpeechLull` ``look_ahead_ms`` before it lets the listener
start reading the words early, so recognition overlaps the rest of the pause), an end after ``end_silence_ms`` of quiet, and a forced end after
``max_utterance_s`` so a radio left on cannot hold the recogniser forever. Nothing here
reads a clock; tests feed synthetic audio and times and never sleep.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from .silero import WINDOW, SileroVad, unavailable

FRAME = 160  # samples per VAD frame: 10 ms at 16 kHz
TAIL_MS = 200
"""The end of speech is dated at most this much before the network said the voice stopped."""
MODELS = ("silero", "energy")


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
    model: str = "silero"
    """``silero`` (neural, behind the energy gate) or ``energy`` (energy alone)."""
    speech_probability: float = 0.5
    """Silero: a window this likely to be speech counts as speech (it stays speech down to
    0.15 below, so a voice fading out is not chopped)."""
    complete_pause_ms: int = 200
    """Quiet after which a command that nothing could add to is acted on (0: never, always
    wait ``end_silence_ms``)."""
    look_ahead_ms: int = 150
    """The look at the words starts this long before ``complete_pause_ms`` is reached, so
    recognising them overlaps the end of the pause (0: look only when it is reached). With
    the end of speech dated by the energy detector, 150 ms before a 200 ms pause is 50 ms
    after the last voiced frame: the look still reads every word (barista-dev and the
    home commands: none cut short), and its Whisper pass (about 0.15 s) is over when the
    pause is."""


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
class SpeechLull:
    """``complete_pause_ms - look_ahead_ms`` of quiet: a :class:`SpeechPause` is coming
    unless speech resumes; time to start reading what was said (once per pause)."""

    time: float
    speech_end: float
    """When the last speech frame was heard."""


@dataclass(frozen=True, slots=True)
class SpeechPause:
    """``complete_pause_ms`` of quiet inside an utterance: is what was said already a
    finished command? (once per pause; speech resuming makes the next pause count)"""

    time: float
    speech_end: float
    """When the last speech frame was heard."""


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    """The utterance is over."""

    time: float
    """When the endpointer decided (the end of the trailing quiet)."""
    speech_end: float
    """When the last speech frame was heard: the user's "end of speech"."""
    reason: str
    """``silence``, ``complete`` (a finished command, after ``complete_pause_ms``),
    ``max_length`` (cut at ``max_utterance_s``) or ``flush`` (input ended)."""


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

    def frame(self, samples: np.ndarray, level: float, *, in_utterance: bool) -> bool:
        """One 10 ms frame (int16 samples as float32, and its level in dBFS)."""
        return self.decide(level, adapt=not in_utterance)

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


Detector = Callable[[np.ndarray], float]
"""512 float samples in [-1, 1] -> probability of speech; ``reset()`` forgets its state."""


class FrameVad(Protocol):
    def frame(self, samples: np.ndarray, level: float, *, in_utterance: bool) -> bool: ...


class NeuralVad:
    """Silero VAD behind the energy gate.

    Outside an utterance a frame is sent to the network only when the energy detector
    hears something (a quiet room costs nothing); inside one every frame is, and the
    network alone decides. Each 10 ms frame takes the verdict of the latest complete
    32 ms window (a window's verdict is known when its last sample arrives).
    """

    def __init__(self, settings: VadSettings = VadSettings(), detector: Detector | None = None) -> None:
        self.settings = settings
        self.energy = EnergyVad(settings)
        self.detector = detector if detector is not None else load_silero()
        self._window = np.zeros(WINDOW, np.float32)
        self._fill = 0
        self._running = False
        self.speaking = False
        self.windows = 0
        """Windows the network has judged (for benchmarks: its cost is per window)."""
        self.quiet_frames = 0
        """Frames in a row, up to the last one, that the energy detector called quiet in a
        quiet room (noise floor under ``min_level_db``): when the network lets go of a
        voice, how long ago the voice actually stopped. Always 0 in noise, where a soft
        voice is under the energy bar too (barista-dev at 12 dB: one order amended after a
        short breath was cut short when the date moved back there)."""

    def frame(self, samples: np.ndarray, level: float, *, in_utterance: bool) -> bool:
        loud = self.energy.decide(level, adapt=not in_utterance)
        floor = self.energy.floor_db
        quiet_room = floor is not None and floor < self.settings.min_level_db
        # in noise a soft voice is under the energy bar too: there the network's date stands
        self.quiet_frames = 0 if loud or not quiet_room else self.quiet_frames + 1
        if not (in_utterance or loud or self.speaking):
            if self._running:  # back to the quiet room: the next sound starts afresh
                self._running = False
                self._fill = 0
                self.detector.reset()
            return False
        self._running = True
        take = min(FRAME, WINDOW - self._fill)
        self._window[self._fill:self._fill + take] = samples[:take] / 32768.0
        self._fill += take
        if self._fill == WINDOW:
            p = float(self.detector(self._window))
            self.windows += 1
            bar = self.settings.speech_probability - (0.15 if self.speaking else 0.0)
            self.speaking = p >= bar
            rest = samples[take:]
            self._fill = len(rest)
            self._window[:self._fill] = rest / 32768.0
        return self.speaking


def load_silero() -> Detector:
    """Silero VAD v6 on onnxruntime (:mod:`agent.audio.silero`)."""
    reason = unavailable()
    if reason is not None:
        from ..errors import ModelMissing
        raise ModelMissing(reason, code="vad-unavailable")
    return SileroVad()


def make_vad(settings: VadSettings) -> FrameVad:
    """The configured VAD."""
    return NeuralVad(settings) if settings.model == "silero" else EnergyVad(settings)


Event = SpeechStart | SpeechAudio | SpeechLull | SpeechPause | SpeechEnd


class Endpointer:
    """Utterance boundaries from a stream of 16 kHz mono int16 chunks."""

    def __init__(self, settings: VadSettings = VadSettings(), vad: FrameVad | None = None) -> None:
        self.settings = settings
        self.vad = vad if vad is not None else make_vad(settings)
        self.in_speech = False
        self._carry = b""
        self._preroll: deque[bytes] = deque(maxlen=max(1, settings.preroll_ms // 10))
        self._run = 0  # consecutive speech frames before a start
        self._quiet = 0  # consecutive quiet frames inside an utterance
        self._started_at = 0.0
        self._last_speech = 0.0
        self._tail = 0  # quiet frames by energy at the end of the speech so far
        self._pending: list[bytes] = []  # frames of a possible start, not yet confirmed
        self._paused = False  # this pause's SpeechPause was given
        self._lull = False  # ... and its SpeechLull

    def reset(self) -> None:
        """Forget any utterance in progress (the noise floor is kept)."""
        self.in_speech = False
        self._run = self._quiet = self._tail = 0
        self._paused = self._lull = False
        self._pending.clear()

    @property
    def quiet_ms(self) -> int:
        """Quiet since the last speech frame of the utterance in progress."""
        return self._quiet * 10 if self.in_speech else 0

    def close(self, now: float, reason: str = "complete") -> list[SpeechEnd]:
        """End the utterance in progress now (the listener found it finished)."""
        if not self.in_speech:
            return []
        last = self._last_speech
        self.reset()
        return [SpeechEnd(now, last, reason)]

    def feed(self, now: float, pcm: bytes) -> list[Event]:
        """Events caused by ``pcm``, whose last sample was captured at ``now``.

        Between a :class:`SpeechStart` and its :class:`SpeechEnd` every frame of the
        utterance is handed out exactly once, in :class:`SpeechAudio` events.
        """
        buf = self._carry + pcm
        nframes = len(buf) // (2 * FRAME)
        self._carry = buf[nframes * 2 * FRAME:]
        events: list[Event] = []
        s = self.settings
        voiced: list[bytes] = []
        t = now
        if nframes:
            frames = np.frombuffer(buf, "<i2", count=nframes * FRAME).astype(np.float32).reshape(nframes, FRAME)
            levels = 10 * np.log10(np.mean((frames / 32768.0) ** 2, axis=1) + 1e-10)
        vad = self.vad
        def audio_before_marker(t: float) -> None:
            """The audio heard so far goes out ahead of a lull or pause marker."""
            if voiced:
                events.append(SpeechAudio(t, b"".join(voiced)))
                voiced.clear()

        for k in range(nframes):
            t = now - (len(buf) - (k + 1) * 2 * FRAME) / 32000.0  # time at this frame's end
            raw = buf[k * 2 * FRAME:(k + 1) * 2 * FRAME]
            speech = vad.frame(frames[k], float(levels[k]), in_utterance=self.in_speech)
            if not self.in_speech:
                if speech:
                    self._run += 1
                    self._pending.append(raw)
                    if self._run * 10 >= s.start_ms:
                        self.in_speech = True
                        self._quiet = 0
                        self._started_at = t - self._run * 0.01
                        self._last_speech = t
                        self._tail = 0
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
                    self._paused = self._lull = False
                    self._last_speech = t
                    self._tail = getattr(vad, "quiet_frames", 0)
                else:
                    if not self._quiet:  # the voice stopped: when the energy detector last heard it
                        back = min(self._tail, TAIL_MS // 10)
                        self._last_speech -= back * 0.01
                        self._quiet = back
                    self._quiet += 1
                    lull_ms = s.complete_pause_ms - s.look_ahead_ms
                    if (s.complete_pause_ms and s.look_ahead_ms and not self._lull and self._quiet * 10 >= lull_ms
                            and self._quiet * 10 < s.complete_pause_ms):
                        self._lull = True
                        audio_before_marker(t)
                        events.append(SpeechLull(t, self._last_speech))
                    if (s.complete_pause_ms and not self._paused and self._quiet * 10 >= s.complete_pause_ms
                            and self._quiet * 10 < s.end_silence_ms):
                        self._paused = True
                        audio_before_marker(t)
                        events.append(SpeechPause(t, self._last_speech))
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

    def flush(self, now: float) -> list[Event]:
        """The input ended: close an utterance in progress."""
        if not self.in_speech:
            return []
        self.reset()
        return [SpeechEnd(now, self._last_speech, "flush")]
