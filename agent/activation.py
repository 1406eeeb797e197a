"""Activation: when is the agent listening for a command?

Three modes (``activation.mode``):

* ``always`` - every utterance is a command (vehicles, with a command grammar);
* ``wake`` - a wake phrase ("hey computer") first, spotted by a small Vosk recogniser
  restricted to that phrase, fed only while the VAD hears speech, so a quiet room
  costs almost nothing; the command may follow in the same breath or within
  ``listen_timeout_s``;
* ``ptt`` - push-to-talk: a message on ``<prefix>/<site>/listen`` (``start``, or an
  empty payload) opens the microphone for one command; ``stop`` ends it at once.

:class:`Gate` is the pure state machine (``idle`` / ``listening`` / ``processing``,
fed times, never a clock); every change is reported so ``hardware/`` can drive an
LED or a chime. :class:`WakeSpotter` runs the wake phrase recogniser.

::

    activation:
      mode: wake
      wake_phrase: hey computer
      wake_model: vosk-small-en-us   # default: the asr model when the asr engine is vosk
      listen_timeout_s: 6
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .config import Config, Reader
from .errors import ConfigError
from .normalize import tokens

MODES = ("always", "wake", "ptt")
IDLE, LISTENING, PROCESSING = "idle", "listening", "processing"
PRESS = ("", "start", "press", "pressed", "on", "1", "true", "listen")
RELEASE = ("stop", "release", "released", "off", "0", "false")


@dataclass(frozen=True, slots=True)
class ActivationSettings:
    mode: str = "always"
    wake_phrase: str = ""
    wake_model: str = ""
    """Vosk model for the wake phrase (name or directory); empty: the asr model."""
    listen_timeout_s: float = 6.0
    """After a wake phrase or a press, how long to wait for the command to start."""
    listen_topic: str = ""
    """Push-to-talk topic: ``<prefix>/<site>/listen``."""


def read_activation(config: Config) -> ActivationSettings:
    problems: list[str] = []
    r = Reader(config.sections.get("activation"), "activation", problems, str(config.path), 0)
    d = ActivationSettings()
    mode = r.get("mode", str, d.mode, choices=MODES) or d.mode
    phrase = r.get("wake_phrase", str, "")
    if mode == "wake" and not (phrase or "").strip():
        r.problem("wake mode needs a 'wake_phrase' (two or three words, e.g. 'hey computer')", "wake_phrase")
    elif mode == "wake" and len((phrase or "").split()) < 2:
        r.problem(f"wake phrase {phrase!r} is one word; use two or three (one word is spotted "
                  "in ordinary speech far too often)", "wake_phrase")
    model = r.get("wake_model", str, "") or ""
    if model and ("/" in model or model.startswith(".")) and not Path(model).is_absolute():
        model = str((Path(config.path).parent / model).resolve())
    base = f"{config.mqtt.prefix}/{config.site}" if config.mqtt.prefix else config.site
    settings = ActivationSettings(mode, (phrase or "").strip(), model,
                                  r.get("listen_timeout_s", float, d.listen_timeout_s, minimum=0.5, maximum=120),
                                  f"{base}/listen")
    r.done()
    if problems:
        raise ConfigError(problems)
    return settings


class Gate:
    """Which utterances are commands; the listening state. Pure: fed times."""

    def __init__(self, mode: str, listen_timeout_s: float = 6.0,
                 on_state: Callable[[str, str], None] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown activation mode {mode!r}")
        self.mode = mode
        self.timeout = listen_timeout_s
        self.state = IDLE
        self.on_state = on_state
        self._deadline: float | None = None
        self._released = False

    def _set(self, state: str, why: str) -> None:
        if state != self.state:
            self.state = state
            if self.on_state:
                self.on_state(state, why)

    @property
    def armed(self) -> bool:
        """The next utterance (or the one in progress) is a command."""
        return self.mode == "always" or self.state == LISTENING

    def wake(self, now: float) -> None:
        """The wake phrase was heard."""
        self._deadline = now + self.timeout
        self._set(LISTENING, "wake")

    def follow_up(self, now: float, seconds: float) -> None:
        """The agent asked a question: its answer is a command without the wake phrase."""
        if self.mode != "always" and self.state == IDLE:
            self._deadline = now + seconds
            self._set(LISTENING, "question")

    def press(self, now: float) -> None:
        self._deadline = now + self.timeout
        self._released = False
        self._set(LISTENING, "press")

    def release(self, speaking: bool = True) -> bool:
        """Push-to-talk released: True when a command in progress should end now; a
        release before anything was said just stops listening."""
        self._released = True
        if self.state == LISTENING and not speaking:
            self._deadline = None
            self._set(IDLE, "released")
            return False
        return self.state == LISTENING

    def speech_started(self, now: float) -> bool:
        """An utterance began: is it a command?"""
        if self.mode == "always":
            self._set(LISTENING, "speech")
        if self.state == LISTENING:
            self._deadline = None  # the command has started; no timeout while it lasts
            return True
        return False

    def processing(self) -> None:
        self._set(PROCESSING, "end of speech")

    def done(self, now: float, *, heard_anything: bool) -> None:
        """The command was recognised. An empty one after a wake phrase keeps listening."""
        if not heard_anything and self.mode != "always" and not self._released:
            self._deadline = now + self.timeout
            self._set(LISTENING, "nothing heard yet")
        else:
            self._set(IDLE, "done")

    def mute(self) -> None:
        """The microphone was muted: whatever was being listened for is dropped."""
        self._deadline = None
        self._set(IDLE, "muted")

    def tick(self, now: float) -> None:
        """Time passed: a listening state nobody spoke into times out."""
        if self.state == LISTENING and self._deadline is not None and now >= self._deadline:
            self._deadline = None
            self._set(IDLE, "timeout")


class WakeSpotter:
    """A Vosk recogniser whose grammar is the wake phrase and "[unk]"."""

    def __init__(self, model_path: Path, phrase: str) -> None:
        from .asr.vosk import VoskRecogniser
        self.phrase = " ".join(tokens(phrase, keep_fillers=True))
        self.recogniser = VoskRecogniser(model_path, [phrase.lower()], label="wake")
        self._words = tuple(self.phrase.split())

    async def load(self) -> None:
        await self.recogniser.load()
        if self.recogniser.unknown_words:
            from .errors import ModelMissing
            raise ModelMissing(f"wake phrase {self.phrase!r} has word(s) the wake model does not know: "
                               f"{', '.join(self.recogniser.unknown_words)}; choose other words or another "
                               "model (activation.wake_model)", code="activation-invalid")

    async def start(self) -> None:
        await self.recogniser.start()

    async def feed(self, pcm: bytes) -> float | None:
        """Seconds from :meth:`start` at which the wake phrase ended, once it is heard."""
        _, words = await self.recogniser.feed_words(pcm)
        return self.find(words)

    def find(self, words: list[dict]) -> float | None:
        seq = [tuple(tokens(w.get("word", ""), keep_fillers=True)) for w in words]
        flat = [(t, w.get("end", 0.0)) for toks, w in zip(seq, words) for t in toks]
        k = len(self._words)
        for i in range(len(flat) - k + 1):
            if tuple(t for t, _ in flat[i:i + k]) == self._words:
                return float(flat[i + k - 1][1])
        return None

    async def finish(self) -> None:
        await self.recogniser.finish()

    async def close(self) -> None:
        await self.recogniser.close()
