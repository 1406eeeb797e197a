"""The ``voice:`` config section, validated with :class:`agent.config.Reader`.

::

    voice:
      engine: piper               # piper | espeak | none (silent: replies are only published)
      piper_voice: en_US-joe-medium   # a Piper voice name (bundled or downloaded) or a .onnx path
      espeak_voice: en-us         # espeak-ng voice; espeak is also the fallback when Piper fails
      speed: 1.0                  # 0.5 .. 2.0
      volume: 1.0                 # 0 .. 2.0
      output: default             # speaker: part of a device name, or its index (voice-agent devices);
                                  # 'none' speaks nowhere (replies still go out as events)
      acknowledge: sound          # a plain action in the speaker's own room: sound | speech | none
      mute_mic: true              # ignore the microphone while speaking (no echo cancellation)
      mute_tail_ms: 300           # ... and this long after, while the room's echo dies down
      wav_topic: false            # also publish each reply as WAV bytes on <prefix>/<site>/reply/wav
      answer_window_s: 8          # after "Which one?" / "Which room?": how long the answer is awaited,
                                  # heard without the wake phrase
      threads: 1                  # onnxruntime threads for Piper (0: one per core). One was
                                  # faster on a busy 2-core board: it leaves the recogniser a core

A config without a ``voice:`` section speaks with the defaults above when a speaker is
there; ``engine: none`` keeps the agent silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config, Reader
from ..errors import ConfigError

ENGINES = ("piper", "espeak", "none")
ACKNOWLEDGE = ("sound", "speech", "none")


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    engine: str = "piper"
    """``piper``, ``espeak`` or ``none``."""
    piper_voice: str = "en_US-joe-medium"
    """Name of a bundled or downloaded Piper voice, or a path to its ``.onnx``."""
    espeak_voice: str = "en-us"
    speed: float = 1.0
    """1.0 is the voice's own pace; 1.2 is 20 % faster."""
    volume: float = 1.0
    output: str | int | None = None
    """Speaker: name fragment or PortAudio index; None: the default output; ``"none"``: no playback."""
    acknowledge: str = "sound"
    """What a plain action in the speaker's own room gets: ``sound``, ``speech`` or ``none``."""
    mute_mic: bool = True
    """Ignore the microphone while a reply plays (a board without echo cancellation hears itself)."""
    mute_tail_ms: int = 300
    wav_topic: bool = False
    """Also publish each spoken reply as a WAV file on ``<prefix>/<site>/reply/wav``."""
    threads: int = 1
    answer_window_s: float = 8.0
    """Seconds a clarifying question waits for its answer (from when it was spoken)."""
    models_dir: Path | None = None
    """Where downloaded Piper voices live (the ``asr.models_dir`` setting)."""

    @property
    def plays(self) -> bool:
        return self.engine != "none" and self.output != "none"


def read_voice(config: Config) -> VoiceSettings:
    problems: list[str] = []
    r = Reader(config.sections.get("voice"), "voice", problems, str(config.path), 0)
    d = VoiceSettings()
    settings = VoiceSettings(
        engine=r.get("engine", str, d.engine, choices=ENGINES) or d.engine,
        piper_voice=r.get("piper_voice", str, d.piper_voice) or d.piper_voice,
        espeak_voice=r.get("espeak_voice", str, d.espeak_voice) or d.espeak_voice,
        speed=r.get("speed", float, d.speed, minimum=0.5, maximum=2.0),
        volume=r.get("volume", float, d.volume, minimum=0.0, maximum=2.0),
        output=r.get("output", (str, int), None),
        acknowledge=r.get("acknowledge", str, d.acknowledge, choices=ACKNOWLEDGE) or d.acknowledge,
        mute_mic=r.get("mute_mic", bool, d.mute_mic),
        mute_tail_ms=r.get("mute_tail_ms", int, d.mute_tail_ms, minimum=0, maximum=5000),
        wav_topic=r.get("wav_topic", bool, d.wav_topic),
        threads=r.get("threads", int, d.threads, minimum=0, maximum=64),
        answer_window_s=r.get("answer_window_s", float, d.answer_window_s, minimum=1.0, maximum=60.0),
        models_dir=_models_dir(config),
    )
    r.done()
    if problems:
        raise ConfigError(problems)
    return settings


def _models_dir(config: Config) -> Path | None:
    try:
        from ..asr.settings import read_asr
        return read_asr(config).models_dir
    except ConfigError:  # reported where the asr section is read
        return None
