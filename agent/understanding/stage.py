"""The understanding stage's contract: text in, intent out, and the text it accepts."""

from __future__ import annotations

from typing import Protocol

from ..errors import InputRejected
from ..messages import Intent

MAX_TEXT = 1000
"""Longest utterance accepted, in characters (nobody speaks a 1,000-character command)."""


class Understander(Protocol):
    """One stage: text in, intent out (the templates, or the templates then the model)."""

    def understand(self, text: str, *, area: str | None = None) -> Intent: ...


def check_text(text: str) -> str:
    """Reject input that cannot be an utterance; say why."""
    if len(text) > MAX_TEXT:
        raise InputRejected(f"line of {len(text)} characters is longer than {MAX_TEXT}; "
                            "send one command per line")
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t") or ch == "\ufffd")
    if bad:
        raise InputRejected(f"line holds {bad} control or undecodable character(s); "
                            "send UTF-8 text, one command per line")
    return text.strip()
