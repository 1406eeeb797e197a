"""What the MQTT protocol (and Mosquitto) accept as a topic, a topic filter or a string
field (client id, user name, password).

A broker drops the connection on a malformed topic or string, so a config holding one
would make the agent reconnect forever without ever acting: these are checked at load.
"""

from __future__ import annotations

MAX_BYTES = 65535
"""An MQTT string is at most this many UTF-8 bytes."""


def _bad_char(text: str) -> str | None:
    """Why ``text`` is no MQTT UTF-8 string (what brokers refuse), or None."""
    for ch in text:
        code = ord(ch)
        if code == 0:
            return "a NUL character"
        if 0xD800 <= code <= 0xDFFF:
            return f"a lone surrogate escape (\\u{code:04x}), which is not text"
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return f"a control character (U+{code:04X})"
        if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
            return f"a Unicode non-character (U+{code:04X})"
    return None


def string_problem(text: str) -> str | None:
    """Why ``text`` cannot be sent as an MQTT string field, or None."""
    bad = _bad_char(text)
    if bad is not None:
        return f"holds {bad}"
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        return f"is {size} bytes long; MQTT allows at most {MAX_BYTES}"
    return None


def topic_problem(topic: str, *, filter: bool = False) -> str | None:
    """Why ``topic`` is not a valid topic to publish to (``filter``: to subscribe to), or None."""
    if not topic:
        return "is empty"
    bad = string_problem(topic)
    if bad is not None:
        return bad
    if not filter:
        if "+" in topic or "#" in topic:
            return "holds a wildcard ('+' or '#'); a topic to publish to must be plain"
        return None
    levels = topic.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return "uses '#' other than as the whole last level"
        if "+" in level and level != "+":
            return "uses '+' other than as a whole level"
    return None
