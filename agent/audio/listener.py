"""The hearing half of the agent: audio -> activation -> endpointing -> recogniser -> transcripts.

:class:`Listener` is one component with an async interface: :meth:`utterances` yields
an :class:`Utterance` (a :class:`~agent.messages.Transcript` plus timing) for every
command heard; :meth:`run` puts the transcripts into a queue a daemon consumes.
Events go to ``emit(kind, data)``:

* ``state``   ``{"state": "idle" | "listening" | "processing", "why": ...}``
* ``partial`` ``{"text": ...}`` while a streaming recogniser hears a command
* ``wake``    ``{"phrase": ...}`` when the wake phrase was heard
* ``heard``   ``{"text", "raw", "asr_ms", "eos_ms", "reason", "distance"}`` per recognised command
* ``error``   ``{"code", "message"}`` (a lost microphone, ...)

Intent-aware endpointing: after ``complete_pause_ms`` of quiet the listener looks at what
has been heard (Vosk's partial result, or a Whisper pass over the audio so far) and asks
:class:`~agent.understanding.complete.Completion` whether it is a finished command nothing could add
to. If so the utterance ends there (``reason: complete``) and a Whisper transcript is
reused as the final one; if not, the look is thrown away and the listener waits for the
normal trailing silence (``heard`` then says why in ``waited``), after which the whole
utterance is recognised afresh. The look starts
``look_ahead_ms`` before the pause is over (at the endpointer's ``SpeechLull``) and runs
while the audio goes on, so recognition overlaps the end of the pause; speech resuming in
that time makes it stale (its words are not used).

The audio's own clock (chunk timestamps) drives every timeout, so a file read faster
than real time behaves exactly like the microphone it stands for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Any, AsyncIterator, Callable

from ..activation import Gate
from ..asr import Asr, Heard
from ..messages import Transcript
from .sources import AudioSource
from .vad import Endpointer, SpeechAudio, SpeechEnd, SpeechLull, SpeechPause, SpeechStart, VadSettings

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Utterance:
    transcript: Transcript
    heard: Heard
    speech_end: float
    """Audio time the user stopped speaking."""
    decided: float
    """Audio time the endpointer closed the utterance (``speech_end`` + trailing quiet)."""
    reason: str
    """Why it closed: ``silence``, ``complete``, ``max_length``, ``flush`` or ``released``."""

    eos_ms: float
    """End of speech (the last voiced sample) to transcript: the trailing quiet waited for
    and the recognition not already done during it (a look taken in the quiet whose words
    stand counts from when it finished, if that was later)."""


class Listener:
    def __init__(self, source: AudioSource, asr: Asr, *, vad: VadSettings = VadSettings(),
                 gate: Gate | None = None, wake: Any = None, emit: Emit | None = None,
                 completion: Any = None, endpointer: Endpointer | None = None) -> None:
        self.source = source
        self.asr = asr
        self.endpointer = endpointer if endpointer is not None else Endpointer(vad)
        self.completion = completion
        """:class:`~agent.understanding.complete.Completion`, or None: always wait the full trailing silence."""
        self.emit = emit or (lambda kind, data: None)
        self.gate = gate or Gate("always")
        self.gate.on_state = lambda state, why: self.emit("state", {"state": state, "why": why})
        self.wake = wake
        self._command = False  # the utterance in progress goes to the recogniser
        self._spotting = False  # ... or to the wake spotter
        self._segment: list[bytes] = []  # audio of the utterance in progress (for a late wake)
        self._now = 0.0
        self._ptt: list[bool] = []
        self._early: tuple[str, float] | None = None  # (transcript, ms) of a look that found it finished
        self._look: tuple[float, float] | None = None  # (speech end, ms after it the last look was done)
        self._looking: tuple[float, float, asyncio.Future] | None = None  # (speech end, started, look) in progress
        self._waited = ""  # why the last look did not end the utterance
        self.loaded = False
        self.muted = False
        """While True, microphone audio is dropped before the wake spotter or recogniser hear it."""
        self._answer_window = 0.0
        self.agent_speaking: Callable[[], bool] = lambda: False
        """True while the agent speaks a reply (agent/voice): the microphone's audio is dropped then."""
        self.barge_in: Callable[[], None] = lambda: None
        """Called when the person starts talking (push-to-talk, or speech while not muted)."""

    async def load(self) -> None:
        if not self.loaded:
            await self.asr.recogniser.load()
            if self.wake is not None:
                await self.wake.load()
            self.loaded = True

    # -- push-to-talk (called on the loop, e.g. from an MQTT message) -------------
    def push_to_talk(self, pressed: bool) -> None:
        self._ptt.append(pressed)

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute the microphone (on the loop; the Home Assistant mute switch)."""
        self.muted = muted

    async def _drop(self) -> None:
        """Muted mid-utterance: forget it; nothing of it is recognised."""
        self.endpointer.reset()
        self._segment = []
        if self._spotting:
            self._spotting = False
            await self.wake.finish()
        if self._command:
            self._command = False
            await self._settle_look()
            await self.asr.finish()
        self.gate.mute()

    def listen_for_answer(self, seconds: float) -> None:
        """The agent asked a question: hear the answer without the wake phrase (on the loop)."""
        self._answer_window = seconds

    async def run(self, out: asyncio.Queue[Transcript]) -> None:
        """Put every command's transcript into ``out`` until the source ends."""
        async for u in self.utterances():
            await out.put(u.transcript)

    async def utterances(self) -> AsyncIterator[Utterance]:
        await self.load()
        self.emit("state", {"state": self.gate.state, "why": "start"})
        async for chunk in self.source.chunks():
            self._now = chunk.timestamp
            if self.muted:
                self._ptt.clear()
                if self.endpointer.in_speech or self._command or self._spotting or self.gate.state != "idle":
                    await self._drop()
                continue
            for pressed in self._ptt:
                if pressed:
                    self.barge_in()
                    self.gate.press(self._now)
                    if self.endpointer.in_speech and not self._command:
                        await self._begin_command(b"".join(self._segment))
                elif self.gate.release(speaking=self._command) and self._command and self.endpointer.in_speech:
                    self.endpointer.reset()
                    got = await self._end(SpeechEnd(self._now, self._now, "released"))
                    if got:
                        yield got
            self._ptt.clear()
            if self._answer_window:
                self.gate.follow_up(self._now, self._answer_window)
                self._answer_window = 0.0
            if not self._command and self.agent_speaking():  # the agent's own voice is never a command
                if self.endpointer.in_speech:
                    self.endpointer.reset()
                    await self._end(SpeechEnd(self._now, self._now, "muted"))
                self.gate.tick(self._now)
                continue
            for event in self.endpointer.feed(chunk.timestamp, chunk.pcm):
                if isinstance(event, SpeechLull):
                    self._start_look(event)
                    continue
                if isinstance(event, SpeechPause):
                    if not await self._finished(event):
                        continue
                    event = self.endpointer.close(event.time)[0]
                got = await self._on(event)
                if got is not None:
                    yield got
                if isinstance(event, SpeechEnd) and event.reason == "complete":
                    break  # the rest of this chunk is trailing quiet
            self.gate.tick(self._now)
        for event in self.endpointer.flush(self._now):
            got = await self._on(event)
            if got is not None:
                yield got

    def _start_look(self, lull: SpeechLull) -> None:
        """Start reading the words heard so far; :meth:`_finished` takes the result."""
        if not self._command or self.completion is None:
            return
        if self._looking is not None:  # stale: speech resumed after it started
            self._looking[2].add_done_callback(lambda f: f.cancelled() or f.exception())
        self._looking = (lull.speech_end, lull.time, asyncio.ensure_future(self._read_words()))

    async def _read_words(self) -> tuple[str, Any, float]:
        """(transcript so far, the completion verdict, ms it took)."""
        t0 = time.perf_counter()
        text = await self.asr.peek()
        verdict = self.completion.check(text) if text else None
        return text, verdict, (time.perf_counter() - t0) * 1000.0

    async def _settle_look(self) -> None:
        """Let a look still running finish (its words may be reused; the recogniser is free after)."""
        looking, self._looking = self._looking, None
        if looking is not None:
            await looking[2]

    async def _finished(self, pause: SpeechPause) -> bool:
        """Is what has been heard a finished command? (a look at the words so far)"""
        if not self._command or self.completion is None:
            return False
        looking, self._looking = self._looking, None
        if looking is not None and looking[0] == pause.speech_end:  # started at the lull: no new speech since
            started = looking[1]
            text, verdict, ms = await looking[2]
        else:
            if looking is not None:
                await looking[2]  # stale (speech resumed after it started)
            started = pause.time
            text, verdict, ms = await self._read_words()
        self._look = (pause.speech_end, (started - pause.speech_end) * 1000.0 + ms)
        if verdict is None or not verdict.complete:
            self._waited = verdict.why if verdict is not None else "nothing heard yet"
            return False
        self._early = (text, ms)
        return True

    async def _begin_command(self, audio: bytes) -> None:
        await self._settle_look()
        self._command = True
        self._early = None
        self._look = None
        self._waited = ""
        await self.asr.recogniser.start()
        if audio:
            await self._feed(audio)

    async def _feed(self, audio: bytes) -> None:
        partial = await self.asr.recogniser.feed(audio)
        if partial:
            self.emit("partial", {"text": partial})

    async def _on(self, event: SpeechStart | SpeechAudio | SpeechEnd) -> Utterance | None:
        if isinstance(event, SpeechStart):
            self.barge_in()
            self._segment = [event.audio]
            if self.gate.speech_started(event.time):
                await self._begin_command(event.audio)
            elif self.wake is not None and self.gate.mode == "wake":
                self._spotting = True
                await self.wake.start()
                await self._spot(event.audio)
            return None
        if isinstance(event, SpeechAudio):
            if self._command:
                await self._feed(event.audio)
            else:
                self._segment.append(event.audio)
                if self._spotting:
                    await self._spot(event.audio)
            return None
        return await self._end(event)

    async def _spot(self, audio: bytes) -> None:
        end = await self.wake.feed(audio)
        if end is None:
            return
        self._spotting = False
        await self.wake.finish()
        self.emit("wake", {"phrase": self.wake.phrase})
        self.gate.wake(self._now)
        self.gate.speech_started(self._now)
        rest = b"".join(self._segment)[int(end * 16000) * 2:]
        await self._begin_command(rest)

    async def _end(self, event: SpeechEnd) -> Utterance | None:
        self._segment = []
        if self._spotting:
            self._spotting = False
            await self.wake.finish()
        if not self._command:
            return None
        self._command = False
        self.gate.processing()
        early, self._early = (self._early if event.reason == "complete" else None), None
        await self._settle_look()  # a look begun at a lull that never became a pause
        look, self._look = self._look, None
        # The look's words stand only when they ended the utterance. After the full silence
        # the audio is read again: a look taken close to the end of speech loses last words
        # (barista-dev in kitchen noise: 54/60 reusing it, 56/60 reading again).
        quiet = early is not None and look is not None and look[0] == event.speech_end
        heard = await self.asr.finish(quiet_since_peek=quiet)
        waited_ms = (event.time - event.speech_end) * 1000.0
        if quiet:  # the look's words stand: recognition ended when it did, or after the quiet
            eos_ms = max(waited_ms, look[1]) + heard.asr_ms
        else:
            eos_ms = waited_ms + heard.asr_ms
        if early:  # the recognition was the look itself
            heard = replace(heard, asr_ms=heard.asr_ms + early[1])
        self.gate.done(event.time, heard_anything=bool(heard.raw))
        if not heard.raw:
            return None
        u = Utterance(Transcript(heard.text, True, round(heard.asr_ms, 1), self.asr.name, round(eos_ms, 1)),
                      heard, event.speech_end, event.time, event.reason, eos_ms)
        self.emit("heard", {"text": heard.text, "raw": heard.raw, "asr_ms": round(heard.asr_ms, 1),
                            "eos_ms": round(eos_ms, 1), "reason": event.reason,
                            **({"waited": self._waited} if self._waited and event.reason != "complete" else {}),
                            **({"distance": heard.correction.distance} if heard.correction else {})})
        return u


def build_listener(config, source: AudioSource, *, engine=None, emit: Emit | None = None,
                   audio=None, asr_settings=None, activation=None) -> Listener:
    """A listener for ``config``'s ``audio``, ``asr`` and ``activation`` sections."""
    from ..activation import WakeSpotter, read_activation
    from ..asr import build_asr, read_asr, template_engine
    from ..models import resolve
    from .settings import read_audio
    audio = audio or read_audio(config)
    asr_settings = asr_settings or read_asr(config)
    activation = activation or read_activation(config)
    templates = template_engine(config, engine)
    asr = build_asr(config, asr_settings, templates)
    wake = None
    if activation.mode == "wake":
        model = activation.wake_model or (asr_settings.model_name if asr_settings.engine == "vosk" else "")
        wake = WakeSpotter(resolve(model, "vosk", asr_settings.models_dir), activation.wake_phrase)
    gate = Gate(activation.mode, activation.listen_timeout_s)
    return Listener(source, asr, vad=audio.vad, gate=gate, wake=wake, emit=emit,
                    completion=build_completion(templates, audio.vad))


def build_completion(templates, vad: VadSettings):
    """The finished-command check intent-aware endpointing uses (None when it is off)."""
    if not vad.complete_pause_ms:
        return None
    from ..understanding.complete import Completion
    return Completion(templates)




_DEFAULT = object()


def make_source(settings, *, mic: Any = _DEFAULT, audio: str | None = None, realtime: bool | None = None,
                on_error: Callable[[Exception], None] | None = None) -> AudioSource:
    """The audio source the command line (``--mic [DEVICE]``, ``--audio FILE|-``) or else
    the ``audio:`` section asks for."""
    from .capture import MicSource
    from .sources import FileSource, StdinSource
    if audio == "-" or (audio is None and mic is _DEFAULT and settings.input == "stdin"):
        return StdinSource(block_ms=settings.block_ms)
    if audio is not None or (mic is _DEFAULT and settings.input == "file"):
        path = audio if audio is not None else settings.file
        pace = settings.realtime if realtime is None else realtime
        return FileSource(path, realtime=pace, block_ms=settings.block_ms)
    device = None if mic is _DEFAULT else mic
    return MicSource(settings, device=device, on_error=on_error)
