"""The daemon's parts and their supervision.

The parts are three tasks on the loop (``outbox``: the sender, ``inputs``: the utterance
consumer, ``supervisor``: this watch) and the MQTT network thread. One that ends on its own
is restarted and reported (``part-restarted``); past :data:`RESTART_BUDGET` the part counts
as broken (``part-failed``) and the daemon stops with status 70 (EX_SOFTWARE), so that
systemd starts a fresh process.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Coroutine

from ..events import EventSink, new_id
from ..mqtt import MqttClient

log = logging.getLogger(__name__)

PARTS = ("outbox", "inputs", "supervisor")
"""The daemon's tasks; with the MQTT network thread, what :meth:`Parts.revive` restarts."""
SUPERVISE_EVERY = 1.0
"""Seconds between two looks at the MQTT thread and the daemon's tasks."""
RESTART_BUDGET = (5, 300.0)
"""At most this many restarts of one part within this many seconds."""


class Parts:
    """The running tasks, when each was restarted, and why the daemon is broken (if it is)."""

    def __init__(self, events: EventSink, clock: Callable[[], float]) -> None:
        self.events = events
        self.clock = clock
        self.makers: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {}
        """part name -> what starts it (set by the daemon)."""
        self.tasks: dict[str, asyncio.Task] = {}
        self.mqtt: MqttClient | None = None
        self.broken = ""
        """Why the daemon gave up on a part (empty: it has not)."""
        self._restarts: dict[str, list[float]] = {}

    def start(self, name: str) -> None:
        self.tasks[name] = asyncio.get_running_loop().create_task(self.makers[name](), name=name)

    def dead(self, stopping: bool) -> list[tuple[str, str]]:
        """(part, why) for every part that ended on its own (``inputs`` ends at the end of
        input, which is no failure once the daemon is ``stopping``)."""
        dead = []
        if self.mqtt is not None and not self.mqtt.closed and not self.mqtt.alive:
            dead.append(("mqtt", f"the MQTT network thread ended: {self.mqtt.died!r}"))
        for name, task in self.tasks.items():
            if task.done():
                why = "it returned" if task.cancelled() or task.exception() is None else repr(task.exception())
                if name != "inputs" or not stopping:
                    dead.append((name, f"the {name} task ended: {why}"))
        return dead

    async def watch(self, stop: asyncio.Event, revive: Callable[[], None]) -> None:
        """The supervisor task: ``revive()`` every :data:`SUPERVISE_EVERY` seconds until ``stop``."""
        while not stop.is_set():
            await asyncio.sleep(SUPERVISE_EVERY)
            revive()

    def revive(self, stopping: bool) -> bool:
        """Restart every part that died, each reported as an ``error`` event. False (nothing
        restarted, :attr:`broken` set) when a part is past its restart budget."""
        now = self.clock()
        for name, why in self.dead(stopping):
            recent = [t for t in self._restarts.get(name, []) if now - t < RESTART_BUDGET[1]]
            if len(recent) >= RESTART_BUDGET[0]:
                self.broken = f"{why}; restarted {len(recent)} times in {RESTART_BUDGET[1]:g}s, giving up"
                log.error("%s: stopping so that a fresh process takes over", self.broken)
                self.events.emit("error", new_id(), code="part-failed", part=name, message=self.broken)
                return False
            self._restarts[name] = [*recent, now]
            log.error("%s; restarting it", why)
            self.events.emit("error", new_id(), code="part-restarted", part=name, message=f"{why}; restarted it")
            if name == "mqtt":
                self.mqtt.start()
            else:
                self.start(name)
        return True
