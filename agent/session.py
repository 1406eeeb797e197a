"""Planning the commands of one utterance in order, and one speaker's conversation outside
the daemon (``parse --session``, ``eval`` conversations).

Each command is planned against the state the commands before it should leave behind
("turn on the lamp and make it brighter" steps from on). A :class:`Session` keeps that
simulated state between utterances (no device reports back there), so "louder" after "set
the volume to 30" and "undo that" behave as they would in the daemon.
"""

from __future__ import annotations

from typing import Any, Hashable, Sequence

from .acting.planner import ActionPlanner, Plan
from .acting.state import StateStore
from .config import Config
from .messages import Intent
from .understanding import Dialogue, Reading, Understander


def plan_in_order(planner: ActionPlanner, state: StateStore, commands: Sequence[Intent], now: float, *,
                  keep: bool) -> tuple[list[Plan], dict[str, dict[str, Any]]]:
    """``(plans, before)``: one plan per command, each seeing its predecessors' effects, and
    what every target was before the first. ``keep=False`` leaves ``state`` as it was (the
    daemon's dispatcher records the effects when it queues the actions)."""
    touched = {t for c in commands for t in c.targets}
    saved = {d: dict(state.assumed[d]) for d in touched if d in state.assumed}
    before: dict[str, dict[str, Any]] = {}
    plans: list[Plan] = []
    token = object()
    for command in commands:
        for ident in command.targets:
            before.setdefault(ident, state.get(ident))
        plan = planner.plan_full(command)
        for ident, effect in plan.effects.items():
            state.assume(ident, effect, token, now)
        plans.append(plan)
    if not keep:
        for ident in touched:
            if ident in saved:
                state.assumed[ident] = saved[ident]
            else:
                state.assumed.pop(ident, None)
    return plans, before


class Session:
    def __init__(self, config: Config, understander: Understander) -> None:
        self.state = StateStore(config)
        self.planner = ActionPlanner(config, self.state, getattr(understander, "intents", None))
        self.dialogue = Dialogue(understander, window=config.understanding.followup_window)

    def say(self, text: str, *, area: str | None = None, site: Hashable = None,
            now: float = 0.0) -> tuple[Reading, list[Plan]]:
        reading = self.dialogue.read(text, area=area, site=site, now=now)
        plans, before = plan_in_order(self.planner, self.state, reading.commands, now, keep=True)
        self.dialogue.remember(reading, plans, before, area=area, site=site, now=now)
        return reading, plans
