"""Constrained greedy decoding over the grammar's words, one token trie per choice point.

At each step the grammar names the words that may come next; their token sequences form
a trie. Where the trie has one way on, the token is forced and costs nothing until the
next real choice, where all pending tokens are evaluated in one batch. At a real choice
only the allowed tokens compete (softmax over them), so the answer is always one the
grammar allows, and the probability of each chosen word is known (it becomes the
confidence and the "not understood" threshold).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from .grammar import OutputGrammar

END = "\n"
"""Written after the last word of an answer."""
NONE_ONLY = frozenset({"none"})
MAX_TRIES = 4096
"""Token tries kept (one per distinct set of choices met)."""


class Model(Protocol):
    def tokenize(self, text: str) -> list[int]: ...
    def eval(self, tokens: Sequence[int]): ...


class SlmTimeout(Exception):
    """The time budget for one utterance ran out."""


@dataclass(slots=True)
class _Node:
    children: dict[int, "_Node"] = field(default_factory=dict)
    word: str | None = None
    """The word that ends here, if one does."""
    under: frozenset[str] = frozenset()
    """Every word this node leads to."""


class TokenTrie:
    """The token sequences of a set of words (each written after a space)."""

    def __init__(self, words: Sequence[str], end: bool, model: Model) -> None:
        self.root = _Node()
        for word in words:
            self._add(model.tokenize(" " + word), word)
        if end:
            self._add(model.tokenize(END), END)

    def _add(self, toks: list[int], word: str) -> None:
        node = self.root
        node.under |= {word}
        for t in toks:
            node = node.children.setdefault(t, _Node())
            node.under |= {word}
        node.word = node.word or word

    def first_tokens(self) -> list[int]:
        return list(self.root.children)


@dataclass(slots=True)
class Decoded:
    words: tuple[str, ...]
    probs: tuple[float, ...]
    """Probability of each choice among those allowed there (each word, and the end of the
    answer where it could also have gone on)."""
    batches: list[list[int]]
    """Token batches evaluated, in order (for replaying the same work bare)."""
    first_plain: float = 1.0
    """Probability of the first word by the model alone (before ``bias``), among the
    commands (the answer "none" left out)."""


class Decoder:
    """Greedy decoding of one answer; tries are built once per choice point and kept."""

    def __init__(self, grammar: OutputGrammar, model: Model) -> None:
        self.grammar = grammar
        self.model = model
        self._tries: dict[tuple[tuple[str, ...], bool], TokenTrie] = {}
        self.null: dict[tuple[int, ...], object] = {}
        """Log-probabilities (whole vocabulary) content-free inputs give at each choice of the
        first word, by the tokens of that word so far: divided out of the model's choice."""

    def trie(self, words: tuple[str, ...], grammar=None) -> TokenTrie:
        """The words allowed after ``words`` (with the end of the answer where allowed)."""
        options, end = (grammar or self.grammar).next(words)
        key = (options, end)
        trie = self._tries.get(key)
        if trie is None:
            if len(self._tries) > MAX_TRIES:
                self._tries.clear()
            trie = self._tries[key] = TokenTrie(options, end, self.model)
        return trie

    def decode(self, prompt: list[int], deadline: float | None = None,
               clock: Callable[[], float] = time.monotonic,
               bias: Callable[[frozenset[str]], float] | None = None, grammar=None) -> Decoded:
        """The grammar's most likely answer after ``prompt``. ``bias(words)`` adds a log-weight
        to the first word's choices, given the set of first words each choice leads to.
        ``grammar`` narrows this call's choices (default: the decoder's grammar)."""
        grammar = grammar or self.grammar
        import numpy as np

        pending = list(prompt)
        batches: list[list[int]] = []
        logits = None
        words: tuple[str, ...] = ()
        probs: list[float] = []
        first_plain = 1.0

        def evaluate():
            nonlocal pending, logits
            if pending:
                if deadline is not None and clock() > deadline:
                    raise SlmTimeout()
                batches.append(pending)
                logits = self.model.eval(pending)
                pending = []
                if deadline is not None and clock() > deadline:
                    raise SlmTimeout()
            return logits

        while True:
            options, end = grammar.next(words)
            if not options:
                break  # complete: the grammar allows nothing more
            trie = self.trie(words, grammar)
            node = trie.root
            path: tuple[int, ...] = ()
            p_word = 1.0
            while True:
                stop = node.word is not None and node is not trie.root
                if stop and not node.children:
                    break
                cands = list(node.children)
                if len(cands) == 1 and not stop:
                    pending.append(cands[0])
                    path += (cands[0],)
                    node = node.children[cands[0]]
                    continue
                scores = evaluate()
                follow: list[int] = []
                if stop:  # the word may end here or go on: the next word's first tokens vote
                    nxt = self.trie(words + (node.word,), grammar)
                    follow = [t for t in nxt.first_tokens() if t not in node.children]
                ids = cands + follow
                raw = np.asarray(scores[ids], dtype=np.float64)
                null = self.null.get(path) if not words else None
                if null is not None:
                    raw = raw - null[ids]
                vals = _log_softmax(raw)
                plain = vals
                if bias is not None and not words:  # the intent: add the prior's opinion
                    extra = np.asarray([bias(node.children[t].under) for t in cands] + [0.0] * len(follow))
                    vals = _log_softmax(vals + extra)
                vals = np.exp(vals)
                best = int(np.argmax(vals))
                if not words:
                    pb = np.exp(plain)
                    # the model's own opinion among the commands (an answer "none" aside)
                    rest = 1.0 - sum(float(pb[i]) for i, t in enumerate(cands)
                                     if node.children[t].under == NONE_ONLY)
                    chosen = float(pb[best] if best < len(cands) else pb[len(cands):].sum())
                    to_none = best < len(cands) and node.children[ids[best]].under == NONE_ONLY
                    first_plain *= chosen if to_none or rest <= 1e-9 else chosen / rest
                if best >= len(cands):
                    p_word *= float(vals[len(cands):].sum())
                    break  # ended; the logits stay valid for the next word's first choice
                p_word *= float(vals[best])
                pending.append(ids[best])
                path += (ids[best],)
                node = node.children[ids[best]]
            probs.append(p_word)
            if node.word == END:
                break
            words += (node.word,)
        return Decoded(words, tuple(probs), batches, first_plain)


    def calibrate(self, rewind: Callable[[], None], prompts: list[list[int]]) -> None:
        """Contextual calibration of the first word (the intent): what the model says after
        content-free utterances, at every choice inside the intents' token trie. A small
        model prefers whatever answer its examples made common; this divides that out."""
        import numpy as np

        trie = self.trie(())
        stack: list[tuple[tuple[int, ...], _Node]] = [((), trie.root)]
        sums: dict[tuple[int, ...], object] = {}
        while stack:
            path, node = stack.pop()
            while len(node.children) == 1 and node.word is None:
                t = next(iter(node.children))
                path, node = path + (t,), node.children[t]
            if len(node.children) < 2 and node.word is None or not node.children:
                continue
            total = 0
            for prompt in prompts:
                rewind()
                logits = self.model.eval(list(prompt) + list(path))
                total = total + _log_softmax(np.asarray(logits, dtype=np.float64)) / len(prompts)
            sums[path] = total
            stack += [(path + (t,), child) for t, child in node.children.items()]
        rewind()
        self.null = sums


def _log_softmax(x):
    import numpy as np

    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def confidence(probs: Sequence[float]) -> float:
    """Probability of the whole answer (product of the word probabilities)."""
    return math.prod(probs) if probs else 0.0
