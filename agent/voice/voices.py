"""Which voice a config gets: Piper when it loads, espeak-ng when Piper cannot."""

from __future__ import annotations

import logging

from ..errors import AgentError
from .espeak import EspeakVoice
from .settings import VoiceSettings
from .tts import Voice

log = logging.getLogger(__name__)


def build_voice(settings: VoiceSettings, engine: str | None = None) -> Voice:
    """Load the configured voice. A Piper voice that cannot load (missing package or file,
    broken model) is logged with its fix and espeak-ng speaks instead: a reply in a
    robotic voice beats silence. espeak-ng itself missing is an error."""
    engine = engine or settings.engine
    if engine == "piper":
        from .piper import PiperVoice, find_voice
        try:
            return PiperVoice(find_voice(settings.piper_voice, settings.models_dir), speed=settings.speed,
                              threads=settings.threads)
        except AgentError as exc:
            log.warning("[%s] %s; speaking with espeak-ng instead", exc.code, exc)
        except Exception as exc:  # noqa: BLE001 - a broken model file must not silence the agent
            log.warning("Piper voice %r failed to load (%s: %s); speaking with espeak-ng instead",
                        settings.piper_voice, type(exc).__name__, exc)
    return EspeakVoice(settings.espeak_voice, speed=int(165 * settings.speed))


def check_voice(settings: VoiceSettings) -> None:
    """What ``check`` verifies without loading a model: the voice files and programs exist."""
    if settings.engine == "piper":
        from .piper import find_voice
        find_voice(settings.piper_voice, settings.models_dir)
    if settings.engine in ("piper", "espeak"):
        import shutil
        if shutil.which("espeak-ng") is None:
            from ..errors import ModelMissing
            raise ModelMissing("espeak-ng is not installed (the fallback voice, and Piper's phonemizer "
                               "data); install the Debian package espeak-ng", code="tts-voice-missing")
