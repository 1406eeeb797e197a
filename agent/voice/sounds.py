"""The acknowledgement sound: a short rising two-note chime, made here (no sound files)."""

from __future__ import annotations

import numpy as np

RATE = 22050


def _note(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(4 * np.pi * freq * t)
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)  # 10 ms ramps: no clicks
    return (tone * fade * np.exp(-3.0 * t)).astype(np.float32)


def acknowledgement(rate: int = RATE, level: float = 0.35) -> np.ndarray:
    """About 0.2 s: E6 then B6, int16 mono at ``rate``."""
    a = np.concatenate([_note(1318.5, 0.09, rate), _note(1975.5, 0.12, rate)])
    return (a / np.max(np.abs(a)) * level * 32767).astype(np.int16)
