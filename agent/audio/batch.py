"""Recordings through the hearing pipeline, for ``voice-agent parse --audio`` and benchmarks.

Each file is read as fast as the recogniser takes it, endpointed exactly as live
audio is (so a recording of several commands gives several lines), and every
utterance is a command (activation ``always``: recordings carry no wake phrase).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

from ..activation import Gate
from ..asr import build_asr, read_asr, template_engine
from ..config import Config
from ..errors import AudioError
from .listener import Listener, build_completion
from .settings import read_audio
from .sources import FileSource, StdinSource

OnHeard = Callable[[str, dict[str, Any]], None]


async def recognise_files(config: Config, files: list[str], on_heard: OnHeard, *, engine: Any = None,
                          asr_settings=None, emit=None,
                          on_error: Callable[[str, AudioError], None] | None = None) -> None:
    """Call ``on_heard(text, extra)`` for every utterance in ``files`` (``-`` is stdin);
    ``extra`` holds ``audio``, ``transcript``, ``asr_ms``, ``eos_ms`` and ``ended`` (why the
    utterance ended: ``complete`` when intent-aware endpointing closed it). A file with no
    speech in it gives one call with empty text. A file that cannot be read goes to
    ``on_error(name, error)`` and the next file is read (without ``on_error``: raised)."""
    audio = read_audio(config)
    templates = template_engine(config, engine)
    asr = build_asr(config, asr_settings or read_asr(config), templates)
    completion = build_completion(templates, audio.vad)  # intent-aware endpointing, as live
    await asr.recogniser.load()
    try:
        for name in files:
            source = StdinSource() if name == "-" else FileSource(Path(name))
            listener = Listener(source, asr, vad=audio.vad, gate=Gate("always"), emit=emit, completion=completion)
            listener.loaded = True
            heard_any = False
            try:
                async for u in listener.utterances():
                    heard_any = True
                    on_heard(u.heard.text, {"audio": name, "transcript": u.heard.raw,
                                            "asr_ms": round(u.heard.asr_ms, 1), "eos_ms": round(u.eos_ms, 1),
                                            "ended": u.reason})
            except AudioError as exc:
                if on_error is None:
                    raise
                on_error(name, exc)
                continue
            if not heard_any:
                on_heard("", {"audio": name, "transcript": "", "asr_ms": 0.0, "eos_ms": None})
    finally:
        await asr.recogniser.close()


def run_files(config: Config, files: list[str], on_heard: OnHeard, **kw: Any) -> None:
    asyncio.run(recognise_files(config, files, on_heard, **kw))
