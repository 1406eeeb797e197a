"""A question about how things are is not a command.

"Was the kettle left running?" and "isn't the heating on?" ask about a state; a small model
that reads the device and the state word can still answer ``turn on kettle``. An utterance
that opens the way English yes/no questions open (a form of "be", "did", "does" or "has"
before what it asks about), or that asks "whether", is never acted on as a command; only
a ``get_state`` answer is.
"Is it possible to ..." and "are you able to ..." are requests put as questions and stay
commands.

A fact of English word order, not a sentence template; for other languages the check
stands aside.
"""

from __future__ import annotations

OPENERS = frozenset({"is", "are", "am", "was", "were", "did", "does", "has"})
"""Words that open a yes/no question and never an instruction ("do" and "have" can:
"do the kitchen", "have the vacuum clean the hall")."""
REQUESTS = (("you",), ("it", "possible"))
"""After an opener, the start of a request: "are you able to", "is it possible to"."""


def asks_how_things_are(toks: tuple[str, ...] | list[str], language: str = "en") -> bool:
    """Is the utterance (normalised tokens, fillers dropped) a yes/no question, direct ("is
    the fan on") or indirect ("check whether the fan is on")?"""
    if not language.lower().startswith("en") or len(toks) < 2:
        return False
    if "whether" in toks:
        return True
    if toks[0] not in OPENERS:
        return False
    rest = tuple(toks[1:])
    return not any(rest[:len(r)] == r for r in REQUESTS)
