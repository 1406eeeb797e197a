"""What a config becomes: the understander (templates, then the model), the action planner,
the state store and the dialogue, built together and swapped whole on a reload.

This module sits above the stages it builds (:mod:`agent.understanding`, :mod:`agent.slm`,
:mod:`agent.acting`): they do not import it.
"""

from __future__ import annotations

from .acting.planner import ActionPlanner
from .acting.state import StateStore
from .config import Config
from .understanding import Dialogue, TemplateEngine, Understander


def build_understander(config: Config) -> Understander:
    """The text -> intent stage the config asks for: templates, then (``understanding.slm``)
    a small model for what they miss. The model loads on first need or ``warm_up()``."""
    templates = TemplateEngine(config)
    if not config.understanding.slm.enabled:
        return templates
    from .slm.router import Router  # llama.cpp only when the model is on
    return Router(config, templates)


class Engine:
    """What a config becomes: understander + planner + state store + dialogue."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.understander = build_understander(config)
        # load the small model now: READY=1 means every model is loaded, and the first
        # utterance the templates miss must not pay for the load
        warm_up = getattr(self.understander, "warm_up", None)
        if warm_up is not None:
            warm_up()
        self.state = StateStore(config)
        # a bare "stop" means the device that is doing something: templates read the state
        templates = getattr(self.understander, "templates", self.understander)
        if hasattr(templates, "activity"):
            templates.activity = lambda device_id: self.state.get(device_id).get("state")
        self.planner = ActionPlanner(config, self.state, getattr(self.understander, "intents", None))
        self.devices = {d.id: d for d in config.devices}
        self.dialogue = Dialogue(self.understander, window=config.understanding.followup_window)
        """Compound commands and each site's follow-ups (a satellite is known by its area)."""
