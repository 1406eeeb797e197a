"""The ``audio:`` config section, validated with :class:`agent.config.Reader`.

::

    audio:
      input: mic            # mic | file | stdin
      device: "USB"         # mic: part of a device name, or its index (voice-agent devices)
      file: demo.wav        # file: a WAV (or raw 16 kHz s16le) recording
      realtime: true        # file: pace it like a microphone
      rate: 0               # mic: capture rate; 0 = the device's own
      block_ms: 20          # 20..40 ms blocks
      queue_blocks: 250     # blocks buffered between PortAudio's thread and the loop (5 s:
                            # the listener catches up after a slow recognition, losing nothing)
      retry_min_s: 0.5      # reopening a lost device: first wait ...
      retry_max_s: 30       # ... doubling up to this
      vad:
        model: silero       # silero (neural, behind the energy gate) | energy
        threshold_db: 9     # energy: how far above the room's noise floor speech is
        complete_pause_ms: 200   # a finished command is acted on after this much quiet (0: off)
        look_ahead_ms: 150       # reading the words starts this long before that (overlaps it)
        end_silence_ms: 700      # ... anything else after this much
        max_utterance_s: 10
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import Config, Reader
from ..errors import ConfigError
from .silero import unavailable as silero_unavailable
from .vad import MODELS, VadSettings

INPUTS = ("mic", "file", "stdin")


@dataclass(frozen=True, slots=True)
class AudioSettings:
    input: str = "mic"
    device: str | int | None = None
    """Name fragment or PortAudio index; None: the default input."""
    file: Path | None = None
    realtime: bool = True
    rate: int = 0
    channels: int = 0
    block_ms: int = 20
    queue_blocks: int = 250
    """Blocks buffered between PortAudio's thread and the loop; the oldest is dropped past it."""
    retry_min_s: float = 0.5
    retry_max_s: float = 30.0
    stall_s: float = 2.0
    """A device that delivers nothing for this long counts as lost."""
    vad: VadSettings = field(default_factory=VadSettings)


def read_audio(config: Config) -> AudioSettings:
    problems: list[str] = []
    r = Reader(config.sections.get("audio"), "audio", problems, str(config.path), 0)
    d = AudioSettings()
    kind = r.get("input", str, d.input, choices=INPUTS) or d.input
    device = r.get("device", (str, int), None)
    file = r.get("file", str, None)
    path = None
    if file:
        path = (Path(config.path).parent / file).resolve()
        if not path.is_file():
            r.problem(f"audio file {file!r} not found (looked in {path})", "file")
    elif kind == "file":
        r.problem("input 'file' needs 'file: path/to/recording.wav'", "file")
    v = r.sub("vad")
    dv = VadSettings()
    vad = VadSettings(
        threshold_db=v.get("threshold_db", float, dv.threshold_db, minimum=1, maximum=40),
        min_level_db=v.get("min_level_db", float, dv.min_level_db, minimum=-100, maximum=0),
        start_ms=v.get("start_ms", int, dv.start_ms, minimum=10, maximum=2000),
        end_silence_ms=v.get("end_silence_ms", int, dv.end_silence_ms, minimum=100, maximum=5000),
        max_utterance_s=v.get("max_utterance_s", float, dv.max_utterance_s, minimum=1, maximum=30),
        preroll_ms=v.get("preroll_ms", int, dv.preroll_ms, minimum=0, maximum=2000),
        model=v.get("model", str, dv.model, choices=MODELS) or dv.model,
        speech_probability=v.get("speech_probability", float, dv.speech_probability, minimum=0.2, maximum=0.95),
        complete_pause_ms=v.get("complete_pause_ms", int, dv.complete_pause_ms, minimum=0, maximum=5000),
        look_ahead_ms=v.get("look_ahead_ms", int, dv.look_ahead_ms, minimum=0, maximum=5000),
    )
    if not v.has("look_ahead_ms"):  # the default look starts at least 50 ms into the quiet
        vad = replace(vad, look_ahead_ms=max(0, min(dv.look_ahead_ms, vad.complete_pause_ms - 50)))
    if vad.complete_pause_ms and vad.complete_pause_ms >= vad.end_silence_ms:
        v.problem(f"complete_pause_ms ({vad.complete_pause_ms}) must be shorter than end_silence_ms "
                  f"({vad.end_silence_ms}), or 0 to always wait the full silence", "complete_pause_ms")
    if vad.complete_pause_ms and vad.look_ahead_ms >= vad.complete_pause_ms:
        v.problem(f"look_ahead_ms ({vad.look_ahead_ms}) must be shorter than complete_pause_ms "
                  f"({vad.complete_pause_ms}): the look starts that long before the pause is over", "look_ahead_ms")
    if vad.model == "silero" and (reason := silero_unavailable()) is not None:
        if v.has("model"):
            v.problem(reason, "model")
        else:  # silero by default: point at the audio section
            r.problem(reason, "vad.model")
    v.done()
    settings = AudioSettings(
        input=kind, device=device, file=path,
        realtime=r.get("realtime", bool, d.realtime),
        rate=r.get("rate", int, 0, minimum=0, maximum=384000),
        channels=r.get("channels", int, 0, minimum=0, maximum=64),
        block_ms=r.get("block_ms", int, d.block_ms, minimum=20, maximum=40),
        queue_blocks=r.get("queue_blocks", int, d.queue_blocks, minimum=2, maximum=10000),
        retry_min_s=r.get("retry_min_s", float, d.retry_min_s, minimum=0.01, maximum=600),
        retry_max_s=r.get("retry_max_s", float, d.retry_max_s, minimum=0.01, maximum=3600),
        stall_s=r.get("stall_s", float, d.stall_s, minimum=0.2, maximum=60),
        vad=vad,
    )
    r.done()
    if problems:
        raise ConfigError(problems)
    return settings
