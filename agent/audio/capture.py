"""Microphone capture on PortAudio (sounddevice).

:class:`MicSource` opens the device by name or index at the rate and channel count
the device offers, and hands each block from PortAudio's callback thread to the
event loop with ``loop.call_soon_threadsafe`` into a bounded queue. When the loop
falls behind, the oldest block is dropped (counted, logged): fresh audio matters
more than old audio for a command. On the loop side blocks are resampled to 16 kHz
mono and cut into ``block_ms`` chunks.

A device that is missing, fails, or stops delivering is reported as an
:class:`~agent.errors.AudioError` event and reopened with exponential backoff; the
source (and the daemon) keep running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, AsyncIterator, Callable

import numpy as np

from ..errors import AudioError
from ..messages import AudioChunk
from .resample import TARGET_RATE, Resampler
from .settings import AudioSettings

log = logging.getLogger(__name__)
_LOST = object()
_STALLED = object()


class DeviceMissing(AudioError):
    code = "audio-device-missing"


class DeviceLost(AudioError):
    code = "audio-device-lost"


def backend() -> Any:
    """The sounddevice module, or a clear error when PortAudio is not installed."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise AudioError(f"microphone capture needs sounddevice and PortAudio ({exc}); "
                         "install: apt-get install libportaudio2 && pip install sounddevice",
                         code="audio-unavailable") from None
    return sounddevice


def input_devices(sd: Any) -> list[tuple[int, dict]]:
    return [(i, d) for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


def find_device(sd: Any, want: str | int | None) -> tuple[int, dict]:
    """The input device a config or command line names (index, or part of its name)."""
    inputs = input_devices(sd)
    listing = "; ".join(f"{i}: {d['name']}" for i, d in inputs) or "none"
    if want is None or want == "":
        default = sd.default.device[0] if isinstance(sd.default.device, (list, tuple)) else sd.default.device
        for i, d in inputs:
            if i == default:
                return i, d
        if inputs:
            return inputs[0]
        raise DeviceMissing("no input device (microphone) found; plug one in, or use audio.input: "
                            "file / stdin")
    if isinstance(want, int) or str(want).isdigit():
        for i, d in inputs:
            if i == int(want):
                return i, d
        raise DeviceMissing(f"no input device with index {want}; inputs: {listing} (voice-agent devices)")
    key = str(want).casefold()
    for match in (lambda n: n == key, lambda n: key in n):
        for i, d in inputs:
            if match(d["name"].casefold()):
                return i, d
    raise DeviceMissing(f"no input device named like {want!r}; inputs: {listing} (voice-agent devices)")


class MicSource:
    """A live microphone as the audio input; reopens it when it goes away."""

    def __init__(self, settings: AudioSettings, *, device: str | int | None = None, sd: Any = None,
                 on_error: Callable[[AudioError], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.settings = settings
        self.want = device if device is not None else settings.device
        self.name = f"mic:{self.want if self.want is not None else 'default'}"
        self._sd = sd
        self.on_error = on_error
        self.clock = clock
        self.sleep = sleep
        self.dropped = 0
        """Blocks dropped because the loop fell behind."""
        self.overflows = 0
        """Blocks PortAudio itself reported as overflowed."""
        self.opened = 0
        """Times the device was (re)opened."""
        self.device_info: dict = {}
        self._last_drop_log = 0.0
        self._last = 0.0
        self._pending = b""

    def _report(self, exc: AudioError) -> None:
        log.warning("[%s] %s", exc.code, exc)
        if self.on_error:
            self.on_error(exc)

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        s = self.settings
        wait = s.retry_min_s
        first = True
        while True:
            try:
                sd = self._sd or backend()
                if not first and self._sd is None:
                    _reinit(sd)  # PortAudio lists devices once; a replugged one needs a fresh list
                first = False
                queue: asyncio.Queue[Any] = asyncio.Queue(s.queue_blocks)
                stream, rate, channels = await asyncio.to_thread(self._open, sd, queue, asyncio.get_running_loop())
            except AudioError as exc:
                self._report(exc)
                await self.sleep(wait)
                wait = min(wait * 2, s.retry_max_s)
                continue
            wait = s.retry_min_s
            self.opened += 1
            try:
                async for chunk in self._read(queue, rate, channels):
                    yield chunk
            except DeviceLost as exc:
                self._report(exc)
            finally:
                await asyncio.to_thread(_close, stream)
            await self.sleep(wait)
            wait = min(wait * 2, s.retry_max_s)

    def _open(self, sd: Any, queue: asyncio.Queue, loop: asyncio.AbstractEventLoop) -> tuple[Any, int, int]:
        index, info = find_device(sd, self.want)
        self.device_info = dict(info)
        rate = self.settings.rate or int(info["default_samplerate"])
        options = [self.settings.channels] if self.settings.channels else [1, int(info["max_input_channels"])]
        block = max(1, rate * self.settings.block_ms // 1000)
        clock = self.clock

        def callback(indata, frames, time_info, status) -> None:  # PortAudio's thread
            loop.call_soon_threadsafe(self._put, queue, (bytes(indata), clock(), bool(status)))

        def finished() -> None:  # PortAudio's thread: the stream stopped
            try:
                loop.call_soon_threadsafe(self._put, queue, _LOST)
            except RuntimeError:  # the loop is already closed
                pass

        error: Exception | None = None
        for channels in dict.fromkeys(options):
            try:
                stream = sd.RawInputStream(device=index, samplerate=rate, channels=channels, dtype="int16",
                                           blocksize=block, callback=callback, finished_callback=finished)
                stream.start()
                log.info("capturing from %r (index %d) at %d Hz, %d channel(s)", info["name"], index, rate, channels)
                return stream, rate, channels
            except Exception as exc:  # sounddevice.PortAudioError, ValueError for bad settings
                error = exc
        raise DeviceLost(f"cannot open input device {info['name']!r} at {rate} Hz: {error}")

    def _put(self, queue: asyncio.Queue, item: Any) -> None:  # the loop's thread
        if item is not _LOST and item is not _STALLED:
            self._last = self.clock()  # the device is alive, however far behind the consumer is
            if item[2]:
                self.overflows += 1
        if queue.full():
            queue.get_nowait()
            self.dropped += 1
            now = self.clock()
            if now - self._last_drop_log >= 5.0:
                self._last_drop_log = now
                log.warning("audio queue full: dropped the oldest block (%d dropped so far)", self.dropped)
        queue.put_nowait(item)

    async def _read(self, queue: asyncio.Queue, rate: int, channels: int) -> AsyncIterator[AudioChunk]:
        resampler = Resampler(rate, channels)
        block_bytes = TARGET_RATE * self.settings.block_ms // 1000 * 2
        self._pending = b""
        name = self.device_info.get("name", "?")
        watchdog = asyncio.get_running_loop().create_task(self._watch(queue), name="capture-watchdog")
        try:
            while True:
                item = await queue.get()  # no per-block timeout task: the watchdog notices a stall
                if item is _STALLED:
                    raise DeviceLost(f"input device {name!r} delivered no audio for "
                                     f"{self.settings.stall_s:g} s (unplugged?)")
                if item is _LOST:
                    raise DeviceLost(f"input device {name!r} stopped (unplugged?)")
                for chunk in self._blocks(resampler, item, block_bytes):
                    yield chunk
        finally:
            watchdog.cancel()

    async def _watch(self, queue: asyncio.Queue) -> None:
        self._last = self.clock()
        step = min(0.5, self.settings.stall_s / 2)
        while True:
            await asyncio.sleep(step)
            if self.clock() - self._last >= self.settings.stall_s:
                self._put(queue, _STALLED)
                return

    def _blocks(self, resampler: Resampler, item: Any, block_bytes: int) -> list[AudioChunk]:
        raw, when, _ = item
        pending = self._pending + resampler.pcm(np.frombuffer(raw, "<i2"))
        n = len(pending) // block_bytes
        out = []
        for k in range(n):
            left = (n - k - 1) * block_bytes + len(pending) % block_bytes
            out.append(AudioChunk(pending[k * block_bytes:(k + 1) * block_bytes], when - left / (2.0 * TARGET_RATE)))
        self._pending = pending[n * block_bytes:]
        return out


def _close(stream: Any) -> None:
    try:
        stream.abort()
        stream.close()
    except Exception:  # noqa: BLE001 - closing a dead device may fail; nothing to do about it
        pass


def _reinit(sd: Any) -> None:
    try:
        sd._terminate()
        sd._initialize()
    except Exception:  # noqa: BLE001 - sounddevice internals; a failed refresh just keeps the old list
        pass
