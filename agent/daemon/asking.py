"""Asking before acting: what waits for a "yes", and what the next utterance does to it.

Actions on ``confirm: true`` devices (and on any topic such a device owns, so a custom intent
publishing to a lock's topic waits as well) are held and the agent asks once per utterance.
The next utterance answers: "yes" sends them, "no" drops them and cancels what is still
waiting to be sent, anything else drops them and is read as a command. A "yes" said with
the command (within :data:`~agent.acting.confirm.REACTION`), before the question or in
another room is not an answer; the window running out drops them too. Every drop is a
``confirm`` event and an ``error`` event naming why.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Callable

from ..acting.confirm import REACTION, Confirmations, Pending, answer_word
from ..acting.dispatch import Dispatcher
from ..config import Device
from ..events import EventSink
from ..messages import Action


def held_back(actions: list[Action], devices: dict[str, Device],
              confirm_topics: dict[str, str]) -> tuple[list[Action], list[Action]]:
    """``(go, hold)``: the actions that may leave now and those that wait for a "yes".
    ``confirm_topics`` (topic -> device id) names the topics of ``confirm: true`` devices."""
    actions = [a if a.device in devices or a.topic not in confirm_topics
               else dataclasses.replace(a, device=confirm_topics[a.topic]) for a in actions]
    hold = [a for a in actions if (a.device in devices and devices[a.device].confirm) or a.topic in confirm_topics]
    return [a for a in actions if a not in hold], hold


class Asking:
    """The open question (at most one) and its timer, on the daemon's loop."""

    def __init__(self, confirm: Confirmations, events: EventSink, dispatch: Dispatcher,
                 clock: Callable[[], float]) -> None:
        self.confirm = confirm
        self.events = events
        self.dispatch = dispatch
        self.clock = clock
        self.loop: asyncio.AbstractEventLoop | None = None
        """Set when the daemon runs; the deadline timer needs it."""
        self._timer: asyncio.TimerHandle | None = None

    def answer(self, uid: str, text: str, area: str | None, now: float) -> bool:
        """Read an utterance said at ``now`` in ``area`` as the answer to the open question.
        True when it was only that (handled: nothing more to read in it)."""
        expired = self.confirm.expire(now)
        if expired is not None:
            self.dropped(expired, "confirm-timeout", "no \"yes\" within the confirmation window")
        word = answer_word(text)
        asked = self.confirm.pending
        if asked is None:
            if word == "yes":
                self.events.emit("not_understood", uid, text=text, reason="nothing is waiting for a \"yes\"")
                return True
            return False
        if word == "yes" and (now < asked.asked_at + REACTION or area != asked.area):
            why = ("that \"yes\" was said before the question" if now < asked.asked_at
                   else f"that \"yes\" came less than {REACTION:g}s after the question: it was sent "
                        "with the command, not in answer to it" if now < asked.asked_at + REACTION
                   else "the question was asked in another room; answer it there")
            self.events.emit("not_understood", uid, text=text, reason=why)
            return True
        pending, _ = self.confirm.take(now)
        if word == "yes":
            self.events.emit("confirm", uid, result="confirmed", asked=pending.uid, devices=pending.devices)
            self.dispatch.queue(pending.uid, pending.intent, pending.actions, pending.effects, now)
            return True
        if word == "no":
            self.dropped(pending, "confirm-cancelled", "cancelled")
            self.dispatch.cancel()  # "never mind" also stops what is still waiting to be sent
            return True
        self.dropped(pending, "confirm-superseded", "something else was said instead of \"yes\"")
        return False

    def ask(self, uid: str, text: str, intents: list[str], held: list[Action],
            effects: dict[str, dict[str, Any]], area: str | None, names: dict[str, str]) -> None:
        """Hold ``held`` (one utterance's actions that need a "yes") and ask about them once;
        ``names``: device id -> its name, for the question."""
        name = "+".join(dict.fromkeys(intents))
        now = self.clock()
        pending = Pending(uid, text, name, held, now + self.confirm.window, effects, asked_at=now, area=area)
        replaced = self.confirm.ask(pending)
        if replaced is not None:
            self.dropped(replaced, "confirm-superseded", "a newer question replaced it")
        self.events.emit("confirm", uid, result="asking", devices=pending.devices,
                         names=[names[d] for d in pending.devices], intent=name, window=self.confirm.window)
        self.arm()

    def arm(self) -> None:
        """Time the open question anew (asked, or its deadline moved while it was spoken)."""
        if self._timer is not None:
            self._timer.cancel()
        pending = self.confirm.pending
        if pending is not None and self.loop is not None:
            self._timer = self.loop.call_later(max(0.0, pending.deadline - self.clock()) + 0.01, self._timeout)

    def _timeout(self) -> None:
        expired = self.confirm.expire(self.clock())
        if expired is not None:
            self.dropped(expired, "confirm-timeout", "no \"yes\" within the confirmation window")
        else:
            self.arm()

    def close(self) -> None:
        """The agent is stopping: the open question is dropped."""
        if self.confirm.pending is not None:
            pending, self.confirm.pending = self.confirm.pending, None
            self.dropped(pending, "confirm-cancelled", "the agent is stopping")

    def dropped(self, pending: Pending, code: str, why: str) -> None:
        self.dispatch.dropped += len(pending.actions)
        self.events.emit("confirm", pending.uid, result=code.removeprefix("confirm-"), devices=pending.devices)
        self.events.emit("error", pending.uid, code=code, devices=pending.devices, intent=pending.intent,
                         message=f"{pending.intent.replace('_', ' ')} not done: {why}")
