"""Actions on their way to the broker: a bounded queue with a time-to-live.

Pure (time is a parameter). An action is *queued* until handed to the client, *in
flight* until the broker acknowledges it, then *delivered*. Nothing is handed over past
its deadline (``received + ttl``): a "turn on the light" from five minutes ago never
fires. When the connection drops, in-flight actions go back to the queue in their
original order and are sent again only if still inside their TTL.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from ..messages import Action


@dataclass(slots=True)
class Entry:
    seq: int
    action: Action
    uid: str
    """The utterance this action belongs to."""
    received: float
    """Monotonic time the utterance (or its confirming "yes") arrived."""
    deadline: float
    token: object = None
    """Opaque: names the command for state reverts."""
    mid: int | None = None
    sent_at: float | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Outbox:
    def __init__(self, capacity: int = 100, max_inflight: int = 50) -> None:
        self.capacity = capacity
        self.max_inflight = max_inflight
        self.queued: deque[Entry] = deque()
        self.inflight: dict[int, Entry] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self.queued) + len(self.inflight)

    @property
    def idle(self) -> bool:
        return not self.queued and not self.inflight

    def put(self, action: Action, uid: str, now: float, ttl: float, token: object = None,
            received: float | None = None, once: bool = False) -> list[Entry]:
        """Queue an action; returns the entries pushed out because the queue was full.
        ``once``: applying it twice differs from once (a toggle, a relative step), so it
        is never sent again after a send whose acknowledgement was lost."""
        start = now if received is None else received
        self._seq += 1
        self.queued.append(Entry(self._seq, action, uid, start, start + ttl, token, extra={"once": once}))
        dropped = []
        while len(self) > self.capacity and self.queued:
            dropped.append(self.queued.popleft())  # the oldest is the one closest to going stale
        return dropped

    def expire(self, now: float) -> list[Entry]:
        """Remove and return queued actions past their deadline."""
        stale = [e for e in self.queued if now > e.deadline]
        if stale:
            self.queued = deque(e for e in self.queued if now <= e.deadline)
        return stale

    def take(self, now: float, held: Callable[[Entry], bool] = lambda e: False) -> Entry | None:
        """The oldest action to hand to the client (call :meth:`expire` first), or None.
        ``held(entry)``: that action must wait (its device's rate limit); later actions for
        other devices go ahead of it, actions for the same device stay behind it."""
        if not self.queued or len(self.inflight) >= self.max_inflight:
            return None
        waiting: set[str] = set()
        for i, entry in enumerate(self.queued):
            if now > entry.deadline:
                return None
            if entry.action.device in waiting:
                continue
            if held(entry):
                waiting.add(entry.action.device)
                continue
            del self.queued[i]
            return entry
        return None

    def sent(self, entry: Entry, mid: int, now: float) -> None:
        entry.mid, entry.sent_at = mid, now
        entry.attempts += 1
        self.inflight[mid] = entry

    def unsent(self, entry: Entry) -> None:
        """The client refused it (not connected after all): back to the front of the queue."""
        self.queued.appendleft(entry)

    def acked(self, mid: int) -> Entry | None:
        return self.inflight.pop(mid, None)

    def lost(self) -> list[Entry]:
        """The connection dropped: unacknowledged actions are queued again, oldest first,
        except those that must not run twice (returned: the broker may have them already)."""
        back = sorted(self.inflight.values(), key=lambda e: e.seq)
        self.inflight.clear()
        for entry in back:
            entry.mid = None
        unsure = [e for e in back if e.extra.get("once")]
        back = [e for e in back if not e.extra.get("once")]
        self.queued = deque(sorted([*back, *self.queued], key=lambda e: e.seq))
        return unsure

    def withdraw(self) -> list[Entry]:
        """Remove and return every in-flight action (oldest first), not to be sent again."""
        out = sorted(self.inflight.values(), key=lambda e: e.seq)
        self.inflight.clear()
        return out

    def cancel(self) -> list[Entry]:
        """Drop every queued (not yet sent) action."""
        out = list(self.queued)
        self.queued.clear()
        return out

    def next_deadline(self) -> float | None:
        return min((e.deadline for e in self.queued), default=None)
