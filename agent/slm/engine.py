"""The model as an understanding stage: its own worker thread, a time budget, validation.

:class:`SlmEngine` loads the model lazily (or on :meth:`warm_up`), builds the prompt from
the config, and answers ``understand(text, area=None) -> Intent`` with ``engine="slm"``.
Every answer goes through the grammar (it can only name what exists), a confidence
threshold, the grounding checks (:mod:`agent.slm.ground`) and :func:`agent.understanding.resolve.resolve`
before it becomes an intent; failing any of them is a clean "not understood".
"""

from __future__ import annotations

import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any, Callable

from ..config import Config
from ..errors import AgentError, ConfigError
from ..messages import Intent
from ..normalize import is_number, stems, tokens
from ..understanding.resolve import WHICH_COLOR, kind_matches, resolve, says_here
from ..understanding import TemplateEngine, check_text
from .backend import LlamaBackend, rss_mb
from .decode import Decoded, Decoder, SlmTimeout, confidence
from .grammar import NONE, OutputGrammar
from .ground import Grounding
from .prior import IntentPrior
from .models import find_adapter, find_gguf
from .polarity import contradiction, switched_to
from ..understanding.question import asks_how_things_are
from .prompt import PromptBuilder, trained_prefix, utterance_tokens

OPTIONS = {"examples": (int, 3), "seed": (int, 7), "prior": ((int, float), 2.0),
           "agree": ((int, float), 0.2), "calibrate": (int, 1), "veto": (int, 1), "strange": (int, 1)}
"""Extra keys under ``understanding.slm``: few-shot examples per intent, their seed, the
weight of the intent files' word model against the model's own choice (0: off), and the
probability both must give the chosen intent on their own (0: no such check), and whether
the model's intent choice is calibrated against content-free inputs (1/0), and whether an
intent the intent files' words clearly ask for, but the evidence ruled out, vetoes the
model's answer (1/0)."""
CLEAR = 0.5
"""Word-model probability from which an intent the evidence ruled out vetoes the others."""
SAME_FOR_SWITCHES = {"start": "turn_on", "stop": "turn_off"}
"""What these intents mean for a device that only switches on and off (as the templates read
"start the coffee machine")."""
NULL_INPUTS = ("", "n/a", "ok")
PROBE = "turn off the light in the kitchen"
PROBE_SHARE = 0.5
"""A probe command slower than this share of the budget gets a warning at start."""
log = logging.getLogger(__name__)
"""Content-free utterances for calibration."""


TRAINED = {"calibrate": 0, "prior": 0.0, "agree": 0.0}
"""Defaults with a trained adapter: it learned the task, so neither calibration against
content-free inputs nor the intent files' word model is needed to steer it."""


def read_options(options: dict[str, Any], trained: bool = False) -> dict[str, Any]:
    problems = []
    out = {k: d for k, (_, d) in OPTIONS.items()}
    if trained:
        out.update(TRAINED)
    for key, value in options.items():
        if key not in OPTIONS:
            problems.append(f"understanding.slm.{key}: unknown key; known: enabled, model, threads, "
                            f"timeout_ms, min_confidence, {', '.join(OPTIONS)}")
        elif not isinstance(value, OPTIONS[key][0]) or isinstance(value, bool) or value < 0:
            problems.append(f"understanding.slm.{key}: expected a number >= 0, got {value!r}")
        else:
            out[key] = value
    if problems:
        raise ConfigError(problems)
    return out


@dataclass(frozen=True, slots=True)
class Trace:
    """What the last model call did (for benchmarks and ``parse`` debugging)."""

    text: str
    words: tuple[str, ...]
    probs: tuple[float, ...]
    batches: tuple[tuple[int, ...], ...]
    ms: float
    """Time on the worker thread for this utterance."""
    first_plain: float = 1.0


class SlmEngine:
    """A small language model behind the grammar, on one worker thread."""

    engine = "slm"

    def __init__(self, config: Config, templates: TemplateEngine | None = None, *,
                 backend_factory: Callable[..., Any] = LlamaBackend,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.settings = config.understanding.slm
        self.adapter = find_adapter(self.settings.model, self.settings.adapter)
        """The LoRA adapter trained for this job (None: few-shot prompting of the bare model)."""
        self.options = read_options(self.settings.options, trained=self.adapter is not None)
        self.templates = templates if templates is not None else TemplateEngine(config)
        self.registry = self.templates.registry
        self.grammar = OutputGrammar(self.registry, self.templates.intents)
        self.prior = IntentPrior(self.templates.intents, [f.name for f in self.grammar.forms.values()])
        self.grounding = Grounding(self.registry, self.grammar, self.prior)
        self.known = self.templates.known
        """Words that are not names: the templates' and the home's; with a trained adapter,
        also the ways of asking its corpus taught it."""
        if self.adapter is not None:
            from ..training.words import command_words
            self.known = self.known | command_words()
        self.builder = PromptBuilder(self.templates, self.grammar,
                                     per_intent=self.options["examples"], seed=self.options["seed"])
        self._factory = backend_factory
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slm")
        self._loading: Future | None = None
        self._lock = threading.Lock()
        self.backend: Any = None
        self.decoder: Decoder | None = None
        self.prefix_tokens = 0
        self.rss_before_mb = 0.0
        self.rss_after_mb = 0.0
        self.probe_ms = 0.0
        """Time of one probe command at load (a slow board is warned about then)."""
        self.last: Trace | None = None

    # ------------------------------------------------------------------ loading
    def warm_up(self) -> None:
        """Load the model and evaluate the prompt prefix now (raises ModelMissing/SlmError)."""
        with self._lock:
            if self._loading is None:
                self._loading = self._pool.submit(self._load)
            loading = self._loading
        loading.result()

    def _load(self) -> None:
        self.rss_before_mb = rss_mb()
        path = find_gguf(self.settings.model, runtime=True)
        if self.adapter is not None:
            # trained for this job: the prompt is only what the training format holds
            backend = self._factory(path, threads=self.settings.threads, n_ctx=512, lora=self.adapter)
            prefix = trained_prefix(backend)
        else:
            examples = self.builder.examples()
            est = len(self.builder.header()) + sum(len(e.text) + 8 * len(e.answer) + 16 for e in examples)
            backend = self._factory(path, threads=self.settings.threads,
                                    n_ctx=max(512, -(-(est // 2 + 256) // 256) * 256))
            prefix = self.builder.tokens(backend, examples)
        backend.set_prefix(prefix)
        decoder = Decoder(self.grammar, backend)
        if self.options["calibrate"]:
            decoder.calibrate(backend.rewind, [utterance_tokens(backend, t) for t in NULL_INPUTS])
        self.backend, self.decoder, self.prefix_tokens = backend, decoder, len(prefix)
        self.rss_after_mb = rss_mb()
        self.probe_ms = self._probe()
        budget = self.settings.timeout_ms
        if self.probe_ms > PROBE_SHARE * budget:
            log.warning("the language model took %.0f ms for a short command on this machine; the budget "
                        "is %.0f ms (understanding.slm.timeout_ms), so longer ones will often time out "
                        "and be 'not understood': raise timeout_ms, give it more threads, or set "
                        "understanding.slm.enabled: false on this board", self.probe_ms, budget)

    def _probe(self) -> float:
        """Time one ordinary command through the model (the daemon's first real one is then
        no slower than the rest, and a board too slow for the budget is named at start)."""
        said = " ".join(self.templates.words(PROBE))
        narrowed = self.grounding.narrow(said)
        start = time.perf_counter()
        self.backend.rewind()
        if narrowed.forms:
            self.decoder.decode(utterance_tokens(self.backend, said), grammar=narrowed)
        else:  # a home without a light in the kitchen: the utterance's tokens alone
            self.backend.eval(utterance_tokens(self.backend, said))
        self.backend.rewind()
        return (time.perf_counter() - start) * 1000.0

    @property
    def loaded(self) -> bool:
        return self.decoder is not None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.backend is not None:
            self.backend.close()
            self.backend = self.decoder = None

    # ------------------------------------------------------------------ understanding
    def understand(self, text: str, *, area: str | None = None) -> Intent:
        text = check_text(text)
        said = " ".join(self.templates.words(text))  # as the prompt's examples: clean()
        if not said:
            return Intent(text, None, reason="nothing to understand")
        narrowed = self.grounding.narrow(said)
        if not narrowed.forms:
            return Intent(text, None, reason="nothing said points at a device or action of this home")
        missing = self.missing(said, narrowed) if self.options["veto"] else None
        if missing == "set_color":
            return Intent(text, None, reason=WHICH_COLOR)
        if missing:
            return Intent(text, None, reason=f"sounds like {missing.replace('_', ' ')}, but not what to "
                                             "do it to or with (a device, room or value is missing)")
        try:
            self.warm_up()
        except AgentError as exc:
            return Intent(text, None, reason=f"[{exc.code}] {exc}")
        budget = self.settings.timeout_ms / 1000.0
        deadline = self._clock() + budget
        job = self._pool.submit(self._decode, said, deadline, narrowed)
        try:
            decoded = job.result(timeout=budget + 0.05)
        except (SlmTimeout, FutureTimeout):
            return Intent(text, None, reason=f"slm-timeout: no answer within {self.settings.timeout_ms:g} ms")
        return self.judge(text, decoded, area, words=self.word_probs(said, narrowed))

    def missing(self, said: str, narrowed) -> str | None:
        """The intent the words clearly ask for when a value it needs was not said ("change
        the colour" with no colour): acting on any other intent would be a guess. An intent
        ruled out by what was named is no veto: "pause the telly" is the telly's pause, not
        the vacuum's, and "take the light down to forty percent" is not the volume."""
        names = [f.name for f in self.grammar.forms.values()]
        if not self.prior.words(said, self.grounding.value_words(said)):
            return None
        logp = self.prior.log_probs(said, names, self.grounding.value_words(said))
        best = max(logp, key=logp.get)
        allowed = {f.name for f in narrowed.forms.values()}
        if best in allowed or math.exp(logp[best]) < CLEAR:
            return None
        if SAME_FOR_SWITCHES.get(best) in allowed:
            return None  # "start the coffee": a switch starts by turning on
        values = self.grounding.evidence(said).values
        unsaid = any(f.name == best and any(not (set(v.words) & values) for v in f.values)
                     for f in self.grammar.forms.values())
        return best if unsaid else None

    def word_probs(self, said: str, narrowed) -> dict[str, float]:
        """The intent files' word model over the intents still allowed (by intent name)."""
        names = [f.name for f in narrowed.forms.values()]
        logp = self.prior.log_probs(said, names, self.grounding.value_words(said))
        return {n: math.exp(v) for n, v in logp.items()}

    def unsaid(self, toks: tuple[str, ...], reading, caps: dict[str, Any]) -> str:
        """Why the answer's target is not what the words said ('' when it is). A device the
        user did not name must be of a kind they said, if they said one ("pull the study
        blind down" is never the study's lamp); a group is narrowed to the kinds said ("stop
        the blind" is not every cover and the vacuum); and words that mean nothing here
        ("start the washing machine", "the lights in the nursery") are not guessed at."""
        reg = self.registry
        rooms: set[int] = set()  # "the garage" is a room here, not a kind of device
        for i in range(len(toks)):
            for end, _ in reg.area_index.exact(toks, i)[:1]:
                rooms.update(range(i, end))
        said_kinds: list[str] = []
        for i in range(len(toks)):
            for end, values in reg.kind_index.exact(toks, i)[:1]:
                if not rooms.issuperset(range(i, end)):
                    said_kinds += [k for k in values if k != "*"]
        named = False
        if reading.device is not None:
            dev = reg.devices[reading.device]
            for i in range(len(toks)):
                named = named or any(reading.device in values for _, values in reg.device_index.exact(toks, i))
            if not named and said_kinds and not any(
                    k == f"@{dev.id}" or (not k.startswith("@") and kind_matches(dev, k)) for k in said_kinds):
                return f"the words name another kind of device than {dev.name}"
        elif reading.group and said_kinds:
            form = self.grammar.by_name.get(reading.intent)
            grouped = [reg.devices[i] for i in (form.grouped if form else ())]
            fit = tuple(dict.fromkeys(k for k in said_kinds if not k.startswith("@") and
                                      any(kind_matches(d, k) for d in grouped)))
            if not fit:
                return "no device of the kind said can do that"
            caps["kind"] = fit
        if not named and self.options["strange"]:
            strange = [t for t in toks if t not in self.known and not is_number(t)
                       and not any(s in self.known for s in stems(t))]  # "colors", "changed"
            if strange:
                return f"'{' '.join(strange)}' means nothing in this home"
        return ""

    def _bias(self, said: str, narrowed):
        """Log-weights of the first word's choices: the intent files' word model, scaled."""
        phrases = list(narrowed.forms)
        logp = self.prior.log_probs(said, [narrowed.forms[p].name for p in phrases],
                                    self.grounding.value_words(said))
        scaled = {p: self.options["prior"] * logp[narrowed.forms[p].name] for p in phrases}
        top = max(scaled.values())
        z = sum(math.exp(v - top) for v in scaled.values())
        # "none" keeps the share one more intent would have; the intents share the rest
        weights = {p: math.exp(v - top) / z * len(phrases) / (len(phrases) + 1.0) for p, v in scaled.items()}
        weights[NONE] = 1.0 / (len(phrases) + 1.0)

        def bias(under: frozenset[str]) -> float:
            total = sum(weights.get(w, 0.0) for w in under)
            return math.log(total) if total > 0 else -30.0
        return bias

    def _decode(self, said: str, deadline: float, narrowed) -> Decoded:
        start = time.perf_counter()
        self.backend.rewind()
        decoded = self.decoder.decode(utterance_tokens(self.backend, said), deadline, self._clock,
                                      bias=self._bias(said, narrowed) if self.options["prior"] else None,
                                      grammar=narrowed)
        self.last = Trace(said, decoded.words, decoded.probs, tuple(tuple(b) for b in decoded.batches),
                          (time.perf_counter() - start) * 1000.0, decoded.first_plain)
        return decoded

    def judge(self, text: str, decoded: Decoded, area: str | None, *, words: dict[str, float] | None = None,
              threshold: float | None = None, agree: float | None = None) -> Intent:
        """From the model's words to a validated intent, or "not understood" saying why.

        ``words`` is the word model's probability per intent: the model's intent must get at
        least ``agree`` from it and from the model alone. ``threshold`` and ``agree``
        override the configured values (benchmarks)."""
        try:
            reading = self.grammar.parse(decoded.words)
        except ValueError as exc:  # cannot happen with the decoder; never act on it
            return Intent(text, None, reason=f"model answer rejected: {exc}")
        if reading.intent is None:
            return Intent(text, None, reason="the model found no command for this home")
        conf = round(confidence(decoded.probs), 3)
        answer = " ".join(decoded.words)
        agree = self.options["agree"] if agree is None else agree
        said = (words or {}).get(reading.intent, 1.0)
        if decoded.first_plain < agree or said < agree:
            return Intent(text, None, confidence=conf, reason=(
                f"the model ({decoded.first_plain:.2f}) and the intent files' words "
                f"({(words or {}).get(reading.intent, 1.0):.2f}) do not agree on {answer!r}"))
        toks = self.templates.words(text)
        if reading.intent != "get_state" and asks_how_things_are(toks, self.config.language):
            return Intent(text, None, confidence=conf, reason=(
                f"the model answered {answer!r}, but the words ask how things are: a question, not a command"))
        if reading.intent == "toggle":
            # "toggle the fan on": the particle says which state the toggle ends in
            state = switched_to(toks, self.config.language)
            if state is not None:
                reading = replace(reading, intent=state)
        against = contradiction(reading.intent, tokens(text, keep_fillers=True), self.config.language)
        if against:
            return Intent(text, None, confidence=conf, reason=(
                f"the model answered {answer!r}, but '{against[1]}' asks for "
                f"{against[0].replace('_', ' ')}: the words pull both ways"))
        if conf < (self.settings.min_confidence if threshold is None else threshold):
            return Intent(text, None, confidence=conf,
                          reason=f"the model is unsure ({answer!r}, confidence {conf})")
        spec = self.templates.intents.intents.get(reading.intent)
        speaker = area if area is not None else self.config.area
        caps = self.grammar.caps(reading)
        why = self.unsaid(toks, reading, caps)
        if why:
            return Intent(text, None, confidence=conf, reason=f"model answer {answer!r} rejected: {why}")
        if not {"area", "device"} & caps.keys() and says_here(self.registry, tokens(text)):
            caps["scope"] = "here"  # "it's dark in here": the speaker's room, not every room
        res = resolve(self.registry, reading.intent, spec, caps, speaker)
        if res.error:
            return Intent(text, None, confidence=conf, reason=f"model answer {answer!r} rejected: {res.error}")
        return Intent(text, res.intent, res.targets, res.slots, self.engine, conf)
