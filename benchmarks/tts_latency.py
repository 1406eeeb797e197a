#!/usr/bin/env python3
"""Spoken replies: how soon the first audio plays, how fast each voice is, the memory it
costs, and whether a listener hears the right words.

    .venv/bin/python benchmarks/tts_latency.py [-n 40] [--skip-rss] [--round-trips 2]

1. First audio: for short replies to real commands of ``config/demo.yaml`` (understood by
   the template engine, planned, rendered from the intent files' reply templates), the
   time from the understood intent to the first sample taken by the speaker (PortAudio's
   callback), p50 and p95, with Piper (en_US-joe-medium) and with espeak-ng: "cold"
   replies are synthesised (the voice's replay cache is emptied before each, so the text
   was never spoken before as far as the voice knows), "warm" ones were said before (the
   voice keeps the audio of its last 64 replies: "Should I unlock the front door?" comes
   back often). Each reply is stopped once its first audio is out (barge-in), so the next
   starts from a quiet speaker. Then where the time of a cold Piper reply goes: phonemes
   (espeak-ng), onnxruntime for the opening phrase (what the first audio waits for), and
   for the whole first sentence (what it waited for before replies were split), resampling.
   Without a sound card the benchmark plays into a private PulseAudio null sink.
2. Real-time factor of each voice: synthesis time / audio duration over the 30 replies below.
3. Resident memory of ``voice-agent run`` with the Piper voice loaded (and with replies
   published only, ``--silent``), against a private Mosquitto.
4. Round trip: 30 questions and confirmations about the demo home, with known states fed
   in as the devices would report them; each reply is synthesised with Piper, recognised
   with faster-whisper (Whisper tiny.en, no prompt), and counted right when the transcript
   holds the device and its state (or, for a confirmation, the question's verb and device).
   Piper samples its voice afresh each time, so the round trip runs ``--round-trips`` times
   and prints every miss with what was heard.

The load average is printed at the start and the end: the figures swing with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STATES = {  # what the demo's devices report, as their payload styles send it
    "zigbee2mqtt/Kitchen Light": {"state": "ON", "brightness": 200},
    "stat/counter/RESULT": {"POWER": "OFF"},
    "zigbee2mqtt/Living Room Lights": {"state": "ON", "brightness": 128},
    "home/reading_lamp/state": {"state": "OFF"},
    "zigbee2mqtt/Bedroom Lamp": {"state": "OFF"},
    "stat/hallway/RESULT": {"POWER": "ON"},
    "stat/kettle/RESULT": {"POWER": "ON"},
    "home/coffee/state": "OFF",
    "home/living_blinds/state": "open",
    "zigbee2mqtt/Bedroom Curtains": {"state": "CLOSE", "position": 0},
    "zigbee2mqtt/Front Door": {"state": "LOCK"},
    "home/thermostat/state": "heat",
    "home/thermostat/temperature": "21.5",
    "home/living_temp/state": "19.5",
}

def name(words: str) -> str:
    """A device's words as a pattern: "counter light" matches "counter light" and "counterlight"."""
    return r"\b" + " ?".join(re.escape(w) for w in words.split())


NUM = {"21.5": r"\b21\W{0,3}5\b|twenty.one point five", "19.5": r"\b19\W{0,3}5\b|nineteen point five",
       "78": r"\b78\b|seventy.eight"}

# (question, what the transcript must hold: each item a regex, all must match; a device's
# words may come joined or apart, as Whisper writes compounds either way: "counterlights")
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("is the kitchen light on", (name("kitchen light"), r"\bon\b")),
    ("are the counter lights on", (name("counter light"), r"\boff\b")),
    ("are the living room lights on", (name("living room light"), r"\bon\b")),
    ("is the reading lamp on", (name("reading lamp"), r"\boff\b")),
    ("is the bedroom lamp off", (name("bedroom lamp"), r"\boff\b")),
    ("is the hallway light on", (name("hallway light"), r"\bon\b")),
    ("is the kettle on", ("kettle", r"\bon\b")),
    ("is the coffee machine on", (name("coffee machine"), r"\boff\b")),
    ("are the living room blinds open", (name("living room blind"), r"\bopen\b")),
    ("are the bedroom curtains closed", (name("bedroom curtain"), r"\bclosed?\b")),
    ("is the front door locked", (name("front door"), r"\blocked\b")),
    ("is the front door unlocked", (name("front door"), r"\blocked\b")),
    ("what is the thermostat set to", ("thermostat", NUM["21.5"])),
    ("what is the living room temperature", (name("living room"), NUM["19.5"])),
    ("which lights are on in the living room", (name("living room light"), r"\bon\b")),
    ("which lights are on in the kitchen", (name("kitchen light"), r"\bon\b")),
    ("are any lights on in the bedroom", (name("bedroom lamp"), r"\boff\b")),
    ("is the heating on", ("thermostat", r"\bon\b")),
    ("what is the kitchen light doing", (name("kitchen light"), r"\bon\b", NUM["78"])),
    ("what is the state of the front door", (name("front door"), r"\blocked\b")),
    ("is the bedroom lamp on", (name("bedroom lamp"), r"\boff\b")),
    ("is the kitchen light off", (name("kitchen light"), r"\bon\b")),
    ("is the kettle off", ("kettle", r"\bon\b")),
    ("is the hallway light off", (name("hallway light"), r"\bon\b")),
    ("are the bedroom curtains open", (name("bedroom curtain"), r"\bclosed?\b")),
    ("is the coffee machine off", (name("coffee machine"), r"\boff\b")),
    ("how warm is it in the living room", (name("living room"), NUM["19.5"])),
    ("what is the reading lamp doing", (name("reading lamp"), r"\boff\b")),
    ("unlock the front door", ("should i", r"\bunlock", name("front door"))),
    ("lock the front door", ("should i", r"\block", name("front door"))),
]

SHORT = ["unlock the front door", "turn on the bedroom lamp", "lock the front door", "is the kettle on",
         "turn off the hallway light", "is the front door locked", "open the living room blinds",
         "set the bedroom lamp to 30 percent"]
"""Commands whose replies are short (one clause): the first-audio figure."""


def home():
    from agent.acting.planner import ActionPlanner
    from agent.config import load_config
    from agent.acting.state import StateStore
    from agent.understanding.template_engine import TemplateEngine
    from agent.voice.replies import Replier
    config = load_config(ROOT / "config" / "demo.yaml")
    engine = TemplateEngine(config)
    state = StateStore(config)
    for topic, payload in STATES.items():
        data = payload if isinstance(payload, str) else json.dumps(payload)
        if not state.feed(topic, data.encode(), 0.0):
            raise SystemExit(f"state topic {topic} fed nothing: the demo config changed")
    return engine, ActionPlanner(config, state, engine.intents), Replier(config, engine.intents)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def first_audio(engine, planner, replier, voice, n: int, fresh: bool = True) -> list[float]:
    from agent.voice.output import Mouth, Speech
    latencies: list[float] = []
    started = threading.Event()
    ended = threading.Event()
    mouth = Mouth(lambda: voice, device=os.environ.get("BENCH_OUTPUT", "pulse"),
                  on_start=lambda rid, lat: (latencies.append(lat), started.set()),
                  on_end=lambda rid, how: ended.set())
    mouth.start()
    mouth.ready.wait()
    if not fresh:  # said once in full first, so each is in the replay cache (an interrupted reply is not kept)
        for j, text in enumerate(SHORT):
            reply = replier.for_plan(planner.plan_full(engine.understand(text)))
            ended.clear()
            mouth.say(Speech(f"w{j}", reply.text or "Done."))
            ended.wait(30)
        latencies.clear()
        assert len(mouth.cache) >= len(SHORT), len(mouth.cache)
    for i in range(n):
        if fresh:
            mouth.cache.clear()
        text = SHORT[i % len(SHORT)]
        started.clear()
        ended.clear()
        intent = engine.understand(text)
        t0 = time.monotonic()  # the intent is known: from here to the first sample
        reply = replier.for_plan(planner.plan_full(intent))
        mouth.say(Speech(f"r{i}", reply.text or "Done.", queued_at=t0))
        if not started.wait(30):
            raise SystemExit("no audio came out")
        mouth.stop()
        ended.wait(30)
    mouth.close()
    return latencies


def synth_first(voice, replier, engine, planner, n: int) -> list[float]:
    """The first block's synthesis alone for the same replies (what the pipeline adds is the rest)."""
    out = []
    for i in range(n):
        text = replier.for_plan(planner.plan_full(engine.understand(SHORT[i % len(SHORT)]))).text or "Done."
        t0 = time.perf_counter()
        blocks = voice.stream(text)
        next(iter(blocks))
        out.append((time.perf_counter() - t0) * 1000)
        blocks.close()
    return out


def piper_parts(voice, replier, engine, planner, n: int) -> dict[str, list[float]]:
    """Where a cold Piper reply's first audio goes, step by step (ms)."""
    from agent.audio.resample import Resampler
    from agent.voice.tts import phrases, sentences, to_int16
    parts: dict[str, list[float]] = {"phonemes": [], "onnx, opening phrase": [], "onnx, whole first sentence": [],
                                     "resample to 44.1 kHz": []}

    def run(text: str):
        return voice.piper.create(voice.phonemes(text), is_phonemes=True, length_scale=voice.length_scale)[0]
    for i in range(n):
        text = replier.for_plan(planner.plan_full(engine.understand(SHORT[i % len(SHORT)]))).text or "Done."
        first = phrases(text, voice.language)[0].text
        t0 = time.perf_counter()
        voice.phonemes(first)
        t1 = time.perf_counter()
        audio = to_int16(run(first))
        t2 = time.perf_counter()
        Resampler(voice.sample_rate, 1, target=44100).process(audio)
        t3 = time.perf_counter()
        run(sentences(text)[0])
        t4 = time.perf_counter()
        for key, ms in zip(parts, ((t1 - t0), (t2 - t1), (t4 - t3), (t3 - t2))):
            parts[key].append(ms * 1000)
    return parts


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def rtf(voice, texts: list[str]) -> float:
    from agent.voice.tts import synthesize
    t0 = time.perf_counter()
    samples = sum(len(synthesize(voice, t)) for t in texts)
    return (time.perf_counter() - t0) / (samples / voice.sample_rate)


def round_trip(voice, replies: list[tuple[str, str, tuple[str, ...]]]) -> list[tuple[str, str, str, bool]]:
    from agent.voice.tts import synthesize
    from tests.support.listening import transcribe
    out = []
    for question, reply, expect in replies:
        heard = transcribe(synthesize(voice, reply), voice.sample_rate)
        ok = all(re.search(e, heard) for e in expect)
        out.append((question, reply, heard, ok))
    return out


def rss(silent: bool, env: dict) -> float:
    from tests.support.broker import Broker
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "b").start()
        config = Path(tmp) / "home.yaml"
        text = (ROOT / "config" / "demo.yaml").read_text().replace("../intents/", f"{ROOT / 'intents'}/")
        text = re.sub(r"(?ms)^(asr|audio|activation):.*?(?=^\S|\Z)", "", text)
        config.write_text(text + f"\nvoice: {{engine: piper, output: {os.environ.get('BENCH_OUTPUT', 'pulse')}}}\n")
        args = [sys.executable, "-m", "agent", "run", "-c", str(config), "--mqtt", broker.address, "--text"]
        proc = subprocess.Popen(args + (["--silent"] if silent else []), cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            proc.stdin.write("turn on the bedroom lamp\n")
            proc.stdin.flush()
            for line in proc.stdout:
                doc = json.loads(line)
                if silent and doc.get("kind") == "reply" or doc.get("kind") == "speaking" and doc["state"] != "start":
                    break
            with open(f"/proc/{proc.pid}/status", encoding="ascii") as f:
                mb = next(int(x.split()[1]) / 1024.0 for x in f if x.startswith("VmRSS:"))
        finally:
            proc.kill()
            proc.wait(10)
            broker.kill()
    return mb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=40, help="short replies per voice for the first-audio figure")
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--skip-latency", action="store_true", help="only the memory and the round trip")
    ap.add_argument("--round-trips", type=int, default=2, help="times the 30 replies are synthesised and heard")
    args = ap.parse_args()
    print(f"start: {load()} ({os.cpu_count()} cores)")

    from agent.voice.settings import VoiceSettings
    from agent.voice.voices import build_voice
    from tests.support.speech import VirtualMic

    pulse = None
    if "BENCH_OUTPUT" not in os.environ:  # no sound card here: a private PulseAudio null sink
        tmp = tempfile.mkdtemp(prefix="tts-bench-")
        pulse = VirtualMic(Path(tmp)).start()
        os.environ.update(pulse.env)
    try:
        engine, planner, replier = home()
        replies = []
        for question, expect in CASES:
            intent = engine.understand(question)
            if not intent.understood:
                raise SystemExit(f"the demo no longer understands {question!r}: {intent.reason}")
            text = replier.for_plan(planner.plan_full(intent)).text
            replies.append((question, text, expect))
        voices = {name: build_voice(VoiceSettings(engine=name)) for name in ("piper", "espeak")}
        if not args.skip_latency:
            print(f"{'voice':22s} {'first audio, cold':>22s} {'warm (said before)':>20s} {'RTF':>7s}  "
                  f"{'first block alone p50':>21s}")
        for name, voice in voices.items() if not args.skip_latency else ():
            lat = [x * 1000 for x in first_audio(engine, planner, replier, voice, args.n)]
            again = [x * 1000 for x in first_audio(engine, planner, replier, voice, args.n, fresh=False)]
            factor = rtf(voice, [r for _, r, _ in replies])
            alone = synth_first(voice, replier, engine, planner, args.n)
            print(f"{voice.name:22s} p50 {statistics.median(lat):5.0f} p95 {pct(lat, 0.95):4.0f} ms   "
                  f"p50 {statistics.median(again):4.0f} p95 {pct(again, 0.95):4.0f} ms {factor:7.3f}  "
                  f"{statistics.median(alone):18.0f} ms")
            if hasattr(voice, "piper"):
                steps = piper_parts(voice, replier, engine, planner, args.n)
                print("  where a cold Piper reply's time goes (p50 / p95 ms): " + "; ".join(
                    f"{k} {statistics.median(v):.1f} / {pct(v, 0.95):.1f}" for k, v in steps.items()))
        if not args.skip_rss:
            env = dict(os.environ)
            print(f"agent RSS: replies published only (--silent) {rss(True, env):.0f} MiB; "
                  f"with the Piper voice loaded {rss(False, env):.0f} MiB")
        for run in range(1, args.round_trips + 1):
            results = round_trip(voices["piper"], replies)
            right = sum(ok for *_, ok in results)
            for question, reply, heard, ok in results:
                if not ok:
                    print(f"  MISS {question!r}: said {reply!r}, heard {heard!r}")
            print(f"round trip {run} (Piper -> Whisper tiny.en): {right}/{len(results)} replies heard with the "
                  f"device and its state (or the question)")
        print(f"end: {load()}")
    finally:
        if pulse is not None:
            pulse.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
