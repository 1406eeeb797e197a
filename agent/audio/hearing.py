"""The audio pipeline attached to the running daemon (``voice-agent run --mic`` / ``--audio``
or an ``audio:`` section in the config).

Transcripts go into the daemon's input queue (:meth:`Daemon.submit`), in the order
they were spoken; state, partial, wake and heard events go out through the daemon's
event publisher on ``<prefix>/<site>/<kind>``:

* ``state``   ``{"state": "idle"|"listening"|"processing", "why": ...}`` - for LEDs and chimes
  (see ``hardware/``);
* ``partial`` ``{"text": ...}``; ``wake`` ``{"phrase": ...}``;
* ``heard``   ``{"text", "raw", "asr_ms", "eos_ms", ...}``; ``error`` ``{"code", "message"}``.

A command's events share one id: its ``state`` and ``heard`` events, and the daemon's
``transcript``, ``intent`` and ``action`` events about it.

Push-to-talk messages on ``<prefix>/<site>/listen`` (``start``/empty, ``stop``) reach the
listener through the daemon's MQTT connection. A recording ends the input when it
ends; a microphone never does (a lost one is reopened with backoff).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..activation import PRESS, RELEASE, read_activation
from ..config import Config
from ..errors import AgentError, ConfigError, ModelMissing
from ..events import new_id
from .listener import Listener, build_listener, make_source
from .settings import read_audio

log = logging.getLogger(__name__)


class Hearing:
    def __init__(self, daemon: Any, listener: Listener, *, ends: bool, listen_topic: str = "") -> None:
        self.daemon = daemon
        self.listener = listener
        self.ends = ends
        self.listen_topic = listen_topic
        self.task: asyncio.Task | None = None
        self._uid = new_id()
        if listen_topic:
            daemon.handlers[listen_topic] = self._listen_message

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "state" and data.get("state") == "listening":
            self._uid = new_id()  # events of one command share an id
        self.daemon.events.emit(kind, self._uid, **data)

    def _listen_message(self, payload: bytes, retained: bool) -> None:
        word = payload.decode("utf-8", "replace").strip().lower()
        if retained:
            self.emit("error", {"code": "input-rejected", "message": "ignored a retained push-to-talk message"})
        elif word in PRESS:
            self.listener.push_to_talk(True)
        elif word in RELEASE:
            self.listener.push_to_talk(False)
        else:
            self.emit("error", {"code": "input-rejected",
                                "message": f"push-to-talk payload {word[:40]!r}: send 'start' or 'stop'"})

    def start(self) -> asyncio.Task:
        self.task = asyncio.get_running_loop().create_task(self.run(), name="hearing")
        return self.task

    async def run(self) -> None:
        while not self.daemon.started.is_set():
            await asyncio.sleep(0.02)
        try:
            async for u in self.listener.utterances():
                self.daemon.submit(u.transcript, uid=self._uid)  # its heard event's id
        except AgentError as exc:
            log.error("[%s] %s", exc.code, exc)
            self.emit("error", {"code": exc.code, "message": str(exc)})
        finally:
            await _close(self.listener)
        if self.ends:
            self.daemon.end_of_input()


async def _close(listener: Listener) -> None:
    try:
        await listener.asr.recogniser.close()
        if listener.wake is not None:
            await listener.wake.close()
    except Exception:  # noqa: BLE001 - closing after a failure; nothing more to do
        pass


def attach(daemon: Any, config: Config, *, mic: str | None = None, audio: str | None = None) -> Hearing:
    """Build the audio pipeline for ``daemon`` (models resolved now, loaded when it starts).

    A missing model is a configuration problem (exit 78: restarting will not fix it).
    """
    settings = read_audio(config)
    activation = read_activation(config)
    holder: dict[str, Hearing] = {}

    def on_error(exc: Exception) -> None:
        if "h" in holder:
            holder["h"].emit("error", {"code": getattr(exc, "code", "audio-error"), "message": str(exc)})

    kw: dict[str, Any] = {}
    if mic is not None:
        kw["mic"] = mic or settings.device
    source = make_source(settings, audio=audio, on_error=on_error, **kw)
    try:
        listener = build_listener(config, source, audio=settings, activation=activation,
                                  emit=lambda kind, data: holder["h"].emit(kind, data))
    except ModelMissing as exc:
        raise ConfigError([f"{config.path}: {exc}"]) from exc
    ends = not source.name.startswith("mic")
    topic = activation.listen_topic if activation.mode == "ptt" else ""
    holder["h"] = Hearing(daemon, listener, ends=ends, listen_topic=topic)
    return holder["h"]
