"""From an understood intent to the MQTT publishes that carry it out.

:class:`ActionPlanner` is pure (no I/O): intent + config (+ last known state) -> a
:class:`Plan` of :class:`~agent.messages.Action` s. Every topic comes from the config;
templates may only put config values (device id, name, area, intent, site) into a topic,
never a spoken one, and the planner refuses any topic outside the set it computed from the
config at start (:attr:`ActionPlanner.allowed_topics`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Config, Device
from ..devices import BUILTIN_INTENTS, TYPES
from ..errors import ConfigError
from ..messages import Action, Intent
from ..mqtt_names import topic_problem
from ..payloads import Unsupported, style_of, template
from ..payloads.values import prepare
from ..understanding.intents import IntentSet, IntentSpec, load_intents
from ..understanding.templates import slot_refs
from .recolor import chosen
from .slot_ranges import out_of_range

NO_PUBLISH = frozenset({"get_state", "cancel"})
"""Intents answered by the agent itself (an event), never by a publish."""


class StateView(Protocol):
    def get(self, device_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Problem:
    device: str
    code: str
    """``unsupported``, ``no-mqtt``, ``topic-not-allowed``."""
    message: str


@dataclass(frozen=True, slots=True)
class Plan:
    intent: Intent
    actions: tuple[Action, ...] = ()
    problems: tuple[Problem, ...] = ()
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Device id -> the state the actions should leave behind."""
    answer: dict[str, Any] | None = None
    """For ``get_state``: what is known about the devices asked about."""


class ActionPlanner:
    """Turns intents into actions for one config (immutable; build a new one on reload)."""

    def __init__(self, config: Config, state: StateView | None = None,
                 intents: IntentSet | None = None) -> None:
        self.config = config
        self.state = state
        self.devices: dict[str, Device] = {d.id: d for d in config.devices}
        loaded = intents or load_intents(config.intents)
        self.specs: dict[str, IntentSpec] = loaded.intents
        self.sentences = loaded.sentences
        self.lists = loaded.lists
        problems: list[str] = []
        self.allowed_topics: frozenset[str] = frozenset(self._topics(problems))
        self.confirm_topics: dict[str, str] = {}
        """Command topic of a ``confirm: true`` device -> that device: whatever publishes there
        (a custom intent too) waits for a "yes"."""
        if not problems:
            for d in self.devices.values():
                if d.confirm and d.mqtt is not None:
                    for topic in self._device_topics(d, [], str(config.path)):
                        self.confirm_topics.setdefault(topic, d.id)
        if problems:
            raise ConfigError(problems)

    # ------------------------------------------------------------------ config checks
    def _ctx(self, device: Device | None, intent: str) -> dict[str, Any]:
        return {"device": device.id if device else "", "name": device.name if device else "",
                "area": (device.area or "") if device else "", "intent": intent,
                "site": self.config.site}

    def intents_for(self, device: Device) -> tuple[str, ...]:
        own = [n for n in TYPES[device.type].intents if n not in NO_PUBLISH]
        own += [n for n, s in self.specs.items() if device.type in s.types and n not in own]
        return tuple(own)

    def _topics(self, problems: list[str]) -> set[str]:
        where = str(self.config.path)
        out: set[str] = set()
        for d in self.devices.values():
            if d.mqtt is None:
                continue
            try:
                out |= self._device_topics(d, problems, where)
                for topic in style_of(d).state_topics(d):
                    bad = topic_problem(topic, filter=True)
                    if bad is not None:
                        problems.append(f"{where}: devices[{d.id}]: its state topic {topic[:80]!r} {bad}")
            except (Unsupported, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                # a style option of the wrong kind (tasmota relay: "#"): name it, never a traceback
                problems.append(f"{where}: devices[{d.id}].mqtt: unusable {d.mqtt.style} settings "
                                f"({type(exc).__name__}: {str(exc)[:120]}); see the {d.mqtt.style} options "
                                "in docs/mqtt.md")
        for name, spec in self.specs.items():
            if not spec.action:
                continue
            for p in template.check_entry(spec.action):
                problems.append(f"intents.{name}.action: {p}")
            if not spec.types and not template.check_entry(spec.action):
                # a target-less intent's payload can only use what its sentences capture
                said = _slot_names(self.sentences, name)
                for e in template.entries(spec.action):
                    unknown = template.fields(str(e.get("payload", ""))) - said - set(template.TOPIC_FIELDS)
                    if unknown:
                        problems.append(
                            f"intents.{name}.action: payload uses {{{sorted(unknown)[0]}}}, which no sentence "
                            f"of {name} gives; its slots: {', '.join(sorted(said)) or 'none'}")
                try:
                    out |= {o.topic for o in template.render_entry(
                        [{"topic": e["topic"]} for e in template.entries(spec.action)], self._ctx(None, name))}
                except Unsupported as exc:
                    problems.append(f"intents.{name}.action: {exc}")
        for topic in sorted(out):
            bad = topic_problem(topic)
            if bad is not None:
                problems.append(f"{where}: MQTT topic {topic[:80]!r} {bad}; command topics must be plain, "
                                "valid MQTT topics")
        return out

    def _device_topics(self, d: Device, problems: list[str], where: str) -> set[str]:
        """The command topics of device ``d`` (problems with its templates go to ``problems``)."""
        out: set[str] = set()
        names = self.intents_for(d)
        if d.mqtt.style == "template":
            for key, spec in (d.mqtt.options.get("actions") or {}).items():
                line = getattr(d.mqtt.options.get("actions"), "line_of", lambda k: 0)(key)
                for p in template.check_entry(spec):
                    problems.append(f"{where}:{line}: devices[{d.id}].mqtt.actions.{key}: {p}")
                if key != "*" and key not in BUILTIN_INTENTS and key not in self.specs:
                    problems.append(f"{where}:{line}: devices[{d.id}].mqtt.actions.{key}: "
                                    f"unknown intent {key!r}")
                if not template.check_entry(spec):
                    for name in (names if key == "*" else (key,)):
                        out |= {o.topic for o in template.render_entry(
                            [{"topic": e["topic"]} for e in template.entries(spec)],
                            self._ctx(d, name))}
        else:
            out |= style_of(d).command_topics(d, names)
        for name, spec in self.specs.items():
            if spec.action and d.type in spec.types and not template.check_entry(spec.action):
                out |= {o.topic for o in template.render_entry(
                    [{"topic": e["topic"]} for e in template.entries(spec.action)], self._ctx(d, name))}
        return out

    # ------------------------------------------------------------------ planning
    def plan(self, intent: Intent) -> list[Action]:
        """The publishes for ``intent`` (empty when it needs none or cannot be done)."""
        return list(self.plan_full(intent).actions)

    def plan_full(self, intent: Intent) -> Plan:
        if not intent.understood:
            return Plan(intent)
        intent = chosen(intent, self.state.get if self.state is not None else None)
        name = intent.name or ""
        if name == "get_state":
            return Plan(intent, answer=self.answer(intent))
        if name in NO_PUBLISH:
            return Plan(intent)
        wild = out_of_range(intent.slots, self.lists)
        if wild is not None:  # whatever understood it, a number past its range is never acted on
            return Plan(intent, problems=(Problem(",".join(intent.targets), "out-of-range",
                                                  f"not done: {wild}"),))
        spec = self.specs.get(name)
        actions: list[Action] = []
        problems: list[Problem] = []
        effects: dict[str, dict[str, Any]] = {}
        if not intent.targets:
            if spec is not None and spec.action:
                values = {**_plain(intent.slots), **self._ctx(None, name)}
                self._add(actions, problems, None, lambda: template.render_entry(spec.action, values))
            return Plan(intent, tuple(actions), tuple(problems), effects)
        for ident in intent.targets:
            device = self.devices.get(ident)
            if device is None or device.mqtt is None:
                problems.append(Problem(ident, "no-mqtt", f"{device.name if device else ident} has no "
                                        "mqtt settings; add them to the config to drive it"))
                continue
            current = self.state.get(ident) if self.state is not None else None
            try:
                values, fx = prepare(device, name, intent.slots, current)
            except Unsupported as exc:
                problems.append(Problem(ident, "unsupported", f"{device.name}: {exc}"))
                continue
            merged = {k: v for k, v in {**_plain(intent.slots), **values, **self._ctx(device, name)}.items()
                      if v is not None}
            if self._add(actions, problems, device, lambda: self._route(device, name, spec, values, merged)):
                if fx:
                    effects[ident] = fx
        return Plan(intent, tuple(actions), tuple(problems), effects)

    def _route(self, device: Device, name: str, spec: IntentSpec | None, values: dict[str, Any],
               merged: dict[str, Any]):
        own = (device.mqtt.options.get("actions") or {}) if device.mqtt.style == "template" else {}
        if name in own:
            return template.render_entry(own[name], merged)
        if spec is not None and spec.action and name not in BUILTIN_INTENTS:
            return template.render_entry(spec.action, merged)
        if device.mqtt.style == "template":
            return template.command(device, name, merged)
        return style_of(device).command(device, name, values)

    def _add(self, actions: list[Action], problems: list[Problem], device: Device | None, build) -> bool:
        ident = device.id if device else ""
        try:
            outs = build()
        except Unsupported as exc:
            problems.append(Problem(ident, "unsupported", f"{device.name}: {exc}" if device else str(exc)))
            return False
        for out in outs:
            if out.topic not in self.allowed_topics:  # cannot happen by construction; refuse anyway
                problems.append(Problem(ident, "topic-not-allowed",
                                        f"refused to publish to {out.topic!r}: not a topic from the config"))
                return False
        actions.extend(Action(o.topic, o.payload, self.config.mqtt.qos, o.retain, ident) for o in outs)
        return True

    def answer(self, intent: Intent) -> dict[str, Any]:
        """What the state store knows about the devices a ``get_state`` asked about."""
        asked = intent.slots.get("state")
        entries, matching, unknown = [], [], []
        for ident in intent.targets:
            device = self.devices.get(ident)
            st = (self.state.get(ident) if self.state is not None else {}) or {}
            entries.append({"id": ident, "name": device.name if device else ident, "state": st or None})
            if not st or (asked and "state" not in st):
                unknown.append(ident)
            elif asked and st.get("state") == asked:
                matching.append(ident)
        out: dict[str, Any] = {"devices": entries}
        if asked:
            out.update(asked=asked, matching=matching, unknown=unknown,
                       answer="yes" if matching else "unknown" if unknown else "no")
        if intent.slots.get("measure"):
            out["measure"] = intent.slots["measure"]
        return out


def _plain(slots: dict[str, Any]) -> dict[str, Any]:
    """Slots usable as template values (lists become comma-joined text)."""
    return {k: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in slots.items()}


def _slot_names(sentences, intent: str) -> set[str]:
    """Slot names any sentence of ``intent`` captures or fixes."""
    names: set[str] = set()
    for s in sentences:
        if s.intent == intent:
            names.update(slot.name for slot in slot_refs(s.tree))
            names.update(s.fixed)
    return names

