"""Speech recognition: Vosk (default) or faster-whisper, biased to the configured commands.

:func:`build_asr` reads the ``asr:`` section and returns an :class:`Asr`: the
recogniser (model resolved, not yet loaded) plus, in ``corrected`` mode, the
:class:`~agent.asr.correct.Corrector` that snaps its output to the domain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..config import Config
from ..models import resolve
from .base import Recogniser, Worker
from .settings import AsrSettings, read_asr

if TYPE_CHECKING:  # the corrector needs numpy: imported when a config asks for it, not by every reader of asr settings
    from .correct import Correction, Corrector

__all__ = ["Asr", "Heard", "Recogniser", "Worker", "build_asr", "read_asr", "AsrSettings"]


@dataclass(frozen=True, slots=True)
class Heard:
    """One recognised utterance."""

    text: str
    """What understanding gets: the transcript, or the in-domain sentence it was snapped to."""
    raw: str
    """What the recogniser output."""
    asr_ms: float
    """Milliseconds from the end of the utterance to ``raw`` (plus correction)."""
    correction: Correction | None = None


class Asr:
    """A recogniser and the post-processing its mode asks for."""

    def __init__(self, settings: AsrSettings, recogniser: Recogniser, corrector: Corrector | None = None,
                 accepts: Callable[[str], bool] | None = None) -> None:
        self.settings = settings
        self.recogniser = recogniser
        self.corrector = corrector
        self.accepts = accepts
        """In corrected mode: a transcript this accepts as it is is not corrected."""

    @property
    def name(self) -> str:
        return self.recogniser.name

    async def peek(self) -> str:
        """What the recogniser makes of the utterance so far (uncorrected: an early end
        is only taken on words the templates understand exactly as heard)."""
        return self.clean((await self.recogniser.peek()).strip())

    async def finish(self, quiet_since_peek: bool = False) -> Heard:
        """Close the utterance: final words, corrected if the mode says so. ``quiet_since_peek``:
        nothing was said after the last :meth:`peek` (its words may be reused)."""
        t0 = time.perf_counter()
        done = self.recogniser.finish(True) if quiet_since_peek else self.recogniser.finish()
        raw = self.clean((await done).strip())
        correction = None
        text = raw
        if self.corrector is not None and raw and not (self.accepts and self.accepts(raw)):
            correction = self.corrector.correct(raw)
            if correction.snapped:
                text = correction.text
        return Heard(text, raw, (time.perf_counter() - t0) * 1000.0, correction)


    def clean(self, raw: str) -> str:
        """Drop what is not speech: punctuation alone (Whisper's "." for a clatter) and an
        echo of Whisper's own prompt (it recites the prompt over noise)."""
        if not any(ch.isalnum() for ch in raw):
            return ""
        prompt = getattr(self.recogniser, "prompt", "")
        if prompt:
            from ..normalize import tokens
            heard = " ".join(tokens(raw, keep_fillers=True))
            if len(heard.split()) >= 3 and heard in " ".join(tokens(prompt, keep_fillers=True)):
                return ""
        return raw


def template_engine(config: Config, engine=None):
    """The sentence-template engine inside ``engine`` (a router with a small-model fallback
    has one as ``templates``), or a new one. The recogniser is biased to, and corrected
    against, the templates only: a model's guess never decides what was heard."""
    from ..understanding.template_engine import TemplateEngine
    if isinstance(engine, TemplateEngine):
        return engine
    inner = getattr(engine, "templates", None)
    if isinstance(inner, TemplateEngine):
        return inner
    return TemplateEngine(config)


def build_asr(config: Config, settings: AsrSettings | None = None, engine=None) -> Asr:
    """The recogniser the config asks for. ``engine``: the TemplateEngine understanding uses
    (its intents and registry bias the recogniser; built here when not given)."""
    settings = settings or read_asr(config)
    path = resolve(settings.model_name, settings.engine, settings.models_dir)
    engine = template_engine(config, engine)
    from . import domain
    if settings.engine == "vosk":
        from .vosk import VoskRecogniser
        grammar = (domain.grammar_phrases(engine.intents, engine.registry, limit=settings.grammar_limit,
                                           language=settings.language)
                   if settings.mode == "limited" else None)
        recogniser: Recogniser = VoskRecogniser(path, grammar)
    else:
        from .whisper import WhisperRecogniser
        prompt = {"auto": domain.prompt(engine.intents, engine.registry), "none": ""}.get(
            settings.prompt, settings.prompt)
        recogniser = WhisperRecogniser(path, prompt=prompt, language=settings.language,
                                       beam_size=settings.beam_size, compute_type=settings.compute_type,
                                       threads=settings.threads, window=settings.window,
                                       look_window=settings.look_window)
    corrector = None
    accepts = None
    if settings.mode == "corrected":
        from .correct import Corrector
        corrector = Corrector(engine.intents, engine.registry, max_distance=settings.max_distance)
        accepts = lambda text: engine.understand(text).understood  # noqa: E731
    return Asr(settings, recogniser, corrector, accepts)
