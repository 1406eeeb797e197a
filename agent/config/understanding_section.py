"""The ``understanding:`` section: fuzzy names, the agent's own names, the follow-up window,
extra kind words and the small model (``slm:``)."""

from __future__ import annotations

from pathlib import Path

from ..devices import TYPES
from .device_section import read_kind_words
from .model import SlmConfig, UnderstandingConfig
from .reader import Reader, suggest


def read_kinds(r: Reader) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``understanding.kinds: {cover:shutter: [blind]}``: more words for a kind of device."""
    out = []
    for kind in list(r.node):
        dtype, _, dclass = str(kind).partition(":")
        if dtype not in TYPES:
            r.problem(f"unknown device type {dtype!r}{suggest(dtype, TYPES)}; write type or type:class", str(kind))
        elif dclass and TYPES[dtype].classes and dclass not in TYPES[dtype].classes:
            r.problem(f"unknown class {dclass!r} for a {dtype}{suggest(dclass, TYPES[dtype].classes)}", str(kind))
        out.append((str(kind), read_kind_words(r, str(kind))))
    return tuple(out)


def _read_slm(r: Reader) -> SlmConfig:
    d = SlmConfig()
    known = ("enabled", "model", "adapter", "threads", "timeout_ms", "min_confidence")
    cfg = SlmConfig(
        enabled=r.get("enabled", bool, d.enabled),
        model=r.get("model", str, d.model),
        adapter=_adapter(r, d.adapter),
        threads=_threads(r, d.threads),
        timeout_ms=r.get("timeout_ms", float, d.timeout_ms, minimum=10),
        min_confidence=r.get("min_confidence", float, d.min_confidence, minimum=0, maximum=1),
        options={k: v for k, v in r.node.items() if k not in known},
    )
    return cfg


def _threads(r: Reader, default: int) -> int:
    value = r.node.get("threads")
    if value == "auto":
        return default
    if isinstance(value, str):
        r.problem(f"expected a number of threads or 'auto', got {value!r}", "threads")
        return default
    return r.get("threads", int, default, minimum=1, maximum=64)


def _adapter(r: Reader, default: str) -> str:
    value = r.get("adapter", str, default)
    if value in ("auto", "none") or value is None:
        return value or default
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(r.file).parent / path  # relative to the config file, like intents
    if not path.is_file():
        r.problem(f"adapter file {value!r} not found (looked in {path}); give a .gguf adapter written "
                  "by `voice-agent train`, or 'auto' / 'none'", "adapter")
        return default
    return str(path.resolve())


def read_understanding(u: Reader) -> UnderstandingConfig:
    d = UnderstandingConfig()
    understanding = UnderstandingConfig(
        fuzzy=u.get("fuzzy", float, d.fuzzy, minimum=0.5, maximum=1.0),
        slm=_read_slm(u.sub("slm")),
        names=u.strings("names"),
        followup_window=u.get("followup_window", float, d.followup_window, minimum=0.0, maximum=3600.0),
        kinds=read_kinds(u.sub("kinds")),
    )
    u.done()
    return understanding
