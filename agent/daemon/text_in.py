"""Commands sent as text over MQTT, on ``<prefix>/<site>/text/in``: what a payload may be.

Plain UTF-8 text is one command; ``{"text": "...", "area": "<area id>"}`` also says which
room it was said in (a satellite). Anything else is refused with the reason.
"""

from __future__ import annotations

import json
from typing import Collection

from ..errors import InputRejected

MAX_TEXT_IN = 4096
"""Largest payload accepted on ``text/in``."""


def read_text_in(payload: bytes, area_ids: Collection[str]) -> tuple[str, str | None]:
    """``(text, area)`` of one ``text/in`` payload. Raises :class:`InputRejected` naming what
    is wrong, ``ValueError`` (or ``RecursionError``) for bytes that are not UTF-8 text or
    valid JSON."""
    if len(payload) > MAX_TEXT_IN or b"\x00" in payload:
        raise InputRejected(f"text/in payload of {len(payload)} bytes is binary or longer than "
                            f"{MAX_TEXT_IN}; send one UTF-8 command")
    text = payload.decode("utf-8")
    area = None
    if text.lstrip().startswith("{"):
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            raise InputRejected('JSON on text/in needs {"text": "...", "area": "<area id>"}')
        text, area = doc["text"], doc.get("area")
        if area is not None and (not isinstance(area, str) or area not in area_ids):
            raise InputRejected(f"unknown area {str(area)[:80]!r} in text/in message; "
                                "give one area id of the config as a string")
    text.encode("utf-8")  # a lone surrogate escape ("\\ud800") is no text
    return text, area
