"""Spoken replies on the speaker: one worker thread synthesises, PortAudio plays.

:class:`Mouth` owns the voice and the output stream. :meth:`Mouth.say` only queues (any
thread, never blocks); the worker synthesises phrase by phrase into a buffer that
PortAudio's callback drains at the device's native rate, so the first words play while
the rest is made. The output stream is opened once, when the voice loads, and started for
each reply with its first phrase already waiting, so the first callback plays it (a stream
left running between replies would queue the first words behind the silence it holds: the
device's latency, over a second through PulseAudio's null sink). :meth:`Mouth.stop`
(barge-in) drops what is playing and what is queued. :meth:`Mouth.muted` tells the microphone side to ignore what it hears while a
reply plays and for a short tail after it (the agent must never hear itself).

Callbacks (``on_start(reply_id)``, ``on_end(reply_id, how)``, ``on_error(exc)``) run on
the worker thread; the daemon stage hops them onto its loop.
"""

from __future__ import annotations

import logging
import queue
from collections import OrderedDict
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..audio.resample import Resampler
from ..errors import AudioError
from .tts import Voice

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Speech:
    """One reply to play: words, a sound, or both (the sound first)."""

    reply_id: str
    text: str | None = None
    sound: np.ndarray | None = None
    """int16 mono at ``sound_rate``."""
    sound_rate: int = 22050
    queued_at: float = 0.0
    """Monotonic time it was asked for (the first-audio latency counts from here)."""


def find_output(sd: Any, want: str | int | None) -> tuple[int, dict]:
    """The output device a config names (index, or part of its name); None: the default."""
    outputs = [(i, d) for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] > 0]
    listing = "; ".join(f"{i}: {d['name']}" for i, d in outputs) or "none"
    if want is None or want == "":
        default = sd.default.device[1] if isinstance(sd.default.device, (list, tuple)) else sd.default.device
        for i, d in outputs:
            if i == default:
                return i, d
        if outputs:
            return outputs[0]
        raise AudioError("no output device (speaker) found; plug one in, or set voice.output: none",
                         code="audio-output-missing")
    if isinstance(want, int) or str(want).isdigit():
        for i, d in outputs:
            if i == int(want):
                return i, d
        raise AudioError(f"no output device with index {want}; outputs: {listing} (voice-agent devices)",
                         code="audio-output-missing")
    key = str(want).casefold()
    for match in (lambda n: n == key, lambda n: key in n):
        for i, d in outputs:
            if match(d["name"].casefold()):
                return i, d
    raise AudioError(f"no output device named like {want!r}; outputs: {listing} (voice-agent devices)",
                     code="audio-output-missing")


class Mouth:
    def __init__(self, voice: Callable[[], Voice], *, device: str | int | None = None, volume: float = 1.0,
                 mute_tail_s: float = 0.3, sd: Any = None, clock: Callable[[], float] = time.monotonic,
                 on_start: Callable[[str, float], None] | None = None,
                 on_end: Callable[[str, str], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 on_audio: Callable[[str, np.ndarray, int], None] | None = None, play: bool = True) -> None:
        self._make_voice = voice
        self.play = play
        """False: synthesise only (for ``on_audio``), open no speaker."""
        self.on_audio = on_audio
        """Gets each reply's whole audio (int16, rate) once it is made (the WAV topic)."""
        self.voice: Voice | None = None
        self.device = device
        self.volume = volume
        self.mute_tail_s = mute_tail_s
        self.clock = clock
        self.on_start = on_start or (lambda rid, latency: None)
        self.on_end = on_end or (lambda rid, how: None)
        self.on_error = on_error or (lambda exc: None)
        self._sd = sd
        self._jobs: queue.Queue[Speech | None] = queue.Queue()
        self._buffer: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._drained = threading.Event()
        self._stop = threading.Event()  # barge-in: drop the current reply
        self._busy = threading.Event()
        self._quiet_since = float("-inf")
        self._first_out = threading.Event()  # the callback took the current reply's first sample
        self._first_out_at = 0.0
        self._stream: Any = None
        self._rate = 0
        self.ready = threading.Event()
        """Set once the voice is loaded and the output opened (or failed to)."""
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        """Audio of replies said before (most recent last): a question asked again plays at once."""
        self.cache_size = 64
        self.warm: tuple[str, ...] = ()
        """Replies to synthesise into the cache right after loading (fixed texts: "Okay.")."""
        self._thread = threading.Thread(target=self._work, name="voice", daemon=True)

    # ------------------------------------------------------------------ any thread
    def start(self) -> None:
        self._thread.start()

    def say(self, speech: Speech) -> None:
        self._jobs.put(speech)

    def stop(self) -> bool:
        """Barge-in: stop what is playing and drop what is queued; True when something was."""
        was = self._busy.is_set() or not self._jobs.empty()
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        if self._busy.is_set():
            self._stop.set()
        return was

    @property
    def speaking(self) -> bool:
        return self._busy.is_set()

    def muted(self, now: float | None = None) -> bool:
        """True while a reply plays and ``mute_tail_s`` after it."""
        if self._busy.is_set():
            return True
        return (self.clock() if now is None else now) - self._quiet_since < self.mute_tail_s

    def close(self) -> None:
        self.stop()
        self._jobs.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    # ------------------------------------------------------------------ the worker
    def _work(self) -> None:
        try:
            self.voice = self._make_voice()
            if self.play:
                self._open()
        except Exception as exc:  # noqa: BLE001 - reported; replies still go out as events
            log.error("the voice cannot speak: %s", exc)
            self.on_error(exc)
        finally:
            self.ready.set()
        for text in self.warm:
            if self.voice is None or not self._jobs.empty():
                break
            try:
                self._remember(text, np.concatenate(list(self.voice.stream(text)) or [np.zeros(0, np.int16)]))
            except Exception as exc:  # noqa: BLE001 - warming is an optimisation; speaking will say what fails
                log.warning("could not prepare %r: %s", text, exc)
                break
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if self.voice is None:
                continue
            self._stop.clear()
            self._busy.set()
            how = "done"
            try:
                how = self._play(job)
            except Exception as exc:  # noqa: BLE001 - one failed reply never stops the voice
                log.error("playing a reply failed: %s", exc)
                how = "failed"
                self.on_error(exc)
                self._reopen()
            finally:
                # after a barge-in the person is already talking: no echo tail to wait out
                self._quiet_since = self.clock() if how != "interrupted" else float("-inf")
                self._busy.clear()
                self.on_end(job.reply_id, how)
        self._close_stream()

    def _open(self) -> None:
        if self._sd is None:
            try:
                import sounddevice
            except (ImportError, OSError) as exc:
                raise AudioError(f"speaking needs sounddevice and PortAudio ({exc}); install: apt-get install "
                                 "libportaudio2 && pip install sounddevice", code="audio-unavailable") from None
            self._sd = sounddevice
        index, info = find_output(self._sd, self.device)
        self._rate = int(info.get("default_samplerate") or 48000)
        self._stream = self._sd.OutputStream(device=index, samplerate=self._rate, channels=1, dtype="int16",
                                             callback=self._callback, latency=0.1, blocksize=1024)
        log.info("speaking on %s at %d Hz with %s", info.get("name"), self._rate,
                 getattr(self.voice, "name", "?"))

    def _reopen(self) -> None:
        self._close_stream()
        try:
            self._open()
        except Exception as exc:  # noqa: BLE001 - tried again at the next reply
            log.warning("speaker unavailable: %s", exc)

    def _close_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception:  # noqa: BLE001 - closing a device that is already gone
                pass
            self._stream = None

    def _callback(self, outdata, frames, time_info, status) -> None:  # PortAudio's thread
        out = outdata.reshape(-1)
        filled = 0
        with self._lock:
            while filled < frames and self._buffer:
                block = self._buffer[0]
                take = min(frames - filled, len(block))
                out[filled:filled + take] = block[:take]
                filled += take
                if take == len(block):
                    self._buffer.popleft()
                else:
                    self._buffer[0] = block[take:]
            if not self._buffer:
                # under the lock: a phrase pushed between this check and the set would
                # otherwise read as drained, and the reply would stop before its last phrase
                self._drained.set()
        out[filled:] = 0
        if filled and not self._first_out.is_set():
            self._first_out_at = self.clock()
            self._first_out.set()

    def _push(self, samples: np.ndarray) -> None:
        with self._lock:
            self._buffer.append(samples)
            self._drained.clear()

    def _play(self, job: Speech) -> str:
        if self._stream is None and self.play:
            self._open()
        voice = self.voice
        assert voice is not None
        with self._lock:
            self._buffer.clear()
            self._first_out.clear()
        started = False
        made: list[np.ndarray] = []
        parts: list[tuple[Any, int, bool]] = []
        if job.sound is not None:
            parts.append(([job.sound], job.sound_rate, False))
        cached = self.cache.get(job.text) if job.text else None
        if cached is not None:
            self.cache.move_to_end(job.text)
            parts.append(([cached], voice.sample_rate, True))
        elif job.text:
            parts.append((voice.stream(job.text), voice.sample_rate, True))
        for blocks, rate, words in parts:
            resampler = Resampler(rate, 1, target=self._rate or rate)
            for block in blocks:
                if self._stop.is_set():
                    return self._abort()
                samples = np.asarray(block, dtype=np.int16)
                if self.volume != 1.0:
                    samples = np.clip(samples.astype(np.float32) * self.volume, -32768, 32767).astype(np.int16)
                if words:
                    made.append(samples)
                if self._stream is None:
                    continue
                out = (np.clip(resampler.process(samples), -1.0, 32767 / 32768) * 32768.0).astype(np.int16)
                if not len(out):
                    continue
                self._push(out)
                if not started:
                    started = True
                    self._drained.clear()
                    self._stream.start()
                    # the first audio counts when the speaker's callback takes it
                    first = self._first_out_at if self._first_out.wait(1.0) else self.clock()
                    self.on_start(job.reply_id, first - job.queued_at if job.queued_at else 0.0)
        if made and job.text:
            whole = np.concatenate(made)
            if cached is None:
                self._remember(job.text, whole if self.volume == 1.0 else None)
            if self.on_audio is not None:
                self.on_audio(job.reply_id, whole, voice.sample_rate)
        if not started:
            return "done"
        while not self._drained.wait(0.05):
            if self._stop.is_set():
                return self._abort()
        self._stream.stop()  # plays out what PortAudio still holds
        return "done"

    def _remember(self, text: str, samples: np.ndarray | None) -> None:
        if samples is None or not len(samples):
            return
        self.cache[text] = samples
        self.cache.move_to_end(text)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def _abort(self) -> str:
        with self._lock:
            self._buffer.clear()
        if self._stream is not None and self._stream.active:
            self._stream.abort()  # drops what PortAudio still holds: silence now
        return "interrupted"
