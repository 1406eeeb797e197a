"""From planned actions to acknowledged publishes: rate limits, the TTL-bounded outbox and
the sender task. Every drop (stale, queue full, refused, rate-limited, cancelled) becomes an
``error`` event and reverts the state the action had assumed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ..config import Config, Device
from ..events import EventSink
from ..latency import Timing, wall_clock
from ..messages import Action
from .outbox import Entry, Outbox
from .planner import ActionPlanner
from .rate_limit import RateLimiter
from .state import StateStore

if TYPE_CHECKING:
    from ..mqtt import MqttClient

ACK_GRACE = 3.0
"""Seconds past its deadline an unacknowledged action may hold up a shutdown."""


ONCE = frozenset({"toggle", "brightness_up", "brightness_down", "volume_up", "volume_down",
                  "temperature_up", "temperature_down", "media_next", "media_previous"})
"""Intents whose actions differ when applied twice: never re-sent after a lost acknowledgement."""


class Current(Protocol):
    """What the dispatcher reads of the running config (the daemon's :class:`agent.engine.Engine`)."""

    config: Config
    devices: dict[str, Device]
    planner: ActionPlanner
    """Its ``allowed_topics``: the only topics an action may go to."""
    state: StateStore
    """Assumes each queued action's effect, reverts it when the action is dropped."""


class Dispatcher:
    def __init__(self, engine: Current | None, events: EventSink, clock: Callable[[], float],
                 capacity: int) -> None:
        self.engine = engine
        """Swapped by the daemon on reload (devices, TTLs, allowed topics, state)."""
        self.events = events
        self.clock = clock
        self.outbox = Outbox(capacity)
        self.rate = RateLimiter()
        self.mqtt: "MqttClient | None" = None
        self.kick = asyncio.Event()
        self.delivered = 0
        self.dropped = 0
        self.last_sent: dict[str, tuple[float, str]] = {}
        """device -> (when its last action was handed to the broker, the utterance's id)"""
        self.timings: dict[str, Timing] = {}
        """utterance id -> its stages' times, completed by its first acknowledged action"""
        self.wall = wall_clock(clock)

    def follow(self, uid: str, timing: Timing) -> None:
        """Date the acknowledgement of ``uid``'s first action into ``timing``."""
        self.timings[uid] = timing
        while len(self.timings) > 256:  # utterances whose actions were all dropped
            del self.timings[next(iter(self.timings))]

    # ------------------------------------------------------------------ in
    def queue(self, uid: str, intent: str, actions: list[Action], effects: dict[str, dict[str, Any]],
              received: float) -> None:
        """Queue one utterance's actions (after rate limits and the topic allow-list)."""
        engine, now = self.engine, self.clock()
        assert engine is not None
        mqtt_cfg = engine.config.mqtt
        allowed: set[str] = set()
        for device in dict.fromkeys(a.device for a in actions):
            d = engine.devices.get(device)
            if d is not None and not self.rate.allow(device, d.rate_limit, now):
                self.dropped += 1
                self.events.emit("error", uid, code="rate-limited", device=device,
                                 message=f"{d.name} acts at most once every {d.rate_limit:g}s")
                continue
            allowed.add(device)
        for action in actions:
            if action.device not in allowed:
                continue
            if action.topic not in engine.planner.allowed_topics:
                self.dropped += 1
                self.events.emit("error", uid, code="topic-not-allowed", device=action.device,
                                 message=f"refused to publish to {action.topic!r}: not a topic from the config")
                continue
            d = engine.devices.get(action.device)
            ttl = (d.ttl if d is not None else None) or mqtt_cfg.intent_ttl.get(intent) or mqtt_cfg.ttl
            token = (uid, action.device)
            if action.device in effects:
                engine.state.assume(action.device, effects[action.device], token, now)
            for old in self.outbox.put(action, uid, now, ttl, token, received=min(received, now),
                                       once=intent in ONCE):
                self.drop(old, "queue-full", f"more than {self.outbox.capacity} actions waiting for the broker")
        self.kick.set()

    def cancel(self) -> None:
        for entry in self.outbox.cancel():
            self.unsent(entry, "cancelled", "cancelled before it was sent", "it was cancelled")

    # ------------------------------------------------------------------ broker events
    def acked(self, mid: int, error: str | None) -> None:
        entry = self.outbox.acked(mid)
        if entry is None:
            return
        self.kick.set()
        a = entry.action
        if error:
            self.drop(entry, "publish-refused", f"the broker refused the publish to {a.topic}: {error}")
            return
        self.delivered += 1
        timing = self.timings.pop(entry.uid, None)
        if timing is not None:
            timing.acked = self.clock()
        now = self.clock()
        late = now > entry.deadline  # the broker took it only after its TTL: it may have acted late
        self.events.emit("action", entry.uid, device=a.device, topic=a.topic, payload=a.payload, qos=a.qos,
                         retain=a.retain, attempts=entry.attempts,
                         latency_ms=round((now - entry.received) * 1000, 1),
                         **({"late": True} if late else {}),
                         **({"timing": timing.as_json(self.wall)} if timing is not None else {}))
        if late:
            self.events.emit("error", entry.uid, code="action-late", device=a.device, topic=a.topic,
                             payload=a.payload, message=f"the broker acknowledged it {now - entry.deadline:.1f}s "
                             "after its time-to-live: it may have reached the device late")

    def lost(self) -> None:
        for entry in self.outbox.lost():
            self.drop(entry, "action-unconfirmed",
                      "sent, but the connection dropped before the broker confirmed it; not sent again "
                      "because doing it twice would not be what was asked")

    # ------------------------------------------------------------------ out
    def _ack_limit(self, entry: Entry) -> float:
        """Seconds the broker may take to acknowledge ``entry`` before the link counts as
        stalled: the configured ``ack_timeout``, and at most half the action's TTL."""
        cfg = self.engine.config.mqtt.ack_timeout if self.engine is not None else 3.0
        return min(cfg, (entry.deadline - entry.received) / 2)

    def _next_stall_check(self) -> float | None:
        return min((e.sent_at + self._ack_limit(e) for e in self.outbox.inflight.values()
                    if e.sent_at is not None), default=None)

    def check_stall(self) -> bool:
        """A broker that keeps the connection open but stops acknowledging (frozen,
        overloaded) is cut off well inside the TTL: nothing more is handed to it, and every
        action it holds unacknowledged is reported (it may still be carried out if the
        broker wakes up, so it is not sent again). True when the link was cut."""
        now = self.clock()
        late = [e for e in self.outbox.inflight.values()
                if e.sent_at is not None and now > e.sent_at + self._ack_limit(e)]
        if not late or self.mqtt is None or not self.mqtt.connected:
            return False
        if not self.mqtt.silent(min(self._ack_limit(e) for e in late)):
            return False  # the broker answers (or its answer waits unread): the agent is slow, not it
        waited = max(now - e.sent_at for e in late)
        for entry in self.outbox.withdraw():
            self.drop(entry, "action-unconfirmed",
                      f"the broker stopped acknowledging (nothing for {waited:.1f}s); the connection was "
                      "cut and this action is not sent again, but a broker that was only frozen may still "
                      "carry it out when it resumes, after its time-to-live", may_fire_late=True)
        self.events.emit("error", "", code="broker-stalled",
                         message=f"the broker did not acknowledge for {waited:.1f}s; reconnecting")
        self.mqtt.abort(f"no acknowledgement for {waited:.1f}s")
        return True

    async def run(self) -> None:
        """The sender: hands fresh actions to the client in order, wakes for deadlines."""
        while True:
            self.kick.clear()
            self.expire()
            self.check_stall()
            while self.mqtt is not None and self.mqtt.connected:
                entry = self.outbox.take(self.clock(), self._held)
                if entry is None:
                    break
                a = entry.action
                try:
                    mid = self.mqtt.publish(a.topic, a.payload, a.qos, a.retain,
                                            expiry=entry.deadline - self.clock())
                except Exception as exc:  # noqa: BLE001 - paho refused this message: report it, keep sending
                    self.drop(entry, "publish-failed", f"the MQTT client refused the publish to "
                                                       f"{a.topic[:80]}: {type(exc).__name__}: {str(exc)[:200]}")
                    continue
                if mid is None:
                    self.outbox.unsent(entry)
                    break
                now = self.clock()
                self.outbox.sent(entry, mid, now)
                self.last_sent[a.device] = (now, entry.uid)
            wake = [t for t in (self.outbox.next_deadline(), self._next_release(), self._next_stall_check())
                    if t is not None]
            timeout = max(0.0, min(wake) - self.clock()) + 0.001 if wake else None
            try:
                await asyncio.wait_for(self.kick.wait(), timeout)
            except asyncio.TimeoutError:
                pass

    def _limit(self, device: str) -> float:
        d = self.engine.devices.get(device) if self.engine is not None else None
        return d.rate_limit if d is not None else 0.0

    def _held(self, entry: Entry) -> bool:
        """A device acts at most once per its rate_limit, also when commands that were
        understood far enough apart reach the broker together (queued while it was away);
        actions of one utterance (several topics of one device) go together."""
        last = self.last_sent.get(entry.action.device)
        if last is None or last[1] == entry.uid:
            return False
        return self.clock() - last[0] < self._limit(entry.action.device)

    def _next_release(self) -> float | None:
        times = [self.last_sent[e.action.device][0] + self._limit(e.action.device)
                 for e in self.outbox.queued if self._held(e)]
        return min(times, default=None)

    async def drain(self, also: Callable[[], bool] = lambda: False, until: float | None = None) -> None:
        """Wait until every action is delivered or has gone stale (and while ``also()``).
        A broker that takes an action but never acknowledges it gets :data:`ACK_GRACE`
        seconds past the action's deadline. ``until`` (clock time): past it, whatever is
        still waiting is reported as dropped (the agent is stopping)."""
        while not self.outbox.idle or also():
            if until is not None and self.clock() > until:
                for entry in self.outbox.cancel():
                    self.unsent(entry, "stopping", "not sent: the agent was stopping and its stop time ran out",
                                "the agent stopped")
                for entry in self.outbox.withdraw():
                    self.drop(entry, "action-unconfirmed", "sent, but the agent stopped before the broker "
                                                           "confirmed it")
                return
            self.kick.set()
            await asyncio.sleep(0.02)
            self.expire()
            now = self.clock()
            for mid, entry in list(self.outbox.inflight.items()):
                if now > entry.deadline + ACK_GRACE:
                    self.outbox.acked(mid)
                    self.drop(entry, "action-unconfirmed", "sent, but the broker never acknowledged it")

    def expire(self) -> None:
        for entry in self.outbox.expire(self.clock()):
            ttl = f"{entry.deadline - entry.received:g}s time-to-live"
            why = ("the broker was unreachable for longer than" if self.mqtt is None or not self.mqtt.connected
                   else "the broker (or the agent, short of CPU) did not take it within")
            self.unsent(entry, "action-stale", f"not sent: {why} the {ttl}", f"its {ttl} ran out")

    def unsent(self, entry: Entry, code: str, why: str, instead: str) -> None:
        """Drop a queued action. One that was sent before, to a connection that dropped
        before the broker acknowledged it, is ``action-unconfirmed``, not "not sent": the
        broker may have taken it (``instead``: why it is not sent again)."""
        if entry.attempts:
            self.drop(entry, "action-unconfirmed", "sent, but the connection dropped before the broker "
                      f"confirmed it, and {instead} before it could be sent again: it may or may not "
                      "have reached the device")
        else:
            self.drop(entry, code, why)

    def drop(self, entry: Entry, code: str, why: str, **extra: Any) -> None:
        self.dropped += 1
        self.rate.release(entry.action.device)
        if self.engine is not None:
            self.engine.state.revert(entry.action.device, entry.token)
        a = entry.action
        self.events.emit("error", entry.uid, code=code, device=a.device, topic=a.topic, payload=a.payload,
                         message=why, **extra)
