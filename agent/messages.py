"""Typed, frozen messages passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A block of 16 kHz mono signed 16-bit little-endian audio."""

    pcm: bytes
    """Raw samples, 2 bytes each."""
    timestamp: float
    """Monotonic time (seconds) at which the block's last sample was captured."""
    rate: int = 16000
    """Sample rate in Hz; every stage after capture expects 16000."""


@dataclass(frozen=True, slots=True)
class Transcript:
    """What a recogniser heard."""

    text: str
    """The recognised words, lower case, no punctuation guarantees."""
    final: bool = True
    """False for partial (in-progress) results."""
    asr_ms: float = 0.0
    """Time the recogniser spent after end of speech, in milliseconds."""
    source: str = "text"
    """Where it came from: ``text``, ``mqtt``, ``vosk``, ``whisper``."""
    eos_ms: float | None = None
    """Speech only: milliseconds from the end of speech (the last voiced sample) to this
    transcript; the daemon dates the utterance's end of speech from it."""


@dataclass(frozen=True, slots=True)
class Intent:
    """What the user meant, resolved against the configured home."""

    text: str
    """The utterance as received."""
    name: str | None
    """Intent name (``turn_on`` ...) or None when not understood."""
    targets: tuple[str, ...] = ()
    """Device ids the intent acts on, in config order."""
    slots: dict[str, Any] = field(default_factory=dict)
    """Canonical slot values: numbers as numbers, list slots as canonical values."""
    engine: str | None = None
    """``template`` or ``slm``; None when not understood."""
    confidence: float = 0.0
    """0..1; 1.0 for an exact template match."""
    reason: str = ""
    """Why it was not understood (empty when understood)."""

    @property
    def understood(self) -> bool:
        return self.name is not None


@dataclass(frozen=True, slots=True)
class Action:
    """One MQTT publish derived from an intent and the config."""

    topic: str
    """Topic from the device's config; never built from spoken text."""
    payload: str
    """UTF-8 payload."""
    qos: int = 1
    retain: bool = False
    device: str = ""
    """Id of the device this action drives."""

    def as_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "payload": self.payload, "qos": self.qos, "retain": self.retain}
