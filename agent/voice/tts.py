"""The text-to-speech interface every voice implements, and the helpers around it.

A :class:`Voice` turns text into 16-bit mono PCM at its own sample rate. It streams: the
reply's first sentence is spoken while the next is still being synthesised, so the
first audio comes out after one sentence's synthesis, not the whole reply's.
Voices are not thread-safe; :mod:`agent.voice.output` calls one from one worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Phrase:
    """A piece of a reply that a voice synthesises on its own."""

    text: str
    ends_sentence: bool
    """False: the sentence goes on in the next phrase (no breath between them)."""


BREAK_BEFORE = {"en": frozenset("the a an to at in on of for from with by is are was were and or but "
                                "into onto".split())}
"""Per language: words a phrase may start with (where a reader can break a sentence in two)."""

OPENING_WORDS = (1, 4)
"""How many words the opening phrase of a long first sentence may have."""


def phrases(text: str, language: str = "en") -> list[Phrase]:
    """The reply as a voice synthesises it: sentence by sentence, with the first sentence's
    opening phrase on its own ("Yes," | "the kettle is on."; "Should I unlock" | "the front
    door?"), so the first audio waits only for a few words' synthesis while the rest is made
    during their playback. The opening ends at the first comma when that comes within
    ``OPENING_WORDS[1] + 1`` words, else before a function word (``BREAK_BEFORE``, English;
    other languages split at commas only); sentences of up to four words stay whole."""
    out: list[Phrase] = []
    for n, sentence in enumerate(sentences(text)):
        cut = _opening(sentence, language) if n == 0 else None
        if cut:
            out.append(Phrase(cut[0], False))
            sentence = cut[1]
        out.append(Phrase(sentence, True))
    return out


def _opening(sentence: str, language: str) -> tuple[str, str] | None:
    words = sentence.split()
    low, high = OPENING_WORDS
    if len(words) <= 4:
        return None
    for i, word in enumerate(words[:high + 1]):
        if word.endswith(",") and len(words) - i - 1 >= 2:
            return " ".join(words[:i + 1]), " ".join(words[i + 1:])
    breaks = BREAK_BEFORE.get(language.split("-")[0].casefold())
    if not breaks:
        return None
    at = [i for i in range(low, high + 1)
          if i < len(words) and words[i].casefold() in breaks and len(words) - i >= 2]
    if not at:
        return None
    # the shortest opening that is not a lone word ("Turning on | the lamp", not "Turning | on the lamp")
    cut = min((i for i in at if i >= 2), default=at[0])
    return " ".join(words[:cut]), " ".join(words[cut:])


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


def trim_silence(samples: np.ndarray, rate: int, *, keep_head_ms: float | None = None,
                 keep_tail_ms: float | None = None) -> np.ndarray:
    """``samples`` with the silence before the first and after the last sound cut to the
    given lengths (None: left as it is; frames of 5 ms quieter than 3 % of the peak count as
    silence), so two phrases of one sentence join without a gap a listener would hear as a stop."""
    frame = max(1, rate // 200)
    n = len(samples) // frame
    if n == 0:
        return samples
    levels = np.abs(samples[:n * frame].astype(np.int32)).reshape(n, frame).max(axis=1)
    loud = np.nonzero(levels > max(int(levels.max() * 0.03), 64))[0]
    if not len(loud):
        return samples
    start = 0 if keep_head_ms is None else max(0, loud[0] * frame - int(rate * keep_head_ms / 1000))
    end = len(samples) if keep_tail_ms is None else min(len(samples), (loud[-1] + 1) * frame
                                                        + int(rate * keep_tail_ms / 1000))
    return samples[start:end]
