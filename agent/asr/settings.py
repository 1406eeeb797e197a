"""The ``asr:`` config section, validated with :class:`agent.config.Reader`.

::

    asr:
      engine: vosk            # vosk (default) or whisper
      mode: limited           # open | limited (vosk only) | corrected
      model: vosk-small-en-us # a known model name (voice-agent models list) or a directory
      models_dir: /var/lib/voice-agent/models
      max_distance: 0.22      # corrected: how far a transcript may be from a sentence
      prompt: auto            # whisper: auto (the domain's words) | none | your own text
      beam_size: 1            # whisper
      compute_type: int8      # whisper (CTranslate2)
      threads: 2              # whisper
      window: full            # whisper: full (30 s) | fit (10 s: faster, less accurate in noise)
      look_window: fit        # whisper, the look that may end a finished command early: fit | full
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config, Reader
from ..errors import ConfigError
from ..models import DEFAULTS, data_dir

ENGINES = ("vosk", "whisper")
MODES = ("open", "limited", "corrected")


@dataclass(frozen=True, slots=True)
class AsrSettings:
    engine: str = "vosk"
    mode: str = "limited"
    """``open`` free text; ``limited`` a grammar of the domain's phrases (Vosk);
    ``corrected`` free text snapped to the nearest in-domain sentence."""
    model: str = ""
    """Known model name or directory; empty: the engine's default model."""
    models_dir: Path = Path()
    max_distance: float = 0.22
    prompt: str = "auto"
    beam_size: int = 1
    compute_type: str = "int8"
    threads: int = 2
    window: str = "full"
    """Whisper's encoder input: ``full`` 30 s, or ``fit`` 10 s / the utterance plus padding
    (cheaper, but less accurate in noise: barista-dev at 12 dB 52/60 against 56/60)."""
    look_window: str = "fit"
    """Whisper's window for the look in a pause (``audio.vad.complete_pause_ms``) that may end
    a finished command early; only a look whose words parse as a finished command is acted on."""
    language: str = "en"
    grammar_limit: int = 64
    """Limited mode: a template piece with more expansions than this is split up."""

    @property
    def model_name(self) -> str:
        return self.model or DEFAULTS[self.engine]


def read_asr(config: Config) -> AsrSettings:
    """Validate ``config.sections['asr']``; raise :class:`ConfigError` with file:line problems."""
    problems: list[str] = []
    node = config.sections.get("asr")
    r = Reader(node, "asr", problems, str(config.path), 0)
    d = AsrSettings()
    engine = r.get("engine", str, d.engine, choices=ENGINES) or d.engine
    default_mode = "limited" if engine == "vosk" else "corrected"
    mode = r.get("mode", str, default_mode, choices=MODES) or default_mode
    if mode == "limited" and engine != "vosk":
        r.problem("'limited' needs a grammar, which only Vosk takes; use 'corrected' with whisper", "mode")
    models_dir = r.get("models_dir", str, None)
    base = config.path.parent if isinstance(config.path, Path) else Path(".")
    model = r.get("model", str, "")
    if model and ("/" in model or model.startswith(".")) and not Path(model).is_absolute():
        model = str((base / model).resolve())
    settings = AsrSettings(
        engine=engine, mode=mode, model=model or "",
        models_dir=data_dir((base / models_dir).resolve() if models_dir else None),
        max_distance=r.get("max_distance", float, d.max_distance, minimum=0.0, maximum=0.6),
        prompt=r.get("prompt", str, d.prompt),
        beam_size=r.get("beam_size", int, d.beam_size, minimum=1, maximum=10),
        compute_type=r.get("compute_type", str, d.compute_type,
                           choices=("int8", "int8_float32", "float32", "int16", "default")),
        threads=r.get("threads", int, d.threads, minimum=1, maximum=64),
        window=r.get("window", str, d.window, choices=("fit", "full")) or d.window,
        look_window=r.get("look_window", str, d.look_window, choices=("fit", "full")) or d.look_window,
        language=r.get("language", str, config.language or "en"),
        grammar_limit=r.get("grammar_limit", int, d.grammar_limit, minimum=1, maximum=5000),
    )
    r.done()
    if problems:
        raise ConfigError(problems)
    return settings
