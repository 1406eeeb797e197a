"""From one utterance in a conversation to the commands it holds, in the order said.

:class:`Dialogue` sits on top of an understander (templates, or templates then the model):

1. a phrase that only refers back ("undo that", "a bit more", "again", "no, the other one",
   "stop") is read against the site's last turn (:mod:`agent.understanding.conversation`);
2. the whole utterance, by the templates, exactly; "it"/"them" mean the last turn's devices,
   and a sentence naming no device ("brighter") acts on them when they are of its kind;
3. a follow-up naming only a target ("and the kitchen too") repeats the last command there,
   and a value alone ("no, red", "22") repeats it with that value;
4. an utterance with joints ("and", "then", commas) is read part by part: a part missing its
   verb borrows it from its neighbour ("turn off the tv and the lights"), words said once
   after the last part apply to earlier ones ("set the lamp and the fan to 30 percent"),
   a part the templates miss goes to the understander (the model, when configured);
5. otherwise the whole utterance goes to the understander (fuzzy names, the model).

When only some parts are understood, those run and each other part is reported as not
understood (:attr:`Reading.unknown`): nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable, Protocol, Sequence

from ..messages import Intent
from .compound import join, pieces
from .conversation import DEFAULT_WINDOW, Change, Memory, Turn
from .followup import OPPOSITE, Fragments, others, phrase_kind, ref_of, refers_back, strip_too
from .registry import DeviceRef
from .resolve import WHICH_COLOR, resolve, supports
from .stage import Understander, check_text
from .template_engine import Parse, TemplateEngine
from .undo import undo

class Planned(Protocol):
    """What remembering a turn needs of each command's plan (:class:`agent.acting.planner.Plan`)."""

    effects: dict[str, dict[str, Any]]
    """device id -> the state the command sets on it."""
    intent: Intent
    """The command as planned ("a different colour" with the colour chosen)."""


_NO_COLOUR_TARGET = "nothing named before it can change colour: say which lights ('make the lamp blue')"

MAX_PARTS = 6
"""More pieces than this are not tried as a compound (nobody says seven commands at once)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What one utterance asked for."""

    text: str
    commands: tuple[Intent, ...] = ()
    """Understood commands, in the order said (empty: nothing understood)."""
    unknown: tuple[tuple[str, str], ...] = ()
    """Parts of a compound utterance that were not understood: ``(words, why)``."""
    reason: str = ""
    """Why nothing was understood (when ``commands`` is empty)."""

    @property
    def first(self) -> Intent:
        """The first command, or a not-understood intent carrying the reason."""
        return self.commands[0] if self.commands else Intent(self.text, None, reason=self.reason)


@dataclass(slots=True)
class _Part:
    toks: tuple[str, ...]
    intent: Intent | None = None
    parse: Parse | None = None
    toks_used: tuple[str, ...] = field(default=())
    bare: bool = False
    """The part only names a target ("... and the fan")."""
    whole: tuple[str, ...] = ()
    """The part with the words it shares with the part before ("turn on" + "the fan")."""
    recalled: bool = False
    """Understood only as the last turn's command again (a name alone, nothing before it)."""


class Dialogue:
    """Reads utterances against per-site conversation memory (time is a parameter)."""

    def __init__(self, understander: Understander, memory: Memory | None = None,
                 window: float = DEFAULT_WINDOW) -> None:
        self.understander = understander
        templates = getattr(understander, "templates", understander)
        if not isinstance(templates, TemplateEngine):
            raise TypeError("a Dialogue needs a TemplateEngine (or a router holding one)")
        self.templates: TemplateEngine = templates
        self.registry = templates.registry
        self.specs = templates.intents.intents
        self.fragments = Fragments(self.registry, self.specs)
        self.memory = memory if memory is not None else Memory(window)
        self._memo: dict = {}
        templates.prepare_refs()  # the first follow-up must not pay for it

    # ------------------------------------------------------------------ reading
    def read(self, text: str, *, area: str | None = None, site: Hashable = None,
             now: float = 0.0) -> Reading:
        """The commands in ``text`` said at ``now`` by ``site`` (default: the area's satellite)."""
        text = check_text(text)
        key = site if site is not None else area
        turn = self.memory.last(key, now)
        toks = self.templates.words(text)
        if not toks:
            return Reading(text, reason="nothing to understand")
        kind = phrase_kind(toks)
        if kind is not None:
            if turn is None and kind != "stop":
                return Reading(text, reason=f"nothing was said here in the last {self.memory.window:g} s "
                                            "to refer to")
            if turn is not None:
                commands, why = self._refer(kind, turn, text, area)
                if commands or kind != "stop":
                    return Reading(text, tuple(commands), reason=why)
        ref = ref_of(turn.targets) if turn is not None else None
        self._memo = {}
        parts, joints = pieces(text, self.templates.names)
        if 1 < len(parts) <= MAX_PARTS:
            # every part a command of its own ("turn off the tv then open the blinds"): no
            # need to try the whole as one command, which costs most with many devices
            alone = self._standalone(parts, area, ref)
            if alone is not None:
                return Reading(text, alone)
        whole = self.templates.parse(toks, text, area, ref=ref, fuzzy=False)
        if not whole.intent.understood and strip_too(toks) != toks:
            whole = self.templates.parse(strip_too(toks), text, area, ref=ref, fuzzy=False)
        if whole.intent.understood:
            return Reading(text, (whole.intent,))
        if turn is not None:
            got = self.fragments.apply(turn.last, toks, text, area) or \
                self.fragments.correct(turn, toks, text)
            if got is not None:
                return Reading(text, (got,))
        if 1 < len(parts) <= MAX_PARTS:
            reading = self._compound(text, parts, joints, turn, area)
            if reading is not None:
                return reading
        if refers_back(toks):
            # the model does not know the conversation: what "it" is would be its guess
            return Reading(text, reason=(f"'{text}' refers to an earlier command, but nothing said here in the "
                                         f"last {self.memory.window:g} s fits it") if turn is None else
                           f"could not apply '{text}' to the last command")
        got = self.understander.understand(text, area=area)
        return Reading(text, (got,) if got.understood else (), reason=got.reason)

    def _compound(self, text: str, parts: list[tuple[str, ...]], joints: list[tuple[str, ...]],
                  turn: Turn | None, area: str | None) -> Reading | None:
        ref = ref_of(turn.targets) if turn is not None else None
        last: Intent | None = turn.last if turn is not None else None
        last_parse: _Part | None = None
        out: list[_Part | None] = []
        i = 0
        while i < len(parts):
            part = _Part(parts[i])
            step = 1
            # a part that only names a target is not tried alone first (with hundreds of
            # devices that costs a millisecond, and it never stands alone)
            bare = part.bare = last_parse is not None and bool(self.fragments.readings(part.toks))
            if not bare:
                self._try(part, part.toks, area, ref)
            if part.intent is None and last_parse is not None:
                # "turn off the tv and the lights": the verb said once, for both
                pre, post = _around(last_parse)
                part.whole = pre + part.toks + post if bare else ()
                for cand in (pre + part.toks + post, pre + part.toks) + ((part.toks,) if bare else ()):
                    if (cand != part.toks or bare) and self._try(part, cand, area, ref):
                        break
            if part.intent is None and last is not None:
                got = self.fragments.apply(last, part.toks, " ".join(part.toks), area)
                if got is not None:
                    part.intent = got
                    part.recalled = all(p.intent is None for p in out)  # ``last`` is the last turn's
            if part.intent is None and i + 1 < len(parts):
                # a device whose name holds "and"; then words said once at the end
                # ("set the lamp and the fan to 30 percent")
                both = join(parts, joints, i, i + 2)
                if self._try(part, both, area, ref):
                    step = 2
                else:
                    nxt = _Part(parts[i + 1])
                    if self._try(nxt, nxt.toks, area, ref) and nxt.parse is not None:
                        pre, post = _around(nxt)
                        for cand in (part.toks + post, pre + part.toks + post):
                            if cand != part.toks and self._try(part, cand, area, ref):
                                break
            if part.intent is not None:
                last = part.intent
                ref = ref_of(part.intent.targets) or ref
                if part.parse is not None:
                    last_parse = part
            out.append(part if part.intent is not None else _Part(parts[i], bare=bare, whole=part.whole))
            i += step
        self._room_for_all(out, area, ref)
        commands: list[Intent] = []
        unknown: list[tuple[str, str]] = []
        for part in out:
            if part.intent is not None:
                commands.append(part.intent)
                continue
            said = " ".join(part.toks)
            ask = " ".join(part.whole or part.toks)   # "the curtains" as "turn on the curtains"
            got = Intent(said, None, reason="it refers to an earlier command that does not fit") \
                if refers_back(part.toks) else self.understander.understand(ask, area=area)  # fuzzy, model
            if got.understood:
                commands.append(got)
            else:
                unknown.append((said, got.reason or "not understood"))
        if unknown and any(part.recalled for part in out):
            # a name that repeats the last turn's command, among words that are not
            # understood ("flat, thermostat, toy, tv": a mishearing of "set the thermostat
            # to 19 degrees" after "set the heating to 21") is a guess: nothing is done
            return Reading(text, (), tuple(unknown) + tuple((" ".join(p.toks), "said among words not understood")
                                                            for p in out if p.recalled),
                           reason="parts of this were not understood; a name alone among them is not "
                                  "taken as a follow-up")
        if not commands:
            return None  # no part stands alone: maybe one command after all ("salt and pepper lamp")
        devices = self.registry.devices
        if not any(supports(devices[t], "set_color", self.specs.get("set_color")) for t in commands[-1].targets
                   if t in devices):
            # "turn on the tv and change the colour": asking "which colour?" would colour lights
            # nobody named once answered
            unknown = [(said, _NO_COLOUR_TARGET if why == WHICH_COLOR else why) for said, why in unknown]
        return Reading(text, tuple(commands), tuple(unknown))

    def _room_for_all(self, out: list[_Part], area: str | None, ref: DeviceRef | None) -> None:
        """"Turn on the lamp and the fan in the bedroom": a room said after the last of several
        targets that share one verb is where all of them are (when they are there)."""
        if len(out) < 2 or not out[-1].bare:
            return
        room = self.fragments.loc_suffix(out[-1].toks)
        j = len(out) - 2
        while room and j >= 0 and out[j + 1].bare:
            part = out[j]
            if part.parse is not None and part.toks_used[-len(room):] != room:
                there = _Part(part.toks, bare=part.bare)
                if self._try(there, part.toks_used + room, area, ref):
                    out[j] = there
            j -= 1

    def _standalone(self, parts: list[tuple[str, ...]], area: str | None,
                    ref: DeviceRef | None) -> tuple[Intent, ...] | None:
        """Each part understood on its own, in order ("it" meaning the part before); else None."""
        out: list[Intent] = []
        for n, toks in enumerate(parts):
            if n and self.fragments.readings(toks):
                return None  # "... and the lights": a part that only names a target
            part = _Part(toks)
            if not self._try(part, toks, area, ref):
                return None
            out.append(part.intent)
            ref = ref_of(part.intent.targets) or ref
        return tuple(out)

    def _try(self, part: _Part, toks: tuple[str, ...], area: str | None, ref: DeviceRef | None) -> bool:
        key = (toks, ref.ids if ref is not None else None)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self.templates.parse(toks, " ".join(toks), area, ref=ref, fuzzy=False)
        if got.intent.understood:
            part.intent, part.parse, part.toks_used = got.intent, got, toks
            return True
        return False

    def _refer(self, kind: str, turn: Turn, text: str, area: str | None) -> tuple[list[Intent], str]:
        last = turn.last
        if kind == "undo":
            return undo(turn, self.registry.devices, text)
        if kind in ("more", "less"):
            if last.name not in OPPOSITE:
                return [], f"'{text}' needs a step to repeat; the last command was " \
                           f"{(last.name or '').replace('_', ' ')}"
            name = last.name if kind == "more" else OPPOSITE[last.name]
            return [Intent(text, name, last.targets, dict(last.slots), "context", 1.0)], ""
        if kind == "again":
            return [Intent(text, c.name, c.targets, dict(c.slots), "context", 1.0)
                    for c in turn.asked or turn.commands], ""
        if kind == "stop":
            res = resolve(self.registry, "stop", self.specs.get("stop"), {"device": ref_of(turn.targets)}, area)
            if res.error or not res.targets:
                return [], res.error
            return [Intent(text, "stop", res.targets, res.slots, "context", 1.0)], ""
        # "no, the other one"
        other = others(self.registry, last, self.specs.get(last.name or ""))
        if isinstance(other, str):
            return [], other
        commands: list[Intent] = []
        back, _ = undo(turn, self.registry.devices, text)
        commands.extend(back)
        commands.append(Intent(text, last.name, other, dict(last.slots), "context", 1.0))
        return commands, ""

    # ------------------------------------------------------------------ remembering
    def remember(self, reading: Reading, plans: Sequence[Planned], before: dict[str, dict[str, Any]],
                 *, area: str | None = None, site: Hashable = None, now: float = 0.0) -> None:
        """After acting: ``plans`` (one per command) and the state each device had before."""
        if not reading.commands:
            return
        changes: dict[str, Change] = {}
        for plan in plans:
            for ident, effect in plan.effects.items():
                old = changes.get(ident)
                keys = tuple(dict.fromkeys((old.keys if old else ()) + tuple(effect)))
                changes[ident] = Change(old.before if old else dict(before.get(ident) or {}), keys)
        acted = [p.intent for p in plans] if len(plans) == len(reading.commands) else reading.commands
        commands = tuple(c for c in acted if c.name != "cancel")
        key = site if site is not None else area
        if commands:
            asked = tuple(c for c in reading.commands if c.name != "cancel")
            self.memory.remember(key, Turn(commands, now, changes, asked if len(asked) == len(commands) else ()))
        else:
            self.memory.forget(key)


def _around(part: _Part) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words a part said before and after its target."""
    span = part.parse.span if part.parse is not None else None
    if span is None:
        return (), ()
    return part.toks_used[:span[0]], part.toks_used[span[1]:]
