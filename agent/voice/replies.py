"""What the agent says: reply templates from the intent files, rendered for what happened.

Intent files carry the words (``replies:`` at the top of a file for the general cases, and
under an intent for that intent); a later file overrides an earlier one key by key, and
only files in the config's ``language`` count (any file when none is in it). A reply is
one template or a list of variants; the variant is picked from the utterance, so the
same words get the same reply and different words vary.

:class:`Replier` is pure: a :class:`~agent.acting.planner.Plan` (or an event's facts) in, a
:class:`Reply` out. ``parse`` and the daemon use the same one, so ``parse``'s ``"reply"``
is exactly what ``run`` would say.
"""

from __future__ import annotations

import re
import string
import zlib
from dataclasses import dataclass
from typing import Any, Iterable

from ..acting.confirm import answer_word
from ..config import Config, Device, suggest
from ..errors import ConfigError
from ..understanding.intents import BUILTIN_SLOTS, IntentSet
from ..understanding.templates import slot_refs
from . import phrases

KEYS = {
    # what happened to an action
    "done": "a command was carried out (spoken when acknowledge is 'speech' or the devices are in another room)",
    "confirm": "the question before acting on a confirm: true device",
    "confirmed": "after the 'yes'",
    "confirm_cancelled": "after a 'no'",
    "confirm_timeout": "no 'yes' came in time",
    "cancelled": "'cancel' / 'never mind'",
    "nothing_to_confirm": "a 'yes' when nothing was asked",
    # failures
    "not_understood": "the words were not understood (keep it short; give variants)",
    "refused": "a value outside a device's min/max",
    "unsupported": "the device cannot do that, or has no MQTT settings",
    "unavailable": "the command could not be delivered in time (broker away, queue full)",
    "unconfirmed": "the broker never confirmed the command",
    "rate_limited": "the device was commanded too recently",
    "failed": "any other failure",
    # clarifying questions (the answer, said without a wake phrase, completes the command)
    "which_one": "the words fit several devices: {options} lists them",
    "which_room": "the command needs a room and none was said (or 'here' has no area)",
    "which_color": "a colour change with no colour said",
    # answers (get_state)
    "state": "one device's known state",
    "value": "one device's reading (a measure)",
    "yes": "yes to 'is X on?'",
    "no": "no to 'is X on?'",
    "some": "'which lights are on?' and some are",
    "none": "'are any lights on?' and none is",
    "unknown": "'is X on?' before X reported its state",
    "unknown_state": "'what is X doing?' before X reported its state",
}

FIELDS = {"targets", "name", "names", "area", "where", "state", "actual", "value", "count", "total",
          "things", "is", "are", "has", "text", "reason", "what", "low", "high", "unit", "said", "measure",
          "intent", "options"}
"""Placeholders a reply may use, besides the intent's slots."""

DEFAULTS = {
    "not_understood": ("Sorry, I didn't understand.",),
    "done": ("Done.",),
    "confirm": ("{intent} {targets}?",),
    "confirmed": ("Okay.",),
    "confirm_cancelled": ("Okay, I won't.",),
    "confirm_timeout": ("I didn't hear a yes, so I did nothing.",),
    "cancelled": ("Okay.",),
    "nothing_to_confirm": ("There is nothing to say yes to.",),
    "which_one": ("Which one: {options}?",),
    "which_room": ("Which room?",),
    "which_color": ("Which colour?",),
    "refused": ("{name} takes {what} from {low} to {high}, not {said}.",),
    "unsupported": ("I can't do that with {targets}.",),
    "unavailable": ("I couldn't reach {targets}.",),
    "unconfirmed": ("I'm not sure {targets} got that.",),
    "rate_limited": ("I changed {targets} a moment ago; try again shortly.",),
    "failed": ("That didn't work.",),
    "state": ("{name} {is} {state}.",),
    "value": ("{name} {is} {value}.",),
    "yes": ("Yes, {targets} {is} {actual}.",),
    "no": ("No, {targets} {is} {actual}.",),
    "some": ("{count} {things} {are} {state}{where}: {names}.",),
    "none": ("No {things} {are} {state}{where}.",),
    "unknown": ("I don't know yet whether {targets} {is} {state}.",),
    "unknown_state": ("I don't know the state of {targets} yet.",),
}
"""Last resort when no intent file has the key (a config with only its own intents)."""

_REFUSED = re.compile(r"^(?P<name>.+) accepts (?P<what>\w+) (?P<low>-?[\d.]*)-(?P<high>-?[\d.]*)"
                      r"(?: (?P<unit>[CF]))?, not (?P<said>.+)$")
"""The resolver's reason for a value outside ``min``/``max`` (agent/understanding/resolve.py)."""

_WHICH = re.compile(r"^which one(?:\? name the device \((?P<a>[^)]*)\)|: (?P<b>.*)\?)$")
"""The understander's clarifying reasons (agent/understanding/bare_verb.py, agent/understanding/followup.py): the device names."""
_WHICH_ROOM = ("which room?", "'here' is not known")
_WHICH_COLOR = "which colour?"

_TYPE_WORDS = {"cabin_light": "light", "binary_sensor": "sensor", "media_player": "media player",
               "climate": "thermostat", "seat_heater": "seat heater"}


@dataclass(frozen=True, slots=True)
class Reply:
    """What the agent says (and plays) in answer to one utterance or event."""

    text: str | None
    """The words; None when it says nothing (a sound only, or silence)."""
    sound: bool = False
    """Play the acknowledgement sound."""
    kind: str = ""
    """Which reply key produced it (``done``, ``confirm``, ``not_understood``, ``ack`` ...)."""

    @property
    def silent(self) -> bool:
        return self.text is None and not self.sound


SILENT = Reply(None)


class ReplyBook:
    """The checked templates of a config's intent files: (intent or None, key) -> variants."""

    def __init__(self, intents: IntentSet, language: str = "en") -> None:
        problems: list[str] = []
        sources = [s for s in intents.replies if s.language == language] or list(intents.replies)
        allowed = FIELDS | set(BUILTIN_SLOTS) | set(intents.lists)
        for sentence in intents.sentences:
            allowed |= {slot.name for slot in slot_refs(sentence.tree)} | set(sentence.fixed)
        self.entries: dict[tuple[str | None, str], tuple[str, ...]] = {}
        for src in sources:
            for key, value in src.entries.items():
                line = src.entries.line_of(key) if hasattr(src.entries, "line_of") else src.line
                where = f"{src.file}:{line}: " + (f"intents.{src.intent}." if src.intent else "") + f"replies.{key}"
                if isinstance(key, bool) or key in ("True", "False"):
                    word = "yes" if key in (True, "True") else "no"
                    problems.append(f"{where}: YAML reads an unquoted yes/no key as true/false; quote the key: "
                                    f"\"{word}\": ...")
                    continue
                if key not in KEYS:
                    problems.append(f"{where}: unknown reply{suggest(str(key), KEYS)}; one of: {', '.join(KEYS)}")
                    continue
                variants = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else None
                if not variants or not all(isinstance(v, str) and v.strip() for v in variants):
                    problems.append(f"{where}: expected a reply text or a list of them")
                    continue
                for v in variants:
                    try:
                        names = {f for _, f, _, _ in string.Formatter().parse(v) if f is not None}
                    except ValueError as exc:
                        problems.append(f"{where}: {exc} in {v!r} (write {{{{ and }}}} for literal braces)")
                        continue
                    for name in sorted(names):
                        base = re.split(r"[.\[!:]", name)[0]
                        if not base or base not in allowed:
                            problems.append(f"{where}: unknown placeholder {{{name}}}{suggest(base, allowed)}")
                self.entries[(src.intent, key)] = variants
        if problems:
            raise ConfigError(problems)

    def variants(self, intent: str | None, key: str) -> tuple[str, ...]:
        """The intent's own, else the general ones, else the built-in last resort."""
        return (self.entries.get((intent, key)) if intent else None) or self.entries.get((None, key)) \
            or DEFAULTS.get(key, ())


class Replier:
    def __init__(self, config: Config, intents: IntentSet, *, acknowledge: str = "sound") -> None:
        self.config = config
        self.book = ReplyBook(intents, config.language)
        self.acknowledge = acknowledge
        self.devices: dict[str, Device] = {d.id: d for d in config.devices}
        self.area_names = {a.id: a.name for a in config.areas}
        self.floor_names = {f.id: f.name for f in config.floors}

    def fixed_texts(self) -> tuple[str, ...]:
        """Replies without placeholders ("Okay.", "Sorry, I didn't get that."): the voice
        prepares them at start, so they play at once."""
        out = []
        for variants in list(self.book.entries.values()) + list(DEFAULTS.values()):
            out += [_sentence(v) for v in variants if "{" not in v]
        return tuple(dict.fromkeys(out))

    def rebuilt(self, config: Config, intents: IntentSet | None = None) -> "Replier":
        from ..understanding.intents import load_intents
        return Replier(config, intents if intents is not None else load_intents(config.intents),
                       acknowledge=self.acknowledge)

    # ------------------------------------------------------------------ rendering
    def say(self, key: str, intent: str | None, seed: str, /, **values: Any) -> Reply:
        """The first variant (starting from one picked by ``seed``) whose placeholders are all known."""
        options = self.book.variants(intent, key)
        if not options:
            return SILENT
        start = zlib.crc32(f"{key}|{seed}".encode("utf-8")) % len(options)
        for i in range(len(options)):
            text = _fill(options[(start + i) % len(options)], values)
            if text is not None:
                return Reply(_sentence(text), kind=key)
        return SILENT

    def names(self, ids: Iterable[str]) -> str:
        return phrases.join(phrases.spoken_name(self.devices.get(i), i) for i in dict.fromkeys(ids))

    def _base(self, intent: str | None, slots: dict[str, Any], ids: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {k: _plain(v) for k, v in (slots or {}).items()}
        many = len(ids) > 1 or (len(ids) == 1 and phrases.plural(self.names(ids)))
        values.update(targets=self.names(ids), intent=(intent or "").replace("_", " "),
                      **{"is": "are" if many else "is", "has": "have" if many else "has"})
        if ids:
            values["name"] = phrases.spoken_name(self.devices.get(ids[0]), ids[0])
        area = slots.get("area") if slots else None
        if isinstance(area, str) and area in self.area_names:
            values["area"] = self.area_names[area].lower()
        return values

    # ------------------------------------------------------------------ cases
    def for_plan(self, plan: Any, *, area: str | None = None) -> Reply:
        """The reply to an understood (or not) utterance, from its plan. Devices with
        ``confirm: true`` are asked about; ``area`` is where the speaker is (default: the
        config's), which decides between the acknowledgement sound and words."""
        intent = plan.intent
        if not intent.understood:
            return self.not_understood(intent.text, intent.reason)
        name = intent.name or ""
        if name == "cancel":
            return self.say("cancelled", name, intent.text)
        if name == "get_state":
            return self.answer(intent, plan.answer or {})
        held = [d for d in dict.fromkeys(a.device for a in plan.actions)
                if d in self.devices and self.devices[d].confirm]
        acted = list(dict.fromkeys(a.device for a in plan.actions if a.device and a.device not in held))
        failed = [p.device for p in plan.problems if p.device]
        parts: list[Reply] = []
        if acted or (plan.actions and not held):
            parts.append(self._done(intent, acted, area))
        if failed or (plan.problems and not plan.actions):
            key = "unsupported" if all(p.code in ("unsupported", "no-mqtt", "out-of-range")
                                       for p in plan.problems) else "failed"
            parts.append(self.say(key, name, intent.text, **self._base(name, intent.slots, failed)))
        if held:
            parts.append(self.say("confirm", name, intent.text, **self._base(name, intent.slots, held)))
        return _combine(parts)

    def for_reading(self, reading: Any, plans: list[Any], *, area: str | None = None) -> Reply:
        """The reply to a whole utterance: each command's reply in order, and a word about
        the part that was not understood."""
        if not plans:
            return self.not_understood(reading.text, reading.reason)
        return self.for_plans(plans, area=area, unknown=tuple(getattr(reading, "unknown", ())))

    def for_plans(self, plans: list[Any], *, area: str | None = None,
                  unknown: tuple[tuple[str, str], ...] = ()) -> Reply:
        """Several commands of one utterance: their replies in order (one acknowledgement
        sound for all that need only a sound), then the part not understood, if any."""
        parts = [self.for_plan(p, area=area) for p in plans]
        if unknown:
            parts.append(self.not_understood(*unknown[0]))
        return _combine(parts)

    def _done(self, intent: Any, acted: list[str], area: str | None) -> Reply:
        here = area or self.config.area
        local = bool(acted) and all(self.devices.get(d) is not None and self.devices[d].area == here for d in acted)
        if (local or not acted) and self.acknowledge != "speech":
            return Reply(None, sound=self.acknowledge == "sound", kind="ack")
        return self.say("done", intent.name, intent.text, **self._base(intent.name, intent.slots, acted))

    def not_understood(self, text: str, reason: str = "") -> Reply:
        m = _REFUSED.match(reason or "")
        if m:
            device = next((d for d in self.devices.values() if d.name == m["name"]), None)
            unit = {"temperature": " degrees", "brightness": " percent", "position": " percent"}.get(m["what"], "")
            said = re.sub(r"\s*[CF]$", "", m["said"])
            return self.say("refused", None, text, name=phrases.spoken_name(device, m["name"]), what=m["what"],
                            low=m["low"] + unit if m["low"] else "the lowest", high=m["high"] + unit if m["high"]
                            else "the highest", said=said + unit, unit=unit.strip(),
                            targets=phrases.spoken_name(device, m["name"]))
        if answer_word(text) == "yes":
            return self.say("nothing_to_confirm", None, text, text=text)
        which = _WHICH.match(reason or "")
        if which:
            names = [n.strip() for n in (which["a"] or which["b"] or "").split(",") if n.strip() and n.strip() != "..."]
            by_name = {d.name: d for d in self.devices.values()}
            options = phrases.join([phrases.spoken_name(by_name.get(n), n) for n in names], "or")
            return self.say("which_one", None, text, text=text, options=options)
        if (reason or "").startswith(_WHICH_ROOM):
            return self.say("which_room", None, text, text=text)
        if (reason or "").startswith(_WHICH_COLOR):
            return self.say("which_color", None, text, text=text)
        return self.say("not_understood", None, text, text=text, reason=reason)

    def answer(self, intent: Any, answer: dict[str, Any]) -> Reply:
        entries = answer.get("devices") or []
        ids = [e["id"] for e in entries]
        base = self._base("get_state", intent.slots, ids)
        seed = intent.text
        asked = answer.get("asked")
        if asked:
            state = phrases.state_word(str(asked))
            matching, unknown = answer.get("matching") or [], answer.get("unknown") or []
            base.update(state=state, where=self._where(intent.slots, ids), total=phrases.count_word(len(ids)))
            if len(ids) == 1:
                device = self.devices.get(ids[0])
                described = phrases.describe(device, entries[0].get("state") or {})
                if answer.get("answer") == "yes":  # "Yes, the thermostat is on, set to 21.5 degrees."
                    return self.say("yes", "get_state", seed, **base, actual=described or state)
                if answer.get("answer") == "unknown":
                    return self.say("unknown", "get_state", seed, **base)
                actual = described or f"not {state}"
                return self.say("no", "get_state", seed, **base, actual=actual)
            if matching:
                n = len(matching)
                base.update(count=phrases.count_word(n), names=self.names(matching),
                            things=self._things(matching, n), are="is" if n == 1 else "are")
                return self.say("some", "get_state", seed, **base)
            if unknown:
                base["targets"] = self.names(unknown)
                base["is"] = "are" if len(unknown) > 1 or phrases.plural(base["targets"]) else "is"
                return self.say("unknown", "get_state", seed, **base)
            base.update(things=self._things(ids, 2), are="are", count="no")
            return self.say("none", "get_state", seed, **base)
        measure = answer.get("measure")
        said: list[str] = []
        unknown_ids: list[str] = []
        sensed = any(self.devices.get(e["id"]) is not None and self.devices[e["id"]].type == "sensor"
                     and e.get("state") for e in entries)
        for e in entries[:4]:
            device = self.devices.get(e["id"])
            st = e.get("state") or {}
            if sensed and device is not None and device.type == "climate" and "current_temperature" not in st:
                continue  # "how warm is it": the room's reading answers it, not the thermostat's set point
            one = dict(base, name=phrases.spoken_name(device, e["id"]), targets=phrases.spoken_name(device, e["id"]),
                       **{"is": "are" if phrases.plural(phrases.spoken_name(device, e["id"])) else "is"})
            value = phrases.reading(device, st, measure) if measure or (device and device.type == "sensor") else None
            if value is not None:
                said.append(self.say("value", "get_state", seed, **one, value=value, measure=measure or "").text or "")
                continue
            words = None if measure else phrases.describe(device, st)
            if words is None:
                unknown_ids.append(e["id"])
                continue
            said.append(self.say("state", "get_state", seed, **one, state=words).text or "")
        if unknown_ids:
            base.update(targets=self.names(unknown_ids),
                        **{"is": "are" if len(unknown_ids) > 1 or phrases.plural(self.names(unknown_ids)) else "is"},
                        what=str(measure or "state").replace("_", " "))
            said.append(self.say("unknown_state", "get_state", seed, **base).text or "")
        text = " ".join(s for s in said if s)
        return Reply(text or None, kind="state" if text else "")

    def confirm_result(self, result: str, intent: str, devices: list[str], text: str,
                       slots: dict[str, Any] | None = None) -> Reply:
        """After the question: ``confirmed``, ``cancelled``, ``timeout`` (``superseded``: the new words speak)."""
        key = {"confirmed": "confirmed", "cancelled": "confirm_cancelled", "timeout": "confirm_timeout"}.get(result)
        if key is None:
            return SILENT
        return self.say(key, intent, text, **self._base(intent, slots or {}, devices))

    def failure(self, code: str, devices: list[str], intent: str | None = None, seed: str = "") -> Reply:
        """An action that failed after it was planned (events from the outbox)."""
        key = {"action-stale": "unavailable", "queue-full": "unavailable", "action-unconfirmed": "unconfirmed",
               "rate-limited": "rate_limited", "publish-refused": "failed", "topic-not-allowed": "failed",
               "publish-failed": "failed",
               "confirm-stale": "unavailable"}.get(code)
        if key is None:
            return SILENT
        return self.say(key, intent, seed or code, **self._base(intent, {}, devices))

    # ------------------------------------------------------------------ helpers
    def _where(self, slots: dict[str, Any], ids: list[str]) -> str:
        """`` in the living room``: the area (or floor) asked about, else the one every device is in."""
        area, floor = slots.get("area"), slots.get("floor")
        if not isinstance(area, str):
            areas = {self.devices[i].area for i in ids if i in self.devices}
            area = areas.pop() if len(areas) == 1 and len(ids) > 1 else None
        if isinstance(area, str) and area in self.area_names:
            return f" in the {self.area_names[area].lower()}"
        if isinstance(floor, str) and floor in self.floor_names:
            return f" on the {self.floor_names[floor].lower()}"
        return ""

    def _things(self, ids: list[str], n: int) -> str:
        words = {self._type_word(self.devices[i]) for i in ids if i in self.devices}
        word = words.pop() if len(words) == 1 else "device"
        if n == 1:
            return word
        return word if word.endswith("s") else word + "s"

    @staticmethod
    def _type_word(d: Device) -> str:
        if d.type in ("cover", "switch", "binary_sensor", "sensor") and d.device_class:
            return d.device_class.replace("_", " ")
        if d.type == "person":
            return "person"
        return _TYPE_WORDS.get(d.type, d.type.replace("_", " "))


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return phrases.number(value)
    return value


def _fill(template: str, values: dict[str, Any]) -> str | None:
    try:
        return template.format_map(_Strict(values))
    except (KeyError, IndexError, AttributeError, ValueError):
        return None


class _Strict(dict):
    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.?!:;])", r"\1", text)
    return text[:1].upper() + text[1:] if text else text


def _combine(parts: list[Reply]) -> Reply:
    texts = [p.text for p in parts if p.text]
    if texts:
        return Reply(" ".join(texts), sound=False, kind=parts[-1].kind if parts[-1].text else parts[0].kind)
    if any(p.sound for p in parts):
        return Reply(None, sound=True, kind="ack")
    return Reply(None, kind=parts[0].kind if parts else "")
