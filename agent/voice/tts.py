"""The text-to-speech interface every voice implements, and the helpers around it.

A :class:`Voice` turns text into 16-bit mono PCM at its own sample rate. It streams: the
reply's first sentence is spoken while the next is still being synthesised, so the
first audio comes out after one sentence's synthesis, not the whole reply's.
Voices are not thread-safe; :mod:`agent.voice.output` calls one from one worker thread.
"""

from __future__ import annotations

import re
from typing import Iterator, Protocol

import numpy as np


class Voice(Protocol):
    name: str
    """What ``voice-agent say`` and the logs call it (``piper:en_US-joe-medium``, ``espeak:en-us``)."""
    sample_rate: int
    """Hz of the samples :meth:`stream` yields."""

    def stream(self, text: str) -> Iterator[np.ndarray]:
        """Speak ``text``: int16 mono blocks, the first as soon as it exists."""
        ...


_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")


def sentences(text: str) -> list[str]:
    """Split a reply where a listener hears a pause (``.``, ``?``, ``!``, ``;``, ``:``)."""
    return [s for s in (p.strip() for p in _SENTENCE.split(text.strip())) if s]


def to_int16(samples: np.ndarray, volume: float = 1.0) -> np.ndarray:
    """Float samples in [-1, 1] (or int16) scaled by ``volume`` -> clipped int16."""
    a = np.asarray(samples)
    if a.dtype == np.int16:
        if volume == 1.0:
            return a
        a = a.astype(np.float32) / 32768.0
    a = np.clip(a.astype(np.float32) * volume, -1.0, 1.0)
    return (a * 32767.0).astype(np.int16)


def synthesize(voice: Voice, text: str) -> np.ndarray:
    """The whole utterance at once (``say -o``, tests, satellites that want a WAV)."""
    blocks = list(voice.stream(text))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int16)
