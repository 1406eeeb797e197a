"""llama.cpp through llama-cpp-python: load a GGUF, keep a constant prompt prefix, score tokens.

The prefix (instructions, the home, few-shot examples) is evaluated once; every
utterance then rewinds the KV cache to the end of the prefix and evaluates only its own
tokens. Objects here are not thread-safe: one worker thread owns a backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import AgentError, ModelMissing


class SlmError(AgentError):
    """The language model could not be loaded or run."""

    code = "slm-error"


def rss_mb() -> float:
    """Resident memory of this process in MiB (``VmRSS``; 0 where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


class LlamaBackend:
    """One model and one context; evaluation returns the last token's logits."""

    def __init__(self, path: Path, *, threads: int = 2, n_ctx: int = 2048, lora: Path | None = None) -> None:
        try:
            import llama_cpp
            import numpy
        except ImportError as exc:  # pragma: no cover - install.sh installs both
            raise SlmError("llama-cpp-python is not installed; run ./install.sh or "
                           "`.venv/bin/pip install -e .[slm]`", code="slm-missing") from exc
        if not Path(path).is_file():
            raise ModelMissing(f"model file {path} does not exist")
        self._lc = llama_cpp
        self._np = numpy
        self.path = Path(path)
        self.threads = threads
        self.lora = Path(lora) if lora else None
        if self.lora is not None and not self.lora.is_file():
            raise ModelMissing(f"adapter file {self.lora} does not exist; train one with `voice-agent train` "
                               "or set understanding.slm.adapter to 'auto'")
        self.llm = self._open(n_ctx)
        self.n_vocab = self.llm.n_vocab()
        self.prefix_len = 0

    def _open(self, n_ctx: int):
        try:
            return self._lc.Llama(model_path=str(self.path), n_ctx=n_ctx, n_batch=512,
                                  n_threads=self.threads, n_threads_batch=self.threads,
                                  logits_all=False, verbose=False,
                                  lora_path=str(self.lora) if self.lora else None)
        except (ValueError, RuntimeError) as exc:
            what = f"{self.path} with adapter {self.lora}" if self.lora else str(self.path)
            raise SlmError(f"llama.cpp could not load {what}: {exc}; is it a GGUF model (and an "
                           "adapter trained for it) that llama.cpp supports?") from exc

    # ------------------------------------------------------------------ tokens
    def tokenize(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def bos(self) -> list[int]:
        tok = self.llm.token_bos()
        add = self._lc.llama_vocab_get_add_bos(self._lc.llama_model_get_vocab(self.llm.model))
        return [tok] if tok >= 0 and add else []

    def detokenize(self, toks: Sequence[int]) -> str:
        return self.llm.detokenize(list(toks)).decode("utf-8", "replace")

    # ------------------------------------------------------------------ evaluation
    def set_prefix(self, tokens: Sequence[int], reserve: int = 256) -> None:
        """Evaluate the constant prefix once (growing the context if it does not fit)."""
        need = len(tokens) + reserve
        if need > self.llm.n_ctx():
            train = self._lc.llama_model_n_ctx_train(self.llm.model)
            if need > train:
                raise SlmError(f"the prompt needs {need} tokens but {self.path.name} handles "
                               f"{train}; use fewer examples (understanding.slm.examples)")
            self.llm.close()
            self.llm = self._open(-(-need // 256) * 256)
        self.llm.reset()
        self.llm.eval(list(tokens))
        self.prefix_len = len(tokens)

    def rewind(self) -> None:
        """Forget everything after the prefix (its KV state stays)."""
        self.llm.n_tokens = self.prefix_len

    def eval(self, tokens: Sequence[int]):
        """Append ``tokens``; return the logits after the last one (a numpy vector)."""
        if self.llm.n_tokens + len(tokens) > self.llm.n_ctx():
            raise SlmError("utterance too long for the model's context")
        self.llm.eval(list(tokens))
        ptr = self._lc.llama_get_logits(self.llm.ctx)
        return self._np.ctypeslib.as_array(ptr, shape=(self.n_vocab,))

    def close(self) -> None:
        self.llm.close()

