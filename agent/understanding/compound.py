"""Where one utterance may hold several commands: the joints between its parts.

Pure. "turn off the tv and dim the lights", "open the garage, then turn on the porch
light": commas (typed text), "and", "then", "also", "plus", "after that" mark where a
command may end. Whether it does is for the reader to decide (a device may be called
"salt and pepper lamp"); this module only finds the joints and joins pieces back.
"""

from __future__ import annotations

import re

from ..normalize import tokens

JOINTS: tuple[tuple[str, ...], ...] = (
    ("and", "after", "that"), ("and", "then"), ("and", "also"), ("and", "now"), ("after", "that"),
    ("as", "well", "as"), ("and",), ("then",), ("also",), ("plus",),
)
"""Word sequences that join two commands, longest first."""

_PUNCT = re.compile(r"[,;]+")

Piece = tuple[str, ...]


def pieces(text: str, names: tuple[tuple[str, ...], ...] = ()) -> tuple[list[Piece], list[Piece]]:
    """Split an utterance at every joint: ``(pieces, joints)`` with ``len(joints) ==
    len(pieces) - 1``; a comma is a joint of no words. Empty pieces are dropped."""
    out: list[Piece] = []
    joints: list[Piece] = []
    pending: Piece | None = None
    for chunk in _PUNCT.split(text):
        toks = tokens(chunk, names=names) if chunk.strip() else ()
        start = 0
        i = 0
        while i <= len(toks):
            joint = _joint_at(toks, i) if i < len(toks) else None
            if joint is None and i < len(toks):
                i += 1
                continue
            piece = toks[start:i]
            if piece:
                if out and pending is not None:
                    joints.append(pending)
                out.append(piece)
                pending = None
            if joint is None:
                break
            pending = joint if pending is None else pending + joint
            i += len(joint)
            start = i
        pending = () if pending is None and out else pending
    return out, joints


def _joint_at(toks: Piece, i: int) -> Piece | None:
    for joint in JOINTS:
        if toks[i:i + len(joint)] == joint:
            return joint
    return None


def join(parts: list[Piece], joints: list[Piece], start: int, end: int) -> Piece:
    """Pieces ``start..end-1`` with the joint words between them, as said."""
    out: list[str] = list(parts[start])
    for k in range(start + 1, end):
        out.extend(joints[k - 1])
        out.extend(parts[k])
    return tuple(out)
