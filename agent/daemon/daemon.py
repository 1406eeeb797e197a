"""The long-running agent: text in, understanding, safety gates, actions out over MQTT.

One asyncio loop owns everything. Inputs (stdin lines, ``<prefix>/<site>/text/in``,
transcripts from the audio stage) all go through one queue (:meth:`Daemon.submit`) and
are handled one utterance at a time, so actions leave in the order they were said. The
understander runs on a single-thread executor; paho runs in its own thread
(:mod:`agent.mqtt`); actions wait in the TTL-bounded outbox of :mod:`agent.acting.dispatch`.
Around it in this package: what waits for a "yes" (:mod:`.asking`), the parts and their
restarts (:mod:`.parts`), commands over MQTT (:mod:`.text_in`) and the JSON of plans
(:mod:`.report`).

Hooks for the service layer (:class:`Hooks`): ``ready`` once the understander is built
*and* the broker connected, ``status`` on every change, ``stopping`` on shutdown;
:meth:`Daemon.reload` builds a new understander and planner first and swaps only on
success; :meth:`Daemon.health` says why the agent is unhealthy (for the watchdog).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from paho.mqtt.client import topic_matches_sub

from ..acting.confirm import Confirmations
from ..acting.dispatch import Dispatcher
from ..acting.planner import Plan
from ..config import Config
from ..engine import Engine
from ..errors import AgentError, InputRejected
from ..events import OFFLINE, ONLINE, EventSink, Topics, new_id
from ..latency import Timing, wall_clock
from ..messages import Transcript
from ..mqtt import MqttClient
from ..session import plan_in_order
from ..understanding.dialogue import Reading
from .asking import Asking, held_back
from .parts import PARTS, Parts
from .report import command_json, jsonable
from .text_in import read_text_in

log = logging.getLogger(__name__)

STOP_BUDGET = 20.0
"""Seconds from SIGTERM to exit: what was accepted is handled and delivered within it, and
whatever is left is reported. systemd's ``TimeoutStopSec=`` (30) leaves room above it."""
STOP_RESERVE = 5.0
"""Of the stop budget, the seconds kept for delivering actions after the last utterance."""


def _noop(*_: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Hooks:
    """Called on the event loop; the service layer turns them into sd_notify messages."""

    ready: Callable[[str], None] = _noop
    status: Callable[[str], None] = _noop
    stopping: Callable[[str], None] = _noop


@dataclass(frozen=True, slots=True)
class Utterance:
    transcript: Transcript
    area: str | None = None
    received: float = 0.0
    """Monotonic time it arrived; the TTL of its actions counts from here."""
    uid: str = ""
    """The id its events carry; empty: a new one (audio passes the id of its ``heard`` event)."""


_EOF = object()


class Daemon:
    def __init__(self, config: Config, *, hooks: Hooks | None = None,
                 echo: Callable[[dict[str, Any]], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.hooks = hooks or Hooks()
        self.clock = clock
        self.topics = Topics(config.mqtt.prefix, config.site)
        self.events = EventSink(self.topics, echo=echo, qos=config.mqtt.qos)
        self.dispatch = Dispatcher(None, self.events, clock, config.mqtt.queue)
        self.wall = wall_clock(clock)
        self.confirm = Confirmations(config.mqtt.confirm_window)
        self.asking = Asking(self.confirm, self.events, self.dispatch, clock)
        self.parts = Parts(self.events, clock)
        self.engine: Engine | None = None
        self.mqtt: MqttClient | None = None
        self.inputs: asyncio.Queue | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()
        self.is_ready = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="understand")
        self._stop: asyncio.Event | None = None
        self._wants_input: asyncio.Event | None = None
        """Set while the consumer waits for the next utterance (batch input is taken then)."""
        self._eof_waiter: asyncio.Future | None = None
        self._busy = False
        self._down_reason = ""
        self._closing = False
        self.exit_status = 0
        self.handlers: dict[str, Callable[[bytes, bool], None]] = {}
        """Extra topics to subscribe to and their handlers (push-to-talk: agent/audio/hearing.py)."""
        self.watchers: dict[str, Callable[[str, bytes, bool], None]] = {}
        """Subscriptions with wildcards and their handlers, given the topic (agent/discovery/live.py)."""
        self.on_connect: list[Callable[[], None]] = []
        """Called on every (re)connection (agent/discovery/announce.py publishes its configs)."""
        self.config_filter: Callable[[Config], Config] = lambda c: c
        """Applied to every config :meth:`reload` is given (live discovery adds its devices)."""
        self.talk: Any = None
        """The reply stage (agent/voice/talkback.py) when attached: told of each new utterance
        (barge-in) and each plan (what to say); everything else it reads from the events."""

    # ------------------------------------------------------------------ inputs
    def submit(self, item: Transcript | str, area: str | None = None, uid: str = "") -> None:
        """Queue an utterance (on the loop thread). Audio and other sources call this; ``uid``
        makes its events share the id of events already sent about it (``heard``)."""
        if isinstance(item, str):
            item = Transcript(item, source="text")
        assert self.inputs is not None, "the daemon is not running"
        if self._closing:
            self._refuse_stopping(item)
            return
        try:
            self.inputs.put_nowait(Utterance(item, area, self.clock(), uid))
        except asyncio.QueueFull:
            self.events.emit("error", new_id(), code="input-rejected", source=item.source,
                             message=f"{self.inputs.maxsize} utterances are already waiting; dropped")

    def submit_threadsafe(self, item: Transcript | str, area: str | None = None) -> None:
        """Hand over the next line of a batch from another thread (the ``run --text`` stdin
        reader). Blocks until the agent waits for input, so a batch is taken at the pace the
        agent handles it (the rest stays with the writer, e.g. in the pipe) and each line's
        time-to-live starts when the agent takes it: a line never goes stale while it waits
        behind the lines before it, however slow the agent is (a starved CPU, a slow model)."""
        self.started.wait()
        assert self.loop is not None and self.inputs is not None
        if isinstance(item, str):
            item = Transcript(item, source="text")

        async def put() -> None:
            await self._taking_input()
            if self._closing:  # read after the stop budget ran out: reported, not lost
                self._refuse_stopping(item)
            else:
                self.inputs.put_nowait(Utterance(item, area, self.clock()))
        try:
            asyncio.run_coroutine_threadsafe(put(), self.loop).result()
        except (RuntimeError, concurrent.futures.CancelledError):  # the loop has closed: the process is ending
            pass

    async def _taking_input(self) -> None:
        """Until the consumer waits for an utterance and none is queued (or the agent stops)."""
        assert self._stop is not None and self.inputs is not None
        while not self._stop.is_set():
            if self._wants_input.is_set() and self.inputs.empty():
                return
            if self._wants_input.is_set():  # something was just queued: let the consumer take it
                await asyncio.sleep(0)
            else:
                await self._wants_input.wait()

    def end_of_input(self) -> None:
        """No more input will come: stop once everything queued is handled and delivered."""
        assert self.inputs is not None
        self.inputs.put_nowait(_EOF)

    def end_of_input_threadsafe(self) -> None:
        self.started.wait()
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.end_of_input)

    def request_stop(self) -> None:
        """SIGTERM: finish the current utterance, deliver what is queued, go offline, exit 0."""
        if self._stop is not None and not self._stop.is_set():
            log.info("stopping: finishing the current utterance")
            self._stop.set()
            self._wants_input.set()  # a waiting batch line goes to the stop budget (handled or reported)

    # ------------------------------------------------------------------ life
    async def run(self) -> int:
        self.loop = self.asking.loop = asyncio.get_running_loop()
        self.inputs = asyncio.Queue(maxsize=10000)
        self._stop = asyncio.Event()
        self._wants_input = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self.request_stop)
            except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
                pass
        self.hooks.status("loading the understanding models")
        self.engine = await self.loop.run_in_executor(self._executor, Engine, self.config)
        self.dispatch.engine = self.engine
        self.mqtt = MqttClient(self.config.mqtt, self, self.loop,
                               will=(self.topics.availability, OFFLINE),
                               online=(self.topics.availability, ONLINE))
        self.dispatch.mqtt = self.parts.mqtt = self.mqtt
        self.events.publish = self._publish_event
        self.mqtt.subscribe(self._subscriptions())
        self.mqtt.start()
        self.started.set()
        self._status()
        self.parts.makers = {"outbox": self.dispatch.run, "inputs": self._consume,
                             "supervisor": lambda: self.parts.watch(self._stop, self.revive)}
        for name in PARTS:
            self.parts.start(name)
        await self._stop.wait()
        self.hooks.stopping("stopping")
        stop_by = self.clock() + STOP_BUDGET
        self.parts.tasks["supervisor"].cancel()
        sender, consumer = self.parts.tasks["outbox"], self.parts.tasks["inputs"]
        if not consumer.done():
            while self._busy:  # the utterance being handled finishes
                await asyncio.sleep(0.01)
            consumer.cancel()
        await self._finish_accepted(stop_by)
        self.asking.close()
        await self.dispatch.drain(until=stop_by)
        sender.cancel()
        await self.mqtt.close((self.topics.availability, OFFLINE))
        self._executor.shutdown(wait=False, cancel_futures=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.remove_signal_handler(sig)
            except (ValueError, RuntimeError, NotImplementedError):
                pass
        return self.exit_status

    async def _finish_accepted(self, stop_by: float) -> None:
        """On the way out, handle what was already accepted (the broker acknowledged it to
        its sender) while the stop budget lasts; report each utterance left over."""
        assert self.inputs is not None
        while not self.inputs.empty() and self.clock() < stop_by - STOP_RESERVE:
            item = self.inputs.get_nowait()
            if item is _EOF:
                continue
            try:
                await self.handle(item)
            except Exception as exc:  # noqa: BLE001 - one bad utterance never stops the way out
                log.exception("handling %r failed", item.transcript.text[:80])
                self.events.emit("error", new_id(), code="internal", message=f"{type(exc).__name__}: {exc}")
        self._closing = True
        while not self.inputs.empty():
            item = self.inputs.get_nowait()
            if item is not _EOF:
                self._refuse_stopping(item.transcript)

    def _refuse_stopping(self, t: Transcript) -> None:
        self.events.emit("error", new_id(), code="input-dropped", source=t.source, text=t.text[:200],
                         message="not handled: the agent was stopping and its stop time ran out")

    # ------------------------------------------------------------------ supervision
    def revive(self) -> None:
        """Restart every part that died (reported as an ``error`` event); past the restart
        budget, stop the daemon with status 70 so systemd starts a fresh one."""
        if self._stop is None or self._stop.is_set():
            return
        if not self.parts.revive(stopping=False):
            self.exit_status = 70
            self.request_stop()

    async def reload(self, config: Config) -> None:
        """Build everything for ``config`` first; swap only when that worked (else raise)."""
        assert self.loop is not None
        config = self.config_filter(config)
        engine = await self.loop.run_in_executor(self._executor, Engine, config)
        if self.engine is not None:
            engine.state.carry_over(self.engine.state)
            engine.dialogue.memory.keep(self.engine.dialogue.memory, set(engine.devices))
        old = self.config.mqtt
        if (config.site, config.mqtt.prefix) != (self.config.site, old.prefix) or any(
                getattr(config.mqtt, k) != getattr(old, k) for k in _CONNECTION):
            log.warning("broker connection settings, site or prefix changed: they take effect after "
                        "a restart (TTLs, confirmation window and devices apply now)")
        previous = self.engine
        self.engine, self.config = engine, config
        self.dispatch.engine = engine
        close = getattr(previous.understander, "close", None) if previous is not None else None
        if close is not None:  # frees the old model's memory and worker thread, off the loop
            await self.loop.run_in_executor(self._executor, close)
        self.confirm.window = config.mqtt.confirm_window
        if self.mqtt is not None:
            self.mqtt.subscribe(self._subscriptions())
        self._status()

    def health(self) -> str | None:
        """None when healthy, else why not."""
        if self.engine is None:
            return "understanding not loaded"
        if self._executor._shutdown:  # noqa: SLF001
            return "understanding executor is shut down"
        if self.parts.broken:
            return self.parts.broken
        dead = [why for _, why in self.parts.dead(stopping=self._stop is not None and self._stop.is_set())]
        return "; ".join(dead) if dead else None

    def _status(self) -> None:
        connected = self.mqtt is not None and self.mqtt.connected
        cfg = self.mqtt.cfg if self.mqtt is not None else self.config.mqtt
        broker = f"{cfg.host}:{cfg.port}"
        text = (f"{'connected to' if connected else 'waiting for'} {broker}; "
                f"{len(self.dispatch.outbox)} action(s) waiting; {self.dispatch.delivered} delivered, "
                f"{self.dispatch.dropped} dropped")
        if connected and self.engine is not None and not self.is_ready:
            self.is_ready = True
            self.hooks.ready(text)
        else:
            self.hooks.status(text)

    def _subscriptions(self) -> set[str]:
        assert self.engine is not None
        return set(self.engine.state.topics()) | {self.topics.text_in} | set(self.handlers) | set(self.watchers)

    # ------------------------------------------------------------------ MQTT link (loop thread)
    def mqtt_connected(self) -> None:
        self._down_reason = ""
        log.info("connected to %s:%s", self.mqtt.cfg.host, self.mqtt.cfg.port)
        self.events.flush()
        self.dispatch.kick.set()
        for hook in self.on_connect:
            hook()
        self._status()

    def mqtt_disconnected(self, reason: str) -> None:
        stopping = self._stop is not None and self._stop.is_set()
        if self.dispatch.outbox.inflight:
            log.warning("broker connection lost (%s); %d unacknowledged action(s) will be resent "
                        "if still fresh", reason, len(self.dispatch.outbox.inflight))
        elif reason != self._down_reason and not stopping:
            log.warning("broker %s:%s: %s", self.mqtt.cfg.host, self.mqtt.cfg.port, reason)
        self._down_reason = reason
        self.dispatch.lost()
        self._status()

    def mqtt_message(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic == self.topics.text_in:
            self._text_in(payload, retained)
            return
        if topic in self.handlers:
            self.handlers[topic](payload, retained)
            return
        for sub, watcher in self.watchers.items():
            if topic_matches_sub(sub, topic):
                watcher(topic, payload, retained)
        if self.engine is not None:
            self.engine.state.feed(topic, payload, self.clock())

    def mqtt_published(self, mid: int, error: str | None) -> None:
        self.dispatch.acked(mid, error)

    def _publish_event(self, topic: str, payload: str, qos: int, retain: bool) -> bool:
        return self.mqtt is not None and self.mqtt.publish(topic, payload, qos, retain) is not None

    def _text_in(self, payload: bytes, retained: bool) -> None:
        ident = new_id()
        if retained:
            self.events.emit("error", ident, code="input-rejected", source="mqtt",
                             message="ignored a retained message on text/in (it would replay on every "
                                     "restart); publish commands without the retain flag")
            return
        try:
            text, area = read_text_in(payload, {a.id for a in self.config.areas})
        except (ValueError, RecursionError) as exc:
            self.events.emit("error", ident, code="input-rejected", source="mqtt",
                             message=f"text/in payload is not UTF-8 text or valid JSON: {exc}")
            return
        except InputRejected as exc:
            self.events.emit("error", ident, code=exc.code, source="mqtt", message=str(exc))
            return
        self.submit(Transcript(text, source="mqtt"), area)

    # ------------------------------------------------------------------ utterances
    async def _consume(self) -> None:
        assert self.inputs is not None
        while not self._stop.is_set():  # SIGTERM: the current utterance finishes, no more start
            self._wants_input.set()
            item = await self.inputs.get()
            if not self._stop.is_set():
                self._wants_input.clear()
            if item is _EOF:
                if self.confirm.pending is not None:
                    # a "yes" can still come over MQTT: keep reading until the question closes
                    self._eof_waiter = asyncio.ensure_future(self._end_when_answered())  # held: not GC'd
                    continue
                await self.dispatch.drain()
                self.request_stop()
                return
            box = self.dispatch.outbox
            while len(box) >= box.capacity and self.mqtt is not None and self.mqtt.connected:
                await asyncio.sleep(0.005)  # the broker is slower than the input: wait, drop nothing
            self._busy = True
            try:
                await self.handle(item)
            except Exception as exc:  # noqa: BLE001 - one bad utterance never stops the agent
                log.exception("handling %r failed", item.transcript.text[:80])
                try:
                    self.events.emit("error", new_id(), code="internal", message=f"{type(exc).__name__}: {exc}")
                except Exception:  # noqa: BLE001 - reporting must not end the loop either
                    log.exception("could not report that failure")
            finally:
                self._busy = False

    async def _room_for(self, n: int) -> None:
        """Wait until ``n`` more actions fit in the outbox (they leave when acknowledged or
        when they go stale, so this always ends)."""
        box = self.dispatch.outbox
        while len(box) and len(box) + n > box.capacity and not self._stop.is_set():
            self.dispatch.kick.set()
            await asyncio.sleep(0.005)

    async def _end_when_answered(self) -> None:
        while self.confirm.pending is not None and not self._stop.is_set():
            await asyncio.sleep(0.02)
        if self.inputs is not None:
            await self.inputs.put(_EOF)

    async def handle(self, utt: Utterance) -> None:
        assert self.engine is not None and self.loop is not None
        engine = self.engine
        uid = utt.uid or new_id()
        t = utt.transcript
        timing = Timing.of(utt.received, t.eos_ms)
        self.events.emit("transcript", uid, text=t.text, source=t.source, final=t.final, asr_ms=t.asr_ms,
                         timing=timing.as_json(self.wall))
        if not t.final:
            return
        if self.talk is not None:
            self.talk.heard(uid, t.text, utt.area)
        now = utt.received  # a "yes" counts from when it was said, not when its turn came
        if self.asking.answer(uid, t.text, utt.area or self.config.area, now):  # no area: the agent's room
            return
        try:
            reading: Reading = await self.loop.run_in_executor(  # (talk: the answer to "which one?")
                self._executor, lambda: engine.dialogue.read(t.text, area=utt.area, now=now) if self.talk is None
                else self.talk.read(engine.dialogue, t.text, utt.area, now))
        except AgentError as exc:
            self.events.emit("error", uid, code=exc.code, message=str(exc), text=t.text[:200])
            return
        for said, why in reading.unknown:  # a part of a compound: the rest still runs
            self.events.emit("not_understood", uid, text=said, reason=why, utterance=t.text)
        if not reading.commands:
            self.events.emit("not_understood", uid, text=reading.text, reason=reading.reason)
            return
        plans, before = plan_in_order(engine.planner, engine.state, reading.commands, now, keep=False)
        first = plans[0].intent  # as planned: "a different colour" names the colour chosen
        timing.intent = self.clock()
        self.events.emit("intent", uid, text=reading.text, intent=first.name, targets=list(first.targets),
                         slots=jsonable(first.slots), engine=first.engine, confidence=first.confidence,
                         commands=[command_json(p) for p in plans], timing=timing.as_json(self.wall))
        self.dispatch.follow(uid, timing)
        engine.dialogue.remember(reading, plans, before, area=utt.area, now=now)
        if any(c.name == "cancel" for c in reading.commands):
            self.dispatch.cancel()
        acting = [p for p in plans if p.intent.name != "cancel"]
        if t.source == "text":  # typed input (run --text) waits for room: it never drops its own lines
            await self._room_for(sum(len(p.actions) for p in acting))
        self.act(uid, acting, utt.received, utt.area)

    def act(self, uid: str, plans: Plan | list[Plan], received: float, area: str | None = None) -> None:
        """Report problems and answers, hold confirm devices, queue the rest, command by command;
        what needs a "yes" in one utterance is asked about once."""
        engine = self.engine
        held: list = []
        held_fx: dict[str, dict[str, Any]] = {}
        names: list[str] = []
        for plan in [plans] if isinstance(plans, Plan) else plans:
            for p in plan.problems:
                self.events.emit("error", uid, code=p.code, device=p.device, message=p.message)
            if plan.answer is not None:
                self.events.emit("answer", uid, intent=plan.intent.name, **jsonable(plan.answer))
            go, hold = held_back(plan.actions, engine.devices, engine.planner.confirm_topics)
            name = plan.intent.name or ""
            if go:
                self.dispatch.queue(uid, name, go, plan.effects, received)
            if hold:
                held += hold
                names.append(name)
                held_fx.update({d: plan.effects[d] for d in {a.device for a in hold} if d in plan.effects})
        if held:
            text = plans.intent.text if isinstance(plans, Plan) else plans[0].intent.text
            self.asking.ask(uid, text, names, held, held_fx, area or self.config.area,
                            {d: engine.devices[d].name for d in {a.device for a in held}})
        if self.talk is not None:
            self.talk.planned(uid, [plans] if isinstance(plans, Plan) else list(plans), area)

    def confirm_moved(self) -> None:
        """The open question's deadline moved (it was spoken: agent/voice): time it anew."""
        self.asking.arm()


_CONNECTION = ("host", "port", "keepalive", "client_id", "username", "password", "password_file", "tls",
               "protocol", "reconnect_min", "reconnect_max")

