"""Acting: from understood commands to acknowledged publishes.

The public face is below; the modules, in the order an action passes them:

- :mod:`.planner`: an intent on its devices -> the MQTT publishes that carry it out, the
  state it should leave and the answer to a question (the payload styles are
  :mod:`agent.payloads`); numbers are held to their ranges by :mod:`.slot_ranges`;
- :mod:`.state`: the last known state of every device, reported or assumed;
- :mod:`.confirm`: what waits for a "yes" before it goes;
- :mod:`.rate_limit`: at most one command per ``rate_limit`` seconds per device;
- :mod:`.outbox`: actions on their way to the broker, with a time-to-live;
- :mod:`.dispatch`: the sender: outbox -> broker, every drop reported.
"""

from .confirm import Confirmations, Pending, answer_word
from .dispatch import Dispatcher
from .planner import ActionPlanner, Plan
from .state import StateStore

__all__ = ["ActionPlanner", "Confirmations", "Dispatcher", "Pending", "Plan", "StateStore", "answer_word"]
