"""Where the daemon's log goes: the journal (structured fields) under systemd, stderr elsewhere.

Log calls attach what they are about with ``extra=``::

    log.info("turned on %s", name, extra={"intent": "turn_on", "device": "kitchen_light",
                                           "engine": "template"})
    log.error("broker refused us", extra={"error_code": exc.code})

In the journal these become the fields ``SITE``, ``INTENT``, ``DEVICE``, ``ENGINE``,
``ERROR_CODE`` and ``TOPIC`` (``journalctl -u voice-agent INTENT=turn_on``); on stderr
they are appended to the line as ``[intent=turn_on device=kitchen_light]``.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping

try:  # the `systemd` extra
    from systemd import journal as _journal
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    _journal = None

JOURNAL_SOCKET = Path("/run/systemd/journal/socket")

FIELDS = {"site": "SITE", "intent": "INTENT", "device": "DEVICE", "engine": "ENGINE",
          "error_code": "ERROR_CODE", "topic": "TOPIC"}
"""``extra=`` keys a log record may carry -> journal field names."""

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}

# syslog priorities (journal PRIORITY=, and the <N> prefix journald reads on stderr)
_PRIORITY = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


def priority(levelno: int) -> int:
    for level, prio in _PRIORITY:
        if levelno >= level:
            return prio
    return 7


def record_fields(record: logging.LogRecord, site: str | None = None) -> dict[str, str]:
    """The structured fields of one record, by journal field name."""
    out = {}
    for attr, name in FIELDS.items():
        value = getattr(record, attr, None)
        if value is None and attr == "site":
            value = site
        if value is not None and value != "":
            out[name] = str(value)
    return out


def stderr_is_journal(env: Mapping[str, str]) -> bool:
    """True when stderr is the journal stream systemd connected (``JOURNAL_STREAM=dev:ino``)."""
    raw = env.get("JOURNAL_STREAM", "")
    try:
        dev, ino = (int(x) for x in raw.split(":"))
        st = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def under_systemd(env: Mapping[str, str] | None = None) -> bool:
    """Started by systemd as a service (its stderr is the journal, or it has an invocation id)."""
    env = os.environ if env is None else env
    return stderr_is_journal(env) or bool(env.get("INVOCATION_ID"))


class JournalFieldsHandler(logging.Handler):
    """Sends each record to the journal with its structured fields (via systemd-python)."""

    def __init__(self, site: str | None = None, identifier: str = "voice-agent",
                 send: Callable[..., Any] | None = None) -> None:
        super().__init__()
        if send is None:
            if _journal is None:
                raise RuntimeError("systemd-python is not installed; install the 'systemd' extra")
            send = _journal.send
        self.send = send
        self.site = site
        self.identifier = identifier

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = record_fields(record, self.site)
            if record.exc_info:
                fields["EXCEPTION_TEXT"] = "".join(traceback.format_exception(*record.exc_info))
            self.send(record.getMessage(), PRIORITY=str(priority(record.levelno)),
                      SYSLOG_IDENTIFIER=self.identifier, LOGGER=record.name,
                      THREAD_NAME=record.threadName or "", CODE_FILE=record.pathname,
                      CODE_LINE=record.lineno, CODE_FUNC=record.funcName, **fields)
        except Exception:  # noqa: BLE001 - logging must never take the daemon down
            self.handleError(record)


class FieldsFormatter(logging.Formatter):
    """``LEVEL logger: message [intent=... device=...]``; with ``<N>`` prefixes for journald."""

    def __init__(self, prefix_priority: bool = False) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.prefix_priority = prefix_priority

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = record_fields(record)
        if fields:
            text += " [" + " ".join(f"{k.lower()}={v}" for k, v in fields.items()) + "]"
        if self.prefix_priority:
            prio = f"<{priority(record.levelno)}>"
            text = "\n".join(prio + line for line in text.splitlines())
        return text


def configure_logging(*, site: str | None = None, target: str = "auto", level: str | None = None,
                      verbose: int = 0, env: Mapping[str, str] | None = None) -> str:
    """Point the root logger at the journal or stderr; returns ``"journal"`` or ``"stderr"``.

    ``target`` is the config's ``service.log``: ``auto`` picks the journal when running
    under systemd with its journal socket present. ``level`` defaults to ``info`` in the
    journal and ``warning`` on stderr; ``verbose`` (``-v``) lowers it.
    """
    env = os.environ if env is None else env
    want_journal = target == "journal" or (target == "auto" and under_systemd(env))
    problem = ""
    if want_journal and _journal is None:
        problem = "systemd-python is not installed (pip install 'voice-agent[systemd]')"
    elif want_journal and not JOURNAL_SOCKET.exists():
        problem = f"{JOURNAL_SOCKET} does not exist (journald is not running)"
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    if want_journal and not problem:
        handler: logging.Handler = JournalFieldsHandler(site=site)
        chosen = "journal"
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(FieldsFormatter(prefix_priority=stderr_is_journal(env)))
        chosen = "stderr"
    root.addHandler(handler)
    if level is None:
        level = "info" if chosen == "journal" else "warning"
    numeric = LEVELS.get(level, logging.INFO) - 10 * max(0, verbose)
    root.setLevel(max(logging.DEBUG, numeric))
    if problem:
        logging.getLogger("agent.logging").warning("logging to stderr: %s", problem)
    return chosen
