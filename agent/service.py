"""Running under systemd: readiness, status, watchdog and stopping notifications.

systemd (``Type=notify``) hands the service a datagram socket in ``NOTIFY_SOCKET``;
the daemon tells it ``READY=1`` once models are loaded and the broker is connected,
``STATUS=...`` whenever its state changes, ``WATCHDOG=1`` at half of
``WATCHDOG_USEC`` from a task on the event loop (so a stuck loop stops the pings and
systemd restarts the service), ``RELOADING=1`` around a SIGHUP reload and
``STOPPING=1`` on shutdown. Outside systemd (no ``NOTIFY_SOCKET``) every call is a
cheap no-op.

systemd-python's :func:`systemd.daemon.notify` sends the datagrams when it is
installed; without it the datagram is written directly (same wire format).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from .config import Config, Reader
from .errors import ConfigError

try:  # the `systemd` extra
    from systemd import daemon as _sd_daemon
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    _sd_daemon = None

log = logging.getLogger("agent.service")

DEBUG_HOOKS_ENV = "VOICE_AGENT_DEBUG_HOOKS"
"""Set to ``1`` to enable test-only hooks (see :func:`install_debug_hooks`)."""
DEBUG_BLOCK_ENV = "VOICE_AGENT_DEBUG_BLOCK_SECONDS"


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """The optional ``service:`` section of the config."""

    log: str = "auto"
    """``auto`` (the journal under systemd, stderr elsewhere), ``journal`` or ``stderr``."""
    log_level: str | None = None
    """``debug``, ``info``, ``warning`` or ``error``; default ``info`` in the journal,
    ``warning`` on stderr (where events are printed to stdout already)."""
    watchdog: bool = True
    """Send ``WATCHDOG=1`` when systemd asks for it (``WatchdogSec=``)."""


LOG_TARGETS = ("auto", "journal", "stderr")
LOG_LEVELS = ("debug", "info", "warning", "error")


def read_service_config(config: Config) -> ServiceConfig:
    """Validate ``config.sections['service']``; raise :class:`ConfigError` naming each problem."""
    raw = config.sections.get("service")
    if raw is None:
        return ServiceConfig()
    problems: list[str] = []
    r = Reader(raw, "service", problems, str(config.path), 0)
    d = ServiceConfig()
    cfg = ServiceConfig(
        log=r.get("log", str, d.log, choices=LOG_TARGETS),
        log_level=r.get("log_level", str, d.log_level, choices=LOG_LEVELS),
        watchdog=r.get("watchdog", bool, d.watchdog),
    )
    r.done()
    if problems:
        raise ConfigError(problems)
    return cfg


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """Seconds systemd allows between two ``WATCHDOG=1`` (None: no watchdog requested).

    Follows sd_watchdog_enabled(3): ``WATCHDOG_USEC`` is the timeout; when
    ``WATCHDOG_PID`` is set, the request is only for that process.
    """
    env = os.environ if env is None else env
    raw = env.get("WATCHDOG_USEC", "").strip()
    if not raw:
        return None
    try:
        usec = int(raw)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not a whole number of microseconds", raw)
        return None
    if usec <= 0:
        return None
    owner = env.get("WATCHDOG_PID", "").strip()
    if owner:
        try:
            if int(owner) != (os.getpid() if pid is None else pid):
                return None
        except ValueError:
            log.warning("ignoring WATCHDOG_PID=%r: not a process id", owner)
            return None
    return usec / 1_000_000


# --------------------------------------------------------------------------- sd_notify

def _send_datagram(address: str, message: bytes) -> bool:
    """sd_notify(3) without libsystemd: one datagram to the AF_UNIX socket."""
    if address.startswith("@"):  # abstract namespace
        target: str | bytes = "\0" + address[1:]
    elif address.startswith("/"):
        target = address
    else:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(message, target)
        except OSError as exc:
            log.debug("sd_notify to %s failed: %s", address, exc)
            return False
    return True


class Notifier:
    """Sends sd_notify(3) messages; does nothing when not started by systemd."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.address = env.get("NOTIFY_SOCKET") or None
        self.use_libsystemd = _sd_daemon is not None and env is os.environ
        self.last_status = ""
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` assignments in one datagram; True when it was sent."""
        if not self.address or not assignments:
            return False
        message = "\n".join(a.replace("\n", " ") for a in assignments)
        if self.use_libsystemd:
            # systemd.daemon.notify reads NOTIFY_SOCKET from the environment itself
            sent = bool(_sd_daemon.notify(message))
        else:
            sent = _send_datagram(self.address, message.encode("utf-8"))
        if not sent and not self._warned:
            self._warned = True
            log.warning("could not notify systemd at NOTIFY_SOCKET=%s (is the socket gone?)", self.address)
        return sent

    # -- the service's life ---------------------------------------------------------
    def status(self, text: str) -> bool:
        """``STATUS=``: one line systemctl status shows; logged at info when it changes."""
        text = " ".join(text.split())
        if text != self.last_status:
            log.info("status: %s", text)
            self.last_status = text
        return self.notify(f"STATUS={text}")

    def ready(self, text: str) -> bool:
        """``READY=1``: models loaded, broker connected. Also after a reload."""
        self.last_status = " ".join(text.split())
        log.info("ready: %s", self.last_status)
        return self.notify("READY=1", f"STATUS={self.last_status}")

    def reloading(self, text: str = "reloading configuration") -> bool:
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.last_status = text
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}", f"STATUS={text}")

    def stopping(self, text: str = "stopping") -> bool:
        self.last_status = text
        log.info("status: %s", text)
        return self.notify("STOPPING=1", f"STATUS={text}")

    def failed(self, text: str, errno: int | None = None) -> bool:
        """Say why the service is about to exit with an error."""
        lines = [f"STATUS={' '.join(text.split())}"]
        if errno is not None:
            lines.append(f"ERRNO={errno}")
        return self.notify(*lines)

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")


# --------------------------------------------------------------------------- watchdog

HealthCheck = Callable[[], "str | None"]
"""Returns None when healthy, else why not (then no ``WATCHDOG=1`` is sent)."""


async def run_watchdog(notifier: Notifier, interval: float, healthy: HealthCheck | None = None) -> None:
    """Ping every ``interval / 2`` seconds from the event loop until cancelled.

    Because the ping is a task on the loop, anything that blocks the loop stops the
    pings; ``healthy`` lets the daemon withhold them when a stage it depends on has died.
    """
    period = interval / 2
    unhealthy = None
    while True:
        problem = healthy() if healthy is not None else None
        if problem is None:
            if unhealthy is not None:
                log.warning("healthy again after: %s", unhealthy)
                unhealthy = None
            notifier.watchdog()
        elif problem != unhealthy:
            unhealthy = problem
            log.error("withholding the watchdog ping: %s", problem, extra={"error_code": "unhealthy"})
            notifier.status(f"unhealthy: {problem}")
        await asyncio.sleep(period)


def start_watchdog(notifier: Notifier, healthy: HealthCheck | None = None,
                   env: Mapping[str, str] | None = None) -> asyncio.Task | None:
    """Start the ping task on the running loop when systemd asked for a watchdog."""
    interval = watchdog_interval(env)
    if interval is None or not notifier.enabled:
        return None
    log.debug("watchdog: timeout %.3fs, pinging every %.3fs", interval, interval / 2)
    return asyncio.get_running_loop().create_task(run_watchdog(notifier, interval, healthy),
                                                  name="sd-watchdog")


# --------------------------------------------------------------------------- debug hooks

def install_debug_hooks(loop: asyncio.AbstractEventLoop, env: Mapping[str, str] | None = None) -> bool:
    """Test-only: with ``VOICE_AGENT_DEBUG_HOOKS=1``, SIGUSR2 blocks the event loop.

    The block lasts ``VOICE_AGENT_DEBUG_BLOCK_SECONDS`` (default 10). It exists so
    tests can prove that a stuck loop stops the watchdog pings; the unit file never
    sets the variable, so in normal operation SIGUSR2 keeps its default meaning.
    """
    env = os.environ if env is None else env
    if env.get(DEBUG_HOOKS_ENV) != "1":
        return False
    try:
        seconds = float(env.get(DEBUG_BLOCK_ENV, "10"))
    except ValueError:
        seconds = 10.0

    def block() -> None:
        log.warning("debug hook: blocking the event loop for %.1fs", seconds)
        for handler in logging.getLogger().handlers:
            handler.flush()
        time.sleep(seconds)  # deliberately on the loop thread
        log.warning("debug hook: event loop unblocked")

    loop.add_signal_handler(signal.SIGUSR2, block)
    log.warning("debug hooks enabled (%s=1): SIGUSR2 blocks the event loop", DEBUG_HOOKS_ENV)
    return True

