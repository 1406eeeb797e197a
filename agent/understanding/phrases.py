"""What can I say? Example commands for each device, made from the home's own templates.

Each intent a device can do is written out from its sentence templates with the device's
own name, room and values filled in ("turn on kitchen light", "set bedroom lamp to 50");
an example is listed only when the agent, asked, understands it as that intent on that
device. So the listing is never a promise the agent does not keep.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Device
from ..devices import TYPES
from ..normalize import tokens
from .resolve import needs_targets
from .template_engine import TemplateEngine
from .templates import Alt, Node, Seq, Slot, Word

NUMBERS = {"percentage": "50", "temperature": "21", "integer": "5", "number": "5"}
"""Example values for number slots."""


@dataclass(frozen=True, slots=True)
class Examples:
    intent: str
    phrases: tuple[str, ...]


def _has_device(node: Node) -> bool:
    if isinstance(node, Slot):
        return node.list_name in ("device", "name")
    if isinstance(node, Seq):
        return any(_has_device(i) for i in node.items)
    if isinstance(node, Alt):
        return any(_has_device(o) for o in node.options)
    return False


class _Filler:
    """Values for the slots of one device's examples."""

    def __init__(self, engine: TemplateEngine, device: Device | None) -> None:
        self.engine = engine
        self.device = device
        reg = engine.registry
        self.area = reg.areas.get(device.area) if device and device.area else None
        self.floor = reg.floors.get(self.area.floor) if self.area and self.area.floor else None
        self.named = False
        """The device was named already in the sentence being written (name it once)."""

    def slot(self, slot: Slot) -> tuple[str, ...] | None:
        d = self.device
        kind = slot.list_name
        if kind in ("device", "name"):
            self.named = True
            return tokens(d.name, fragment=True) if d else None
        if kind == "area":
            return tokens(self.area.name, fragment=True) if self.area else None
        if kind == "floor":
            return tokens(self.floor.name, fragment=True) if self.floor else None
        if kind in NUMBERS:
            return (NUMBERS[kind],)
        if kind == "duration":
            return ("10", "minutes")
        if kind == "color":
            return ("red",)
        if kind == "state" and d is not None and TYPES[d.type].states:
            return (TYPES[d.type].states[0],)
        if kind == "measure" and d is not None and d.type == "sensor" and d.device_class:
            return tuple(d.device_class.split("_"))
        if kind == "source" and d is not None and d.sources:
            return tokens(d.sources[0], fragment=True)
        user = self.engine.intents.lists.get(kind)
        if user is not None and user.values:
            return user.values[0][0]
        if user is not None and user.number_range:
            return (str(int(user.number_range[0])),)
        return None

    def realize(self, node: Node) -> tuple[str, ...] | None:
        """The shortest words for ``node`` that name the device when the template can."""
        if isinstance(node, Word):
            return (node.text,)
        if isinstance(node, Slot):
            return self.slot(node)
        if isinstance(node, Seq):
            out: tuple[str, ...] = ()
            for item in node.items:
                part = self.realize(item)
                if part is None:
                    return None
                out += part
            return out
        if isinstance(node, Alt):
            options = list(node.options)
            if self.device is not None:  # an option naming the device first
                options.sort(key=lambda o: not _has_device(o))
                if node.optional and not self.named and _has_device(options[0]):
                    got = self.realize(options[0])
                    if got is not None:
                        return got
            if node.optional:
                return ()
            for option in options:
                got = self.realize(option)
                if got is not None:
                    return got
            return None
        return None


def device_intents(engine: TemplateEngine, device: Device) -> list[str]:
    """Intents with sentences that this device can act on, in the intent files' order."""
    own = TYPES[device.type].intents
    out = []
    for name, spec in engine.intents.intents.items():
        if name in own or device.type in spec.types:
            out.append(name)
    return out


def examples(engine: TemplateEngine, device: Device | None, per_intent: int = 3) -> list[Examples]:
    """Checked example commands for ``device`` (None: the intents that need no device)."""
    filler = _Filler(engine, device)
    area = device.area if device else engine.config.area
    wanted = device_intents(engine, device) if device else [
        n for n, spec in engine.intents.intents.items() if not needs_targets(n, spec)]
    out = []
    for intent in wanted:
        seen: dict[str, None] = {}
        for sentence in engine.sentences:
            if sentence.intent != intent:
                continue
            filler.named = False
            words = filler.realize(sentence.tree)
            if not words:
                continue
            text = " ".join(words)
            if text in seen:
                continue
            got = engine.understand(text, area=area)
            if got.name == intent and (device is None or device.id in got.targets):
                seen[text] = None
        name = " ".join(tokens(device.name, fragment=True)) if device else ""
        # naming the device, then starting with the verb ("turn on x" before "x on"), then in
        # the intent file's order (its first sentences are the plainest)
        order = {t: i for i, t in enumerate(seen)}
        phrases = sorted(seen, key=lambda t: (name not in t, bool(name) and t.startswith(name), order[t]))
        if phrases:
            out.append(Examples(intent, tuple(phrases[:per_intent])))
    return out
