"""Asking before acting (pure; time is a parameter): actions on ``confirm: true`` devices
(locks, garage doors, a vehicle's doors and windows) wait for a "yes" within a window; "no",
a cancel or anything else said instead drops them, and so does the window running out.
The other gate, at most one command per ``rate_limit`` seconds, is :mod:`.rate_limit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..messages import Action
from ..normalize import tokens

YES = frozenset({"yes", "yeah", "yep", "yup", "sure", "confirm", "confirmed", "do it", "go ahead",
                 "ok", "okay", "correct", "affirmative", "yes do it", "yes go ahead", "yes confirm",
                 "yes i am sure", "i am sure", "yes sure", "yes yes", "absolutely", "of course"})
NO = frozenset({"no", "nope", "nah", "cancel", "do not", "dont", "stop", "abort", "never mind",
                "nevermind", "no thanks", "no thank you", "no do not", "no cancel", "negative",
                "forget it"})


REACTION = 0.3
"""Seconds: nobody hears (or reads) a question and answers it faster, so a "yes" that
arrives sooner after the question was sent along with the command, not in answer to it."""


def answer_word(text: str) -> str | None:
    """``"yes"`` / ``"no"`` when the whole utterance is a yes or a no, else None. A word
    said twice counts once: "yes, yes" is a yes (and Whisper sometimes writes one "yes"
    as "Yes. Yes. Yes.")."""
    words = tokens(text)
    phrase = " ".join(w for i, w in enumerate(words) if i == 0 or w != words[i - 1])
    if phrase in YES:
        return "yes"
    if phrase in NO:
        return "no"
    return None


@dataclass(slots=True)
class Pending:
    uid: str
    text: str
    intent: str
    actions: list[Action]
    deadline: float
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    asked_at: float = 0.0
    """Only a "yes" said after this (monotonic) time answers the question."""
    area: str | None = None
    """Where the question came from: a "yes" from another room does not answer it."""

    @property
    def devices(self) -> list[str]:
        return list(dict.fromkeys(a.device for a in self.actions))


class Confirmations:
    """At most one question open at a time: a new one replaces (drops) the old one."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.pending: Pending | None = None

    def ask(self, pending: Pending) -> Pending | None:
        """Open a question; returns the one it replaced (to report as dropped)."""
        old, self.pending = self.pending, pending
        return old

    def take(self, now: float) -> tuple[Pending | None, Pending | None]:
        """``(open, expired)``: the open question (now closed), or the one that timed out."""
        pending, self.pending = self.pending, None
        if pending is None:
            return None, None
        if now > pending.deadline:
            return None, pending
        return pending, None

    def saying(self, uid: str, now: float, longest: float = 30.0) -> None:
        """The question ``uid`` is waiting to be said out loud: the window does not run
        meanwhile (for at most ``longest`` seconds, should the voice never finish)."""
        if self.pending is not None and self.pending.uid == uid:
            self.pending.deadline = max(self.pending.deadline, now + longest + self.window)

    def spoken(self, uid: str, now: float) -> bool:
        """The question ``uid`` has just been said out loud: the window counts from now, so
        a long question (or a slow speaker) leaves the person the whole window to answer."""
        if self.pending is None or self.pending.uid != uid:
            return False
        self.pending.deadline = now + self.window
        return True

    def expire(self, now: float) -> Pending | None:
        if self.pending is not None and now > self.pending.deadline:
            pending, self.pending = self.pending, None
            return pending
        return None
