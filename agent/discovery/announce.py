"""The agent in Home Assistant: its own MQTT discovery configs and the states behind them.

With ``homeassistant: {discovery: true}`` the agent publishes, retained, one Home Assistant
device per site (``<ha prefix>/<component>/voice_agent_<site>/<object>/config``) with:

* ``sensor`` *last command*: what was said last and what came of it (``value_json.text``, the
  result and intent as attributes), on ``<prefix>/<site>/ha/last_command``;
* ``binary_sensor`` *listening*: ``ON`` while the microphone takes a command
  (``<prefix>/<site>/ha/listening``);
* ``switch`` *mute*: ``ON`` mutes the microphone: no audio reaches the wake phrase or the
  recogniser until it is ``OFF`` again (``.../ha/mute/set`` -> ``.../ha/mute``; the retained
  state is restored at start, so a muted agent stays muted after a restart, and until the
  broker has answered the microphone stays muted);
* ``text`` *command*: typed text goes to ``<prefix>/<site>/text/in`` like any text command;
* ``event`` *not understood*: each utterance the agent did not understand
  (``.../ha/not_understood``, ``{"event_type": "not_understood", "text", "reason"}``).

Every entity is available only while ``<prefix>/<site>/availability`` says ``online``: the
agent's last will sets it ``offline`` when it dies.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

from .. import __version__
from ..config import Config
from ..events import OFFLINE, ONLINE, Event, Topics
from .settings import AnnounceSettings

log = logging.getLogger(__name__)

ON, OFF = "ON", "OFF"
RESTORE_WAIT = 3.0
"""Seconds after connecting to wait for the retained mute state before assuming unmuted."""


def entity_configs(config: Config, settings: AnnounceSettings) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config document, for every entity of this site (pure)."""
    topics = Topics(config.mqtt.prefix, config.site)
    base = topics.base
    node = f"voice_agent_{config.site}"
    area = next((a.name for a in config.areas if a.id == config.area), None)
    device = {"identifiers": [f"voice-agent-{config.site}"], "name": settings.name or f"Voice agent {config.site}",
              "manufacturer": "voice-agent", "model": "offline voice-command agent", "sw_version": __version__}
    if area:
        device["suggested_area"] = area
    common = {"availability": [{"topic": topics.availability, "payload_available": ONLINE,
                                "payload_not_available": OFFLINE}],
              "device": device, "origin": {"name": "voice-agent", "sw_version": __version__}}

    def one(component: str, obj: str, name: str, **doc: Any) -> tuple[str, dict[str, Any]]:
        return (f"{settings.prefix}/{component}/{node}/{obj}/config",
                {"name": name, "unique_id": f"{node}_{obj}", "object_id": f"{node}_{obj}", **common, **doc})

    return dict([
        one("sensor", "last_command", "Last command", state_topic=f"{base}/ha/last_command",
            value_template="{{ value_json.text }}", json_attributes_topic=f"{base}/ha/last_command",
            icon="mdi:account-voice"),
        one("binary_sensor", "listening", "Listening", state_topic=f"{base}/ha/listening", payload_on=ON,
            payload_off=OFF, icon="mdi:microphone"),
        one("switch", "mute", "Mute microphone", command_topic=f"{base}/ha/mute/set", state_topic=f"{base}/ha/mute",
            payload_on=ON, payload_off=OFF, state_on=ON, state_off=OFF, icon="mdi:microphone-off"),
        one("text", "command", "Command", command_topic=topics.text_in, max=255, mode="text",
            icon="mdi:keyboard"),
        one("event", "not_understood", "Not understood", state_topic=f"{base}/ha/not_understood",
            event_types=["not_understood"], icon="mdi:help-circle-outline"),
    ])


_RESULTS = {"intent": "understood", "action": "done", "not_understood": "not understood", "answer": "answered",
            "confirm": "asking for a yes", "error": "failed"}


class Announcer:
    """Publishes the configs on every connection and keeps the entities' states current."""

    def __init__(self, daemon: Any, config: Config, settings: AnnounceSettings,
                 mute: Callable[[bool], None] | None = None) -> None:
        self.daemon = daemon
        self.config = config
        self.settings = settings
        self.mute_microphone = mute
        base = daemon.topics.base
        self.t_last, self.t_listening = f"{base}/ha/last_command", f"{base}/ha/listening"
        self.t_mute, self.t_mute_set = f"{base}/ha/mute", f"{base}/ha/mute/set"
        self.t_event = f"{base}/ha/not_understood"
        self.muted = False
        self.listening = False
        self._commanded = False  # a mute command came: the retained state no longer decides
        self._last: dict[str, Any] = {}
        daemon.handlers[self.t_mute_set] = self._mute_command
        daemon.handlers[self.t_mute] = self._mute_restore
        daemon.on_connect.append(self.publish_all)
        daemon.events.listeners.append(self._event)

    # ------------------------------------------------------------------ publishing
    def _send(self, topic: str, payload: str, retain: bool = True) -> None:
        mqtt = self.daemon.mqtt
        if mqtt is not None and mqtt.connected:
            mqtt.publish(topic, payload, 1, retain)

    def publish_all(self) -> None:
        for topic, doc in entity_configs(self.config, self.settings).items():
            self._send(topic, json.dumps(doc, ensure_ascii=False))
        self._send(self.t_listening, ON if self.listening and not self.muted else OFF)
        if self._commanded:
            self._send(self.t_mute, ON if self.muted else OFF)
        else:  # a retained state (muted before a restart) arrives right after subscribing; else unmuted
            self.daemon.loop.call_later(RESTORE_WAIT, self._mute_default)
        if self._last:
            self._send(self.t_last, json.dumps(self._last, ensure_ascii=False))

    # ------------------------------------------------------------------ mute
    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if self.mute_microphone is not None:
            self.mute_microphone(muted)
        self._send(self.t_mute, ON if muted else OFF)
        if muted and self.listening:
            self.listening = False
            self._send(self.t_listening, OFF)
        log.info("microphone %s", "muted" if muted else "unmuted")

    def _mute_default(self) -> None:
        if not self._commanded:
            self._commanded = True
            self.set_muted(False)

    def _mute_command(self, payload: bytes, retained: bool) -> None:
        word = payload.decode("utf-8", "replace").strip().upper()
        if word not in (ON, OFF):
            self.daemon.events.emit("error", "mute", code="input-rejected",
                                    message=f"mute payload {word[:20]!r}: send ON or OFF")
            return
        self._commanded = True
        self.set_muted(word == ON)

    def _mute_restore(self, payload: bytes, retained: bool) -> None:
        if self._commanded or not retained:
            return  # our own publish coming back, or a command already decided
        self._commanded = True
        self.set_muted(payload.decode("utf-8", "replace").strip().upper() == ON)

    # ------------------------------------------------------------------ events
    def _event(self, event: Event) -> None:
        kind, data = event.kind, event.data
        if kind == "state":
            now = data.get("state") == "listening" and not self.muted
            if now != self.listening:
                self.listening = now
                self._send(self.t_listening, ON if now else OFF)
            return
        if kind == "transcript" and data.get("final", True):
            self._last = {"id": event.id, "text": str(data.get("text", ""))[:255], "result": "heard",
                          "at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(event.ts))}
        elif kind in _RESULTS and self._last.get("id") == event.id:
            result = _RESULTS[kind]
            if kind == "error":
                result = f"failed: {data.get('code', '')}"
            if self._last.get("result") == "done" and kind != "error":
                return
            self._last["result"] = result
            if kind == "intent":
                self._last.update(intent=data.get("intent"), targets=data.get("targets"))
            if kind == "answer" and "answer" in data:
                self._last["answer"] = data["answer"]
        else:
            if kind == "not_understood":
                self._event_not_understood(data)
            return
        if kind == "not_understood":
            self._event_not_understood(data)
        self._send(self.t_last, json.dumps(self._last, ensure_ascii=False))

    def _event_not_understood(self, data: dict[str, Any]) -> None:
        doc = {"event_type": "not_understood", "text": str(data.get("text", ""))[:255],
               "reason": str(data.get("reason", ""))[:255]}
        self._send(self.t_event, json.dumps(doc, ensure_ascii=False), retain=False)


def attach(daemon: Any, config: Config, settings: AnnounceSettings, hearing: Any = None) -> Announcer:
    mute = hearing.listener.set_muted if hearing is not None else None
    if mute is not None:
        # the mute state lives on the broker: until it is known (restored, or RESTORE_WAIT after
        # connecting with none kept), the microphone stays muted rather than listen by mistake
        mute(True)
    return Announcer(daemon, config, settings, mute)
