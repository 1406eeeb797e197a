"""Understanding: where text becomes intents.

The public face is below; the modules, in reading order:

- :mod:`.stage`: the contract (text in, intent out) and the text it accepts;
- :mod:`.templates`: the sentence template syntax, parsed once into a tree and matched;
- :mod:`.intents`: intent files (rules, slot lists, intents and their sentences);
- :mod:`.registry`: the configured home as names sentences can point at;
- :mod:`.resolve`: from captured slots to the devices a sentence means;
- :mod:`.bare_verb`: a verb said alone ("stop"): which device it means;
- :mod:`.template_engine`: the understander made of all these;
- :mod:`.dialogue`: one utterance in a conversation: compound commands
  (:mod:`.compound`), follow-ups (:mod:`.followup`), what was said last
  (:mod:`.conversation`) and "undo that" (:mod:`.undo`);
- :mod:`.complete`: is what was heard so far a finished command (for the endpointer);
- :mod:`.phrases`: "what can I say", written out from the templates;
- :mod:`.rhino`: a Picovoice Rhino context imported as an intent file.

The small model that reads what the templates miss is its own package, :mod:`agent.slm`;
:func:`agent.engine.build_understander` puts the two together.
"""

from .dialogue import Dialogue, Reading
from .intents import IntentSet, load_intents
from .stage import Understander, check_text
from .template_engine import Parse, TemplateEngine

__all__ = ["Dialogue", "IntentSet", "Parse", "Reading", "TemplateEngine", "Understander", "check_text",
           "load_intents"]
