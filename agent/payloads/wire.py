"""What every payload style shares: one publish (:class:`Out`), the refusal when a style
cannot carry a command (:class:`Unsupported`), compact JSON out and JSON objects in."""

from __future__ import annotations

import json
from typing import Any, NamedTuple


class Unsupported(Exception):
    """This style cannot carry this intent for this device (the message says what to add)."""


class Out(NamedTuple):
    topic: str
    payload: str
    retain: bool = False


def dumps(obj: Any) -> str:
    """Compact JSON, as devices and bridges expect it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def loads_object(text: str) -> dict[str, Any] | None:
    """A JSON object, or None when ``text`` is not JSON; ValueError for JSON that is not an object."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    value = json.loads(text)  # ValueError (JSONDecodeError) when broken
    if not isinstance(value, dict):
        raise ValueError("JSON payload is not an object")
    return value
