"""Templates first; the model only for what they miss.

An exact template match is final. When no template matches, or only a fuzzy one whose
confidence is below :data:`SURE`, the model is asked; its intent is used if it passed
every check and is at least as confident as the fuzzy match. A fuzzy match and a model
that read different commands are neither acted on: one of them is a guess.
"""

from __future__ import annotations

from ..config import Config
from ..messages import Intent
from ..normalize import is_number, tokens
from ..understanding.resolve import HERE_UNKNOWN, WHICH_COLOR
from ..understanding.template_engine import TemplateEngine
from .engine import SlmEngine

SURE = 0.9
"""Template confidence from which the model is not consulted."""


class Router:
    """``understand(text, area=None) -> Intent`` over templates and the model."""

    engine = "router"

    def __init__(self, config: Config, templates: TemplateEngine | None = None,
                 slm: SlmEngine | None = None) -> None:
        self.config = config
        self.templates = templates if templates is not None else TemplateEngine(config)
        self.slm = slm if slm is not None else SlmEngine(config, self.templates)
        # what callers of a TemplateEngine read
        self.intents = self.templates.intents
        self.registry = self.templates.registry
        self.sentences = self.templates.sentences
        self.known = getattr(self.slm, "known", self.templates.known)
        """Words that are not names (templates' words; with a trained model, its corpus's too)."""
        from ..training.words import modifier_words
        reg = self.registry
        own: set[str] = set()
        for index in (reg.device_index, reg.area_index, reg.floor_index, reg.kind_index):
            for phrase in index.phrases:
                own.update(phrase)
        self.elsewhere = modifier_words() - own
        """Words that tell devices apart in other homes' names and in none of this one's ("back"
        of "back door" where the only door is the front door): before a kind word they name
        a thing this home does not have, even where the templates use the word otherwise
        ("put it back")."""

    def understand(self, text: str, *, area: str | None = None) -> Intent:
        got = self.templates.understand(text, area=area)
        if got.understood and got.confidence >= SURE or got.reason in (HERE_UNKNOWN, WHICH_COLOR):
            return got  # understood; or understood but the room or colour is not known: ask, not guess
        named = unknown_name(self.templates.words(text), self.known, self.registry.kind_index, self.elsewhere,
                             said=tokens(text, keep_fillers=True))
        if named:
            # "open the pod bay doors": the words name a particular thing this home does not
            # have; mapping the generic word onto a real device would be a guess
            return Intent(got.text, None, reason=f"nothing here is called '{named}'")
        alt = self.slm.understand(text, area=area)
        if alt.understood and got.understood and (alt.name, alt.targets) != (got.name, got.targets):
            # a loose template match and the model read different commands ("can you undo
            # the front door lock": the template skipped "undo" and read lock): either may be
            # the guess; asking again is the honest answer
            return Intent(got.text, None, confidence=max(alt.confidence, got.confidence),
                          reason=f"the templates ({_what(got)}) and the model ({_what(alt)}) read "
                                 "different commands")
        if alt.understood and (not got.understood or alt.confidence >= got.confidence):
            return alt
        if got.understood:
            return got
        return Intent(got.text, None, confidence=alt.confidence,
                      reason=f"{got.reason}; {alt.reason}" if got.reason else alt.reason)

    def warm_up(self) -> None:
        """Load the model now rather than on the first utterance templates miss."""
        self.slm.warm_up()

    def close(self) -> None:
        self.slm.close()


def _what(intent: Intent) -> str:
    return f"{intent.name.replace('_', ' ')} {', '.join(intent.targets)}".strip()


def unknown_name(toks: tuple[str, ...], known: frozenset[str], kinds,
                 elsewhere: frozenset[str] = frozenset(), *, said: tuple[str, ...] | None = None) -> str:
    """The unknown words right before a kind word ("pod bay" in "pod bay doors"), if any;
    words in ``elsewhere`` (names this home does not use) count as unknown there. ``said``:
    the words with the fillers ``toks`` drops; a name is said next to its kind word ("the
    back door"), so "pull back the drapes" and "nudge the heating up" name nothing."""
    for start in range(1, len(toks)):
        if not kinds.exact(toks, start):
            continue
        j = start
        while j > 0 and (toks[j - 1] not in known or toks[j - 1] in elsewhere) and not is_number(toks[j - 1]) \
                and (said is None or _contiguous(said, toks[j - 1:start + 1])):
            j -= 1
        if j < start:
            return " ".join(toks[j:start] + toks[start:start + 1])
    return ""


def _contiguous(said: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(said[i:i + n] == phrase for i in range(len(said) - n + 1))
