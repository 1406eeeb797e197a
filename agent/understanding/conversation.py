"""What the agent remembers of a conversation: the last command of each site, for a while.

Pure (no I/O; time is a parameter). A *site* is whoever speaks to the agent: the hub's own
microphone, or a satellite (known by its area). A follow-up ("and the kitchen too", "turn
it off", "undo that") is read against the last turn of *its own* site only, and only while
that turn is younger than the window (``understanding.followup_window``, 30 s by default):
after that, or from another site, there is nothing to refer to and the follow-up is not
understood rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable

from ..messages import Intent

DEFAULT_WINDOW = 30.0
"""Seconds a command can be referred back to."""


@dataclass(frozen=True, slots=True)
class Change:
    """What one device was before a turn changed it."""

    before: dict[str, Any]
    """The state the agent knew just before (reported, or assumed from its own commands)."""
    keys: tuple[str, ...]
    """The state keys the turn's commands set (``state``, ``brightness``, ``position``...)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """The commands one utterance carried out, in order, and what they changed."""

    commands: tuple[Intent, ...]
    at: float
    """When it was said (monotonic seconds)."""
    changes: dict[str, Change] = field(default_factory=dict)
    asked: tuple[Intent, ...] = ()
    """The commands as understood, before planning chose what was left to the agent ("a
    different colour"): "again" asks for that again, not for the colour it became."""

    @property
    def last(self) -> Intent:
        return self.commands[-1]

    @property
    def targets(self) -> tuple[str, ...]:
        """The devices "it" / "them" mean: the last command's (all of them when several
        commands of the turn did the same thing)."""
        last = self.last
        out = [t for c in self.commands if c.name == last.name for t in c.targets]
        return tuple(dict.fromkeys(out))


class Memory:
    """The last turn per site, forgotten after ``window`` seconds."""

    def __init__(self, window: float = DEFAULT_WINDOW) -> None:
        if window < 0:
            raise ValueError("a follow-up window cannot be negative")
        self.window = window
        self._turns: dict[Hashable, Turn] = {}

    def last(self, site: Hashable, now: float) -> Turn | None:
        """The site's last turn if it is still within the window (said no later than ``now``)."""
        turn = self._turns.get(site)
        if turn is None or self.window <= 0:
            return None
        if not 0.0 <= now - turn.at <= self.window:
            del self._turns[site]
            return None
        return turn

    def remember(self, site: Hashable, turn: Turn) -> None:
        """``turn`` becomes what the site's next follow-up refers to (a turn with no
        commands forgets the site's conversation)."""
        if turn.commands:
            self._turns[site] = turn
        else:
            self._turns.pop(site, None)

    def keep(self, old: "Memory", device_ids: frozenset[str] | set[str]) -> None:
        """Take over ``old``'s conversations (config reload), except turns about devices that
        no longer exist."""
        for site, turn in old._turns.items():
            ids = {t for c in turn.commands for t in c.targets}
            if ids <= set(device_ids):
                self._turns[site] = turn

    def forget(self, site: Hashable | None = None) -> None:
        """Drop one site's conversation, or every site's (config reload)."""
        if site is None:
            self._turns.clear()
        else:
            self._turns.pop(site, None)
