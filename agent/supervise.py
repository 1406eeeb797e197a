"""The service layer around :class:`agent.daemon.Daemon`: systemd, signals, health, logs.

:class:`Supervisor` gives the daemon its :class:`~agent.daemon.Hooks` and runs it:

- sd_notify: ``STATUS=`` on every change, ``READY=1`` once the understanding models are
  loaded and the broker is connected, ``WATCHDOG=1`` from a task on the event loop,
  ``RELOADING=1``/``READY=1`` around a reload, ``STOPPING=1`` on shutdown;
- SIGHUP: reload the config and intents; the new config is validated and the new
  engine built before anything is swapped; on any error the daemon keeps running on
  the old config, and says why (log, ``error`` event ``reload-failed``, status line);
- logging to the journal (structured fields) or stderr, each event logged once with
  its site/intent/device/engine/error code;
- the retained health document ``<prefix>/<site>/health`` (:mod:`agent.health`).

SIGTERM/SIGINT belong to the daemon (finish the current utterance, go offline, exit 0).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from typing import Any, Callable

from .config import Config, load_config
from .daemon import Daemon, Hooks
from .errors import AgentError, ConfigError, ModelMissing
from .events import Event, new_id
from .health import HEARTBEAT, Health, health_topic
from .logging_setup import configure_logging
from .service import Notifier, install_debug_hooks, read_service_config, start_watchdog, watchdog_interval

log = logging.getLogger("agent.service")
event_log = logging.getLogger("agent.events")

PUBLISH_GAP = 1.0
"""At most one health publish per this many seconds for bursts of error events."""


class Supervisor:
    def __init__(self, config: Config, *, prepare: Callable[[Config], Config] = lambda c: c,
                 verbose: int = 0, notifier: Notifier | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.prepare = prepare
        """Applied to every reloaded config (command-line overrides such as ``--mqtt``)."""
        self.verbose = verbose
        self.notifier = notifier if notifier is not None else Notifier()
        self.clock = clock
        self.service = read_service_config(config)
        configure_logging(site=config.site, target=self.service.log, level=self.service.log_level,
                          verbose=verbose)
        self.health = Health(site=config.site, config=str(config.path), started=clock())
        if self.service.watchdog:
            self.health.watchdog = watchdog_interval()
        self.topic = health_topic(config.mqtt.prefix, config.site)
        self.daemon: Daemon | None = None
        self._tasks: list[asyncio.Task] = []
        self._reloading: asyncio.Task | None = None
        self._reload_again = False
        self._reload_pending = False
        self._publish_later: asyncio.TimerHandle | None = None
        self._last_publish = 0.0
        self._last_text = ""

    # ------------------------------------------------------------------ hooks
    def hooks(self) -> Hooks:
        return Hooks(ready=self._ready, status=self._status, stopping=self._stopping)

    def _ready(self, text: str) -> None:
        self._last_text = text
        if self._reload_running():  # READY=1 comes at the end of the reload
            self.notifier.status(f"reloading: {text}")
            return
        self.notifier.ready(text)
        self._set("ready", text)

    def _reload_running(self) -> bool:
        return self._reloading is not None and not self._reloading.done()

    def _status(self, text: str) -> None:
        if self.health.state == "stopping":  # the broker going away on the way out is expected
            log.debug("while stopping: %s", text)
            return
        self._last_text = text
        if self._reload_pending and self.daemon is not None and self.daemon.engine is not None:
            self._reload_pending = False
            self.request_reload()
        # while a reload runs, systemd must see READY=1 only at its end
        if self._reload_running():
            self.notifier.status(f"reloading: {text}")
            return
        self.notifier.status(text)
        if self.daemon is not None and self.daemon.is_ready:
            self._set("ready", text)
        else:
            self._set("starting", text)

    def _stopping(self, text: str) -> None:
        self.notifier.stopping(text)
        self._set("stopping", text)

    # ------------------------------------------------------------------ life
    async def run(self, daemon: Daemon) -> int:
        """Run ``daemon`` as a service until it stops; its exit status."""
        self.daemon = daemon
        loop = asyncio.get_running_loop()
        daemon.events.listeners.append(self._event)
        try:
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
            pass
        install_debug_hooks(loop)
        if self.service.watchdog:
            task = start_watchdog(self.notifier, self._healthy)
            if task is not None:
                self._tasks.append(task)
        self._tasks.append(loop.create_task(self._heartbeat(), name="health-heartbeat"))
        try:
            try:
                status = await daemon.run()
            except ModelMissing as exc:  # the config names a model that is not there
                raise ConfigError([str(exc)]) from exc
        except ConfigError as exc:  # a broken config is not fixed by restarting: systemd sees 78
            self.notifier.failed(f"configuration error: {exc.problems[0] if exc.problems else exc}")
            raise
        except AgentError as exc:
            self.notifier.failed(f"failed: [{exc.code}] {exc}")
            log.error("%s", exc, extra={"error_code": exc.code})
            raise
        finally:
            for task in self._tasks + ([self._reloading] if self._reloading else []):
                task.cancel()
            try:
                loop.remove_signal_handler(signal.SIGHUP)
            except (ValueError, RuntimeError, NotImplementedError):
                pass
        return status

    def _healthy(self) -> str | None:
        """What the watchdog asks: fine while starting (TimeoutStartSec= covers that)."""
        if self.daemon is None or not self.daemon.is_ready:
            return None
        return self.daemon.health()

    # ------------------------------------------------------------------ reload
    def request_reload(self) -> None:
        """SIGHUP (on the loop). A reload during a reload runs once more afterwards; one
        during start-up waits until the first engine is built."""
        if self.daemon is None or self.daemon.engine is None:
            log.info("SIGHUP while starting: reloading once the models are loaded")
            self._reload_pending = True
            return
        if self._reload_running():
            self._reload_again = True
            return
        self._reloading = asyncio.get_running_loop().create_task(self._reload(), name="reload")

    async def _reload(self) -> None:
        while True:
            self._reload_again = False
            await self._reload_once()
            if not self._reload_again:
                return

    async def _reload_once(self) -> bool:
        assert self.daemon is not None
        path = self.config.path
        log.info("SIGHUP: reloading %s", path)
        if self.daemon.is_ready:  # else systemd still waits for the first READY=1
            self.notifier.reloading(f"reloading {path}")
        self._set("reloading", f"reloading {path}")
        loop = asyncio.get_running_loop()
        try:
            config = await loop.run_in_executor(None, load_config, path)
            config = self.prepare(config)
            service = read_service_config(config)
            if config.site != self.config.site:
                log.warning("site changed from %r to %r: it takes effect after a restart",
                            self.config.site, config.site)
            await self.daemon.reload(config)
        except Exception as exc:  # noqa: BLE001 - whatever broke, the old config keeps running
            code = getattr(exc, "code", "internal")
            problems = list(getattr(exc, "problems", [])) or [f"{type(exc).__name__}: {exc}"
                                                                if code == "internal" else str(exc)]
            why = "; ".join(problems)
            if code == "internal":
                log.exception("reload failed, still running on the previous configuration")
            else:
                log.error("reload failed, still running on the previous configuration: %s", why,
                          extra={"error_code": code})
            self.daemon.events.emit("error", new_id(), code="reload-failed", cause=code,
                                    message=f"reload of {path} failed; still running on the previous "
                                            f"configuration: {why}", problems=problems)
            self.health.reloaded(False, self.clock(), str(path), why[:500])
            self._reloaded(f"reload failed, running on the previous config: {problems[0]}")
            return False
        self.config = config
        self.service = service
        configure_logging(site=self.daemon.config.site, target=service.log, level=service.log_level,
                          verbose=self.verbose)
        log.info("reloaded %s", path)
        self.health.reloaded(True, self.clock(), str(path))
        self._reloaded(f"{self._last_text} (reloaded {path})" if self._last_text else f"reloaded {path}")
        return True

    def _reloaded(self, text: str) -> None:
        """End of a reload: READY=1 again, unless the agent was not ready before it."""
        assert self.daemon is not None
        if self.daemon.is_ready:
            self.notifier.ready(text)
            self._set("ready", text, force=True)
        else:
            self.notifier.status(text)
            self._set("starting", text, force=True)

    # ------------------------------------------------------------------ events and health
    def _event(self, event: Event) -> None:
        log_event(event)
        if self.health.event(event.kind, event.data, self.clock()):
            self._publish_soon()

    def _set(self, state: str, status: str, force: bool = False) -> None:
        if self.health.set(state, status, self.clock()) or force:
            self._publish()

    def _publish_soon(self) -> None:
        wait = self._last_publish + PUBLISH_GAP - self.clock()
        if wait <= 0:
            self._publish()
        elif self._publish_later is None:
            def later() -> None:
                self._publish_later = None
                self._publish()
            self._publish_later = asyncio.get_running_loop().call_later(wait, later)

    def _publish(self) -> None:
        mqtt = self.daemon.mqtt if self.daemon is not None else None
        if mqtt is None or not mqtt.connected:
            return
        now = self.clock()
        doc = json.dumps(self.health.doc(now), ensure_ascii=False)
        if mqtt.publish(self.topic, doc, 1, True) is not None:
            self._last_publish = now

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            self._publish()


_EVENT_LEVEL = {"error": logging.WARNING}


def log_event(event: Event) -> None:
    """One log line per event, with the journal fields it concerns."""
    d: dict[str, Any] = event.data
    extra: dict[str, Any] = {}
    if event.kind == "intent":
        extra = {"intent": d.get("intent"), "engine": d.get("engine"),
                 "device": ",".join(d.get("targets") or []) or None}
        text = f"understood {d.get('text')!r} as {d.get('intent')} {d.get('targets') or ''}".rstrip()
    elif event.kind == "action":
        extra = {"device": d.get("device"), "topic": d.get("topic")}
        text = f"published {d.get('payload')!r} to {d.get('topic')}"
    elif event.kind == "not_understood":
        text = f"not understood {d.get('text')!r}: {d.get('reason')}"
    elif event.kind == "error":
        extra = {"error_code": d.get("code"), "device": d.get("device"), "intent": d.get("intent")}
        text = f"[{d.get('code')}] {d.get('message')}"
    elif event.kind == "transcript":
        extra = {"engine": d.get("source")}
        text = f"heard {d.get('text')!r}"
    else:
        text = f"{event.kind}: " + json.dumps(d, ensure_ascii=False, default=str)[:300]
    level = _EVENT_LEVEL.get(event.kind, logging.DEBUG if event.kind == "transcript" else logging.INFO)
    event_log.log(level, "%s", text, extra={k: v for k, v in extra.items() if v is not None})
