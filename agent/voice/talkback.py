"""The reply stage of the running daemon: what happened -> a reply event, words and sounds.

It watches the daemon's events (not understood, confirmations, failed deliveries) and
gets each utterance's :class:`~agent.acting.planner.Plan` from the daemon (``daemon.talk``);
:class:`~agent.voice.replies.Replier` turns them into a :class:`~agent.voice.replies.Reply`,
which is published as ``<prefix>/<site>/reply`` (``text``, ``sound``, ``kind``, ``to``: the
utterance it answers) and handed to the :class:`~agent.voice.output.Mouth`, whose worker
thread speaks it; the event loop never waits for the voice. Failures of several devices of
one command are gathered into one sentence. A new utterance stops the reply that is
playing (barge-in), and the microphone side asks :meth:`TalkBack.muted` whether to listen.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..events import Event
from .replies import Replier, Reply
from .settings import VoiceSettings

log = logging.getLogger(__name__)

GATHER_S = 0.05
"""Failures of one command arriving this close together are said in one sentence."""
QUESTIONS = ("which_one", "which_room", "which_color")
"""Replies that ask for what a command lacks; the next utterance may be the answer."""
_SAID_BEFORE_A_COLOUR = re.compile(r"^(?:to|make (?:it|them)|(?:turn|set) (?:it|them)(?: to)?)\s+", re.I)
"""Words an answer to "which colour?" may start with ("make it blue"): the colour follows them."""
_ANY_COLOUR = re.compile(r"^(?:any(?: one| colou?r)?|anything|whatever|random|a different one|another one|something "
                         r"(?:else|different)|surprise me|you (?:choose|pick|decide)|(?:i )?(?:don't|do not) (?:care|mind)"
                         r"|(?:it )?doesn't matter)(?: please)?$", re.I)
"""Answers to "which colour?" that leave the choice to the agent."""
_HERE = re.compile(r"\b(?:in here|over here|right here|here|in this room|this room|in my room|in our room)\b")


@dataclass(slots=True)
class Question:
    """A clarifying question the agent asked about ``text`` (said by ``area``)."""

    uid: str
    text: str
    area: str | None
    deadline: float
    """Monotonic time the answer window closes (moved when the question has been spoken)."""
    kind: str = "which_one"
    """``which_one``, ``which_room`` or ``which_color``: what the answer names."""


def completions(text: str, answer: str, kind: str = "which_one") -> list[str]:
    """What the words meant with the answer to "which one?" / "which room?" / "which
    colour?" (``kind``) put in: "stop" + "the tv" -> "stop the tv"; "turn on the lights in
    here" + "the kitchen" -> "turn on the lights in the kitchen"; "change the colour of the
    lights" + "blue" -> "change the colour of the lights to blue"."""
    answer = answer.strip().rstrip(".!?")
    if kind == "which_color":
        color = _SAID_BEFORE_A_COLOUR.sub("", answer)
        if _ANY_COLOUR.match(color):
            color = "a different colour"
        return [f"{text} to {color}", f"{text} {answer}"]
    out = [f"{text} {answer}"]
    if _HERE.search(text.lower()):
        place = re.sub(r"^(?:(?:in|at|to)\s+)?(?:the\s+)?", "", answer.lower())
        out.insert(0, _HERE.sub(f"in the {place}", text.lower(), count=1))
    return out


class TalkBack:
    def __init__(self, daemon: Any, replier: Replier, settings: VoiceSettings, mouth: Any = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.daemon = daemon
        self.replier = replier
        self.settings = settings
        self.mouth = mouth
        self.clock = clock or daemon.clock
        self.asked: dict[str, tuple[str, str, dict[str, Any]]] = {}
        """Utterance id of an open question -> (intent, text, slots), for what to say after it."""
        self._failures: dict[tuple[str, str], list[str]] = {}
        self._parts: dict[str, list[tuple[str, str]]] = {}
        self._areas: dict[str, str | None] = {}
        """Parts of an utterance not understood, said together with the reply to the rest."""
        self.latencies: list[float] = []
        """Seconds from a reply's decision to its first audio at the speaker (benchmarks read it)."""
        self._chime = None
        self.question: Question | None = None
        """The clarifying question waiting for its answer (one at a time, like a person)."""
        self.listen_for_answer: Callable[[float], None] = lambda seconds: None
        """Opens the microphone for an answer without the wake phrase (set by ``run``)."""
        daemon.events.listeners.append(self.on_event)
        daemon.talk = self

    # ------------------------------------------------------------------ from the daemon (loop thread)
    def heard(self, uid: str, text: str, area: str | None = None) -> None:
        """A new utterance came in: whatever is being said is no longer wanted (barge-in)."""
        self._areas[uid] = area
        while len(self._areas) > 50:
            self._areas.pop(next(iter(self._areas)))
        if self.mouth is not None and self.mouth.stop():
            log.info("reply interrupted by a new utterance")

    def read(self, dialogue: Any, text: str, area: str | None, now: float) -> Any:
        """Understand ``text`` (on the understanding thread): within the answer window of a
        clarifying question, as the answer that completes the question's command when that
        makes a whole command; otherwise as words of their own."""
        q = self.question
        if q is not None and q.area == area and now <= q.deadline:
            self.question = None
            for whole in completions(q.text, text, q.kind):
                reading = dialogue.read(whole, area=area, now=now)
                if reading.commands and not reading.unknown:
                    log.info("%r answers %r: %r", text, q.text, whole)
                    return reading
        return dialogue.read(text, area=area, now=now)

    def planned(self, uid: str, plans: list[Any], area: str | None) -> None:
        """The commands of one utterance were planned (``cancel`` is said from its event)."""
        unknown = tuple(self._parts.pop(uid, ()))
        if not plans:
            return
        if self.daemon.config is not self.replier.config:  # reloaded (SIGHUP): the new intent files' words
            self.replier = self.replier.rebuilt(self.daemon.config, getattr(self.daemon.engine.understander,
                                                                             "intents", None))
        reply = self.replier.for_plans(plans, area=area, unknown=unknown)
        if unknown:  # "turn on the lamp and change its colour": the part asked about waits for its answer
            kind = self.replier.not_understood(*unknown[0]).kind
            if kind in QUESTIONS:
                self.question = Question(uid, unknown[0][0], area, self.clock() + self.settings.answer_window_s, kind)
        held = [p.intent for p in plans if any(a.device in self.replier.devices
                                               and self.replier.devices[a.device].confirm for a in p.actions)]
        if held:
            if self.mouth is not None:  # the window starts once the question has been said
                self.daemon.confirm.saying(uid, self.daemon.clock())
                self.daemon.confirm_moved()
            self.asked[uid] = (held[0].name or "", held[0].text, dict(held[0].slots))
            while len(self.asked) > 20:
                self.asked.pop(next(iter(self.asked)))
        self.reply(uid, reply)

    def on_event(self, event: Event) -> None:
        kind, data = event.kind, event.data
        if kind == "not_understood" and "utterance" in data:  # a part of a compound: said with the rest
            self._parts.setdefault(event.id, []).append((data.get("text", ""), data.get("reason", "")))
        elif kind == "not_understood":
            self._parts.pop(event.id, None)
            reply = self.replier.not_understood(data.get("text", ""), data.get("reason", ""))
            if reply.kind in QUESTIONS:
                self.question = Question(event.id, data.get("text", ""), self._areas.get(event.id),
                                         self.clock() + self.settings.answer_window_s, reply.kind)
            self.reply(event.id, reply)

        elif kind == "intent" and data.get("intent") == "cancel":
            self.reply(event.id, self.replier.say("cancelled", "cancel", data.get("text", "")))
        elif kind == "confirm" and data.get("result") in ("confirmed", "cancelled", "timeout"):
            # "confirmed" comes with the "yes" utterance's id and the question's as "asked"
            intent, text, slots = self.asked.pop(data.get("asked") or event.id, ("", "", {}))
            self.reply(event.id, self.replier.confirm_result(data["result"], intent, list(data.get("devices") or []),
                                                             text, slots))
        elif kind == "confirm" and data.get("result") == "superseded":
            self.asked.pop(event.id, None)
        elif kind == "error" and data.get("device") and data.get("code") in _LATE_FAILURES:
            key = (event.id, data["code"])
            if key not in self._failures:
                self._failures[key] = []
                self._loop().call_later(GATHER_S, self._say_failures, key)
            self._failures[key].append(data["device"])

    def _say_failures(self, key: tuple[str, str]) -> None:
        devices = self._failures.pop(key, [])
        if devices:
            self.reply(key[0], self.replier.failure(key[1], devices, seed=key[0]))

    # ------------------------------------------------------------------ out
    def reply(self, uid: str, reply: Reply) -> None:
        if reply.silent:
            return
        self.daemon.events.emit("reply", uid, text=reply.text, sound=reply.sound, reply=reply.kind)
        if self.mouth is None:
            return
        from .output import Speech
        sound = None
        if reply.sound:
            if self._chime is None:
                from .sounds import acknowledgement
                self._chime = acknowledgement()
            sound = self._chime
        self.mouth.say(Speech(uid, reply.text, sound, queued_at=self.clock()))

    def muted(self) -> bool:
        """The microphone should not listen now (a reply is playing, or just ended)."""
        return self.mouth is not None and self.settings.mute_mic and self.mouth.muted()

    def barge_in(self) -> None:
        """The person started talking (push-to-talk, or speech when the mic is not muted)."""
        if self.mouth is not None and self.mouth.stop():
            log.info("reply interrupted: the person is talking")

    # ------------------------------------------------------------------ worker-thread callbacks
    def started(self, reply_id: str, latency: float) -> None:
        self.latencies.append(latency)
        self._hop(lambda: self.daemon.events.emit("speaking", reply_id, state="start",
                                                  first_audio_ms=round(latency * 1000, 1)))

    def ended(self, reply_id: str, how: str) -> None:
        def on_loop() -> None:
            now = self.daemon.clock()
            asked = self.daemon.confirm.spoken(reply_id, now)
            if asked:
                self.daemon.confirm_moved()
            q = self.question
            if q is not None and q.uid == reply_id:
                q.deadline = max(q.deadline, self.clock() + self.settings.answer_window_s)
                asked = True
            if asked and how == "done":  # the answer needs no wake phrase
                self.listen_for_answer(self.settings.answer_window_s if q is not None and q.uid == reply_id
                                       else self.daemon.confirm.window)
            self.daemon.events.emit("speaking", reply_id, state=how)
        self._hop(on_loop)

    def failed(self, exc: Exception) -> None:
        from ..events import new_id
        self._hop(lambda: self.daemon.events.emit("error", new_id(), code=getattr(exc, "code", "tts-error"),
                                                  message=f"cannot speak: {exc}"))

    def audio(self, reply_id: str, samples: Any, rate: int) -> None:
        from .wav import wav_bytes
        data = wav_bytes(samples, rate)
        topic = self.daemon.topics.event("reply") + "/wav"
        self._hop(lambda: self.daemon.mqtt is not None and self.daemon.mqtt.publish(topic, data, 0, False))

    def _hop(self, fn: Callable[[], Any]) -> None:
        loop = self.daemon.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn)
            except RuntimeError:  # the loop closed meanwhile (shutdown)
                pass

    def _loop(self) -> asyncio.AbstractEventLoop:
        return self.daemon.loop or asyncio.get_running_loop()

    def close(self, wait_s: float = 0.0) -> None:
        """Stop the voice; with ``wait_s``, first let queued replies finish (at most that long)."""
        if self.mouth is None:
            return
        deadline = self.clock() + wait_s
        while wait_s and self.clock() < deadline and (self.mouth.speaking or not self.mouth._jobs.empty()):  # noqa: SLF001
            time.sleep(0.02)
        self.mouth.close()


_LATE_FAILURES = ("action-stale", "queue-full", "action-unconfirmed", "rate-limited", "publish-refused",
                  "publish-failed")


def attach(daemon: Any, config: Any, *, speak: bool = True) -> TalkBack:
    """Reply events always; a voice too when ``speak`` and the config's ``voice`` plays."""
    from .replies import Replier
    from .settings import read_voice
    settings = read_voice(config)
    intents = getattr(getattr(daemon, "engine", None), "understander", None)
    replier = Replier(config, getattr(intents, "intents", None) or _load(config), acknowledge=settings.acknowledge)
    talk = TalkBack(daemon, replier, settings)
    if speak and "voice" not in config.sections and not _has_speaker():
        log.info("no speaker found and no voice section: replies are published, not spoken")
        speak = False
    if speak and settings.engine != "none" and (settings.plays or settings.wav_topic):
        from .output import Mouth
        from .voices import build_voice
        talk.mouth = Mouth(lambda: build_voice(settings), device=settings.output, volume=settings.volume,
                           mute_tail_s=settings.mute_tail_ms / 1000.0, on_start=talk.started, on_end=talk.ended,
                           on_error=talk.failed, on_audio=talk.audio if settings.wav_topic else None,
                           play=settings.plays)
        talk.mouth.warm = replier.fixed_texts()
        talk.mouth.start()
    return talk


_SPEAKER_PROBE = "import sounddevice as s; print(any(d['max_output_channels'] > 0 for d in s.query_devices()))"
SPEAKER_PROBE_S = 10.0
"""Longest wait for the answer to "is there a speaker?" (a hung sound server means none)."""


def _has_speaker() -> bool:
    """Is there a sound output? Asked in a child process: loading PortAudio pulls ALSA's
    plugins into the process (PulseAudio, JACK, an ffmpeg codec library...), about 20 MiB
    that a daemon which then finds no speaker would carry for good. When there is one,
    the voice loads PortAudio itself."""
    try:
        done = subprocess.run([sys.executable, "-c", _SPEAKER_PROBE], capture_output=True, text=True,
                              timeout=SPEAKER_PROBE_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):  # no interpreter to start, or no answer in time
        return False
    return done.returncode == 0 and done.stdout.strip() == "True"  # no PortAudio, no devices: no speaker


def _load(config: Any):
    from ..understanding.intents import load_intents
    return load_intents(config.intents)
