"""Plans as the JSON the ``intent`` event carries."""

from __future__ import annotations

import json
from typing import Any

from ..acting.planner import Plan


def command_json(plan: Plan) -> dict[str, Any]:
    """One command of an utterance: the intent, its targets, slots and actions."""
    i = plan.intent
    return {"intent": i.name, "targets": list(i.targets), "slots": jsonable(i.slots), "engine": i.engine,
            "confidence": i.confidence, "actions": [a.as_json() for a in plan.actions]}


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (tuples and sets as lists, anything else as its text)."""
    return json.loads(json.dumps(value, default=lambda o: list(o) if isinstance(o, (tuple, set)) else str(o)))
