"""Any capture format to the pipeline's format: 16 kHz, mono, signed 16-bit.

:class:`Resampler` is streaming and stateful: feed it blocks of whatever the device
delivers (any rate, any channel count, int16 or float32) and it returns the
corresponding 16 kHz mono samples, carrying filter history and the fractional read
position across blocks so block boundaries leave no clicks or gaps.

Downsampling first low-pass filters (windowed-sinc FIR, cutoff just under the new
Nyquist frequency) so a 48 kHz microphone does not fold 10 kHz hiss into the speech
band; then samples are read at fractional positions by linear interpolation.
"""

from __future__ import annotations

import numpy as np

TARGET_RATE = 16000


def lowpass_taps(cutoff: float, taps: int = 63) -> np.ndarray:
    """A Blackman-windowed sinc low-pass; ``cutoff`` as a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2.0
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    return (h / h.sum()).astype(np.float32)


def to_float_mono(block: np.ndarray, channels: int) -> np.ndarray:
    """Interleaved or (frames, channels) samples -> float32 mono in [-1, 1]."""
    a = np.asarray(block)
    if a.dtype == np.int16:
        a = a.astype(np.float32) / 32768.0
    elif a.dtype == np.int32:
        a = a.astype(np.float32) / 2147483648.0
    else:
        a = a.astype(np.float32, copy=False)
    if channels > 1:
        a = a.reshape(-1, channels).mean(axis=1)
    return a.reshape(-1)


def to_pcm16(samples: np.ndarray) -> bytes:
    """float32 in [-1, 1] -> little-endian signed 16-bit bytes (clipped)."""
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()


class Resampler:
    """Streaming ``rate``-Hz, ``channels``-channel audio -> 16 kHz mono int16."""

    def __init__(self, rate: int, channels: int = 1, target: int = TARGET_RATE) -> None:
        if rate <= 0 or channels <= 0:
            raise ValueError(f"bad input format: {rate} Hz, {channels} channel(s)")
        self.rate, self.channels, self.target = int(rate), int(channels), int(target)
        self.step = self.rate / self.target  # input samples per output sample
        self.taps = lowpass_taps(0.45 * self.target / self.rate) if self.rate > self.target else None
        self._history = np.zeros(0 if self.taps is None else len(self.taps) - 1, np.float32)
        self._pending = np.zeros(0, np.float32)  # filtered input not yet fully consumed
        self._pos = 0.0  # next output position, in input samples, relative to _pending[0]

    def process(self, block: np.ndarray) -> np.ndarray:
        """Float32 16 kHz mono samples for one block of input."""
        x = to_float_mono(block, self.channels)
        if self.rate == self.target:
            return x
        if self.taps is not None:
            padded = np.concatenate((self._history, x))
            if len(self._history):
                self._history = padded[-len(self._history):].copy()
            x = np.convolve(padded, self.taps, mode="valid").astype(np.float32)
        buf = np.concatenate((self._pending, x))
        # output positions p with p + 1 < len(buf) can be interpolated now
        last = len(buf) - 1
        if last <= self._pos:
            self._pending = buf
            return np.zeros(0, np.float32)
        count = int(np.floor((last - 1e-9 - self._pos) / self.step)) + 1
        pos = self._pos + self.step * np.arange(count)
        i = pos.astype(np.int64)
        frac = (pos - i).astype(np.float32)
        out = buf[i] * (1 - frac) + buf[i + 1] * frac
        next_pos = self._pos + self.step * count
        drop = min(int(np.floor(next_pos)), len(buf))  # the next position may lie past this block
        self._pending = buf[drop:]
        self._pos = next_pos - drop
        return out.astype(np.float32)

    def pcm(self, block: np.ndarray) -> bytes:
        """Like :meth:`process`, as 16-bit PCM bytes."""
        return to_pcm16(self.process(block))
