"""Events: a JSON report of everything the agent does, on ``<prefix>/<site>/<kind>``.

Kinds: ``transcript`` (text came in), ``intent`` (understood), ``not_understood``,
``action`` (a publish the broker acknowledged), ``answer`` (a ``get_state`` reply),
``confirm`` (waiting for / got a "yes"), ``error`` (anything dropped or refused, with a
stable ``code``), ``reply`` (what the agent says, :mod:`agent.voice.talkback`) and
``speaking`` (a reply's audio started / ended). Every event carries ``id`` (the utterance it belongs to), ``ts`` (Unix
time), ``site`` and ``kind``. ``<prefix>/<site>/availability`` holds ``online`` /
``offline`` (retained, with a last will).
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger(__name__)

KINDS = ("transcript", "intent", "not_understood", "action", "answer", "confirm", "error", "reply", "speaking")
ONLINE, OFFLINE = "online", "offline"


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    id: str
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = 0.0

    def as_json(self, site: str) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "ts": round(self.ts, 3), "site": site, **self.data}


@dataclass(frozen=True, slots=True)
class Topics:
    """The agent's own topics, all under ``<prefix>/<site>``."""

    prefix: str
    site: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site}" if self.prefix else self.site

    def event(self, kind: str) -> str:
        return f"{self.base}/{kind}"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def text_in(self) -> str:
        return f"{self.base}/text/in"


Publish = Callable[[str, str, int, bool], bool]
"""(topic, payload, qos, retain) -> True when handed to a connected client."""


class EventSink:
    """Numbers events, echoes them (stdout), and publishes them; while the broker is
    away they wait in a bounded buffer (oldest dropped first) and go out on reconnect."""

    def __init__(self, topics: Topics, *, echo: Callable[[dict[str, Any]], None] | None = None,
                 buffer: int = 500, qos: int = 1, clock: Callable[[], float] = time.time) -> None:
        self.topics = topics
        self.echo = echo
        self.qos = qos
        self.clock = clock
        self.pending: deque[tuple[str, str]] = deque(maxlen=buffer)
        self.publish: Publish | None = None
        self.listeners: list[Callable[[Event], None]] = []

    def emit(self, kind: str, ident: str, **data: Any) -> Event:
        event = Event(kind, ident, data, self.clock())
        doc = _finite(event.as_json(self.topics.site))  # NaN or infinity is no JSON: null
        if self.echo is not None:
            self.echo(doc)
        # text that cannot be UTF-8 (a lone surrogate from a JSON escape) is escaped rather
        # than left to fail in the client and block every later event
        payload = json.dumps(doc, ensure_ascii=False)
        try:
            payload.encode("utf-8")
        except UnicodeEncodeError:
            payload = json.dumps(doc)
        self.pending.append((self.topics.event(kind), payload))
        self.flush()
        for listener in list(self.listeners):
            listener(event)
        return event

    def flush(self) -> None:
        """Publish buffered events while the client takes them."""
        while self.pending and self.publish is not None:
            topic, payload = self.pending[0]
            try:
                if not self.publish(topic, payload, self.qos, False):
                    return
            except Exception:  # noqa: BLE001 - one unpublishable event must not hold up the rest
                log.exception("could not publish an event on %s; dropped it", topic[:80])
            self.pending.popleft()


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
