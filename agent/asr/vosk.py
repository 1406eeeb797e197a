"""Vosk (Kaldi) streaming recognition, optionally restricted to a grammar.

With a grammar (``limited`` mode) Vosk can only output the listed phrases and
concatenations of them, which both speeds decoding up several times and keeps the
words in the domain. Words the model does not know are reported once and left out
(Vosk would silently ignore them).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..errors import ModelMissing
from .base import Worker

log = logging.getLogger(__name__)


def _import_vosk():
    try:
        import vosk
    except ImportError:
        raise ModelMissing("the Vosk recogniser needs the vosk package: pip install 'voice-agent[audio]'",
                           code="asr-unavailable") from None
    vosk.SetLogLevel(-2)  # Kaldi warnings off: unknown grammar words are reported by us, once
    return vosk


class VoskModel:
    """A loaded Vosk model, shareable by several recognisers (wake spotter and commands)."""

    _cache: dict[Path, "VoskModel"] = {}

    def __init__(self, path: Path) -> None:
        vosk = _import_vosk()
        self.path = path
        try:
            self.model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception on a bad directory
            raise ModelMissing(f"{path} is not a usable Vosk model ({exc}); "
                               "check it with: voice-agent models verify", code="asr-model-missing") from None

    @classmethod
    def load(cls, path: Path) -> "VoskModel":
        path = Path(path).resolve()
        if path not in cls._cache:
            cls._cache[path] = cls(path)
        return cls._cache[path]

    def knows(self, word: str) -> bool:
        return self.model.vosk_model_find_word(word) >= 0

    def usable_phrases(self, phrases: list[str]) -> tuple[list[str], list[str]]:
        """(phrases split around unknown words, the unknown words)."""
        unknown: set[str] = set()
        out: set[str] = set()
        for phrase in phrases:
            run: list[str] = []
            for word in phrase.split() + [""]:
                if word and self.knows(word):
                    run.append(word)
                    continue
                if word:
                    unknown.add(word)
                if run:
                    out.add(" ".join(run))
                run = []
        if self.knows("[unk]"):
            out.add("[unk]")
        return sorted(out), sorted(unknown)


class VoskRecogniser:
    """Streaming Vosk in its own thread."""

    name = "vosk"

    def __init__(self, model_path: Path, grammar: list[str] | None = None, *, rate: int = 16000,
                 label: str = "vosk") -> None:
        self.model_path = model_path
        self.grammar = grammar
        self.rate = rate
        self.label = label
        self.unknown_words: list[str] = []
        self._worker = Worker(label)
        self._model: VoskModel | None = None
        self._rec = None
        self._done: list[str] = []  # results Vosk finalised inside this utterance
        self._partial = ""
        self._fed = 0.0  # seconds of audio given to the recogniser since it was made
        self._origin = 0.0  # ... when the current utterance started (Vosk's word times run on)

    # everything below marked (worker) runs on the worker thread
    def _load(self) -> None:  # (worker)
        vosk = _import_vosk()
        self._model = VoskModel.load(self.model_path)
        if self.grammar is not None:
            phrases, self.unknown_words = self._model.usable_phrases(self.grammar)
            if self.unknown_words:
                shown = ", ".join(self.unknown_words[:20])
                log.warning("%s: %d word(s) of the commands are not in the model's vocabulary and "
                            "cannot be recognised: %s%s", self.label, len(self.unknown_words), shown,
                            " ..." if len(self.unknown_words) > 20 else "")
            self.grammar = phrases
            self._rec = vosk.KaldiRecognizer(self._model.model, self.rate,
                                             json.dumps(phrases, ensure_ascii=False))
        else:
            self._rec = vosk.KaldiRecognizer(self._model.model, self.rate)
        self._rec.SetWords(True)
        self._rec.SetPartialWords(True)

    async def load(self) -> None:
        await self._worker.call(self._load)

    def _start(self) -> None:  # (worker)
        self._rec.Reset()
        self._done.clear()
        self._partial = ""
        self._origin = self._fed

    async def start(self) -> None:
        await self._worker.call(self._start)

    def _feed(self, pcm: bytes) -> tuple[str | None, list[dict]]:  # (worker)
        self._fed += len(pcm) / (2.0 * self.rate)
        if self._rec.AcceptWaveform(pcm):
            result = json.loads(self._rec.Result())
            if result.get("text"):
                self._done.append(result["text"])
            words = result.get("result", [])
            partial = ""
        else:
            result = json.loads(self._rec.PartialResult())
            partial = result.get("partial", "")
            words = result.get("partial_result", [])
        text = " ".join(self._done + ([partial] if partial else []))
        words = [{**w, "start": w.get("start", 0.0) - self._origin, "end": w.get("end", 0.0) - self._origin}
                 for w in words]
        if text != self._partial:
            self._partial = text
            return text, words
        return None, words

    async def feed(self, pcm: bytes) -> str | None:
        text, _ = await self._worker.call(self._feed, pcm)
        return text

    async def feed_words(self, pcm: bytes) -> tuple[str | None, list[dict]]:
        """Like :meth:`feed`, also giving the words of the latest partial or final result
        with their times in seconds from :meth:`start`."""
        return await self._worker.call(self._feed, pcm)

    def _peek(self) -> str:  # (worker)
        # Vosk's partial result trails the audio by half a second: end the segment here
        # instead (as Vosk does itself at a pause), so every word said so far is decoded;
        # audio fed afterwards starts the utterance's next segment
        final = json.loads(self._rec.FinalResult()).get("text", "")
        if final:
            self._done.append(final)
        self._partial = " ".join(self._done)
        return self._partial

    async def peek(self) -> str:
        """Every word said so far (the utterance goes on if more audio comes)."""
        return await self._worker.call(self._peek)

    def _finish(self) -> str:  # (worker)
        final = json.loads(self._rec.FinalResult()).get("text", "")
        text = " ".join(self._done + ([final] if final else []))
        self._rec.Reset()
        self._done.clear()
        self._partial = ""
        return text

    async def finish(self, quiet_since_peek: bool = False) -> str:
        return await self._worker.call(self._finish)  # Vosk's final result costs next to nothing

    async def close(self) -> None:
        def drop() -> None:
            self._rec = None
        await self._worker.call(drop)
        self._worker.close()
