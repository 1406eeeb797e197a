"""How long a command took: per-utterance timestamps and the last hour's percentiles.

:class:`Timing` follows one utterance through the daemon: when the speaker stopped
(dated from the transcript's ``eos_ms``; absent for typed text), when the transcript
was ready, when it was understood, and when the broker acknowledged its first action.
Events carry it as ``timing`` (Unix times in seconds, and ``speech_to_ack_ms``).

:class:`LatencyWindow` keeps end of speech -> acknowledged action over the last hour
for the health document, which ``voice-agent status`` prints as p50/p95. Pure: times are
parameters.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

WINDOW_S = 3600.0


@dataclass(slots=True)
class Timing:
    """Monotonic times of one utterance's stages (None: not reached, or not spoken)."""

    speech_end: float | None
    transcript: float
    intent: float | None = None
    acked: float | None = None

    @classmethod
    def of(cls, received: float, eos_ms: float | None) -> "Timing":
        """``received``: when the transcript reached the daemon; ``eos_ms``: how long after
        the end of speech that was (speech only)."""
        return cls(None if eos_ms is None else received - eos_ms / 1000.0, received)

    @property
    def speech_to_ack_ms(self) -> float | None:
        if self.speech_end is None or self.acked is None:
            return None
        return (self.acked - self.speech_end) * 1000.0

    def as_json(self, to_wall: Callable[[float], float]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("speech_end", "transcript", "intent", "acked"):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(to_wall(value), 3)
        ms = self.speech_to_ack_ms
        if ms is not None:
            out["speech_to_ack_ms"] = round(ms, 1)
        return out


def wall_clock(clock: Callable[[], float]) -> Callable[[float], float]:
    """Turns a time of ``clock`` (monotonic) into Unix time."""
    return lambda t: time.time() - (clock() - t)


class LatencyWindow:
    """End of speech -> action figures of the last ``window_s`` seconds."""

    def __init__(self, window_s: float = WINDOW_S, cap: int = 20000) -> None:
        self.window_s = window_s
        self.samples: deque[tuple[float, float]] = deque(maxlen=cap)

    def add(self, now: float, ms: float) -> None:
        self.samples.append((now, ms))

    def summary(self, now: float) -> dict[str, Any]:
        while self.samples and self.samples[0][0] < now - self.window_s:
            self.samples.popleft()
        values = sorted(ms for _, ms in self.samples)
        out: dict[str, Any] = {"window_s": self.window_s, "n": len(values)}
        if values:
            out["p50_ms"] = round(percentile(values, 50), 1)
            out["p95_ms"] = round(percentile(values, 95), 1)
        return out


def percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
