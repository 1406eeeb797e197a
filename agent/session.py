"""One speaker's conversation outside the daemon (``parse --session``, ``eval`` conversations).

Plans each command against a simulated state: what the agent's own earlier commands
should have left behind (no device reports back here), so "louder" after "set the volume
to 30" and "undo that" behave as they would in the daemon after the devices confirmed.
"""

from __future__ import annotations

from typing import Any, Hashable

from .actions import ActionPlanner, Plan
from .config import Config
from .dialogue import Dialogue, Reading
from .state import StateStore
from .understand import Understander


class Session:
    def __init__(self, config: Config, understander: Understander) -> None:
        self.state = StateStore(config)
        self.planner = ActionPlanner(config, self.state, getattr(understander, "intents", None))
        self.dialogue = Dialogue(understander, window=config.understanding.followup_window)

    def say(self, text: str, *, area: str | None = None, site: Hashable = None,
            now: float = 0.0) -> tuple[Reading, list[Plan]]:
        reading = self.dialogue.read(text, area=area, site=site, now=now)
        before: dict[str, dict[str, Any]] = {}
        plans: list[Plan] = []
        for n, command in enumerate(reading.commands):
            for ident in command.targets:
                before.setdefault(ident, self.state.get(ident))
            plan = self.planner.plan_full(command)
            for ident, effect in plan.effects.items():
                self.state.assume(ident, effect, (now, n), now)
            plans.append(plan)
        self.dialogue.remember(reading, plans, before, area=area, site=site, now=now)
        return reading, plans
