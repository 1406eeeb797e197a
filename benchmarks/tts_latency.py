#!/usr/bin/env python3
"""Spoken replies: how soon the first audio plays, how fast each voice is, the memory it
costs, and whether a listener hears the right words.

    .venv/bin/python benchmarks/tts_latency.py [-n 40] [--skip-rss]

1. First audio: for short replies to real commands of ``config/demo.yaml`` (understood by
   the template engine, planned, rendered from the intent files' reply templates), the
   time from the understood intent to the first sample handed to the speaker (PortAudio),
   p50 and p95, with Piper (en_US-joe-medium) and with espeak-ng: "new" replies are said
   for the first time (synthesised), "again" ones were said before (the voice keeps the
   audio of its last 64 replies: "Should I unlock the front door?" comes back often).
   Each reply is stopped once its first audio is out (barge-in), so the next starts from a
   quiet speaker.
   Without a sound card the benchmark plays into a private PulseAudio null sink.
2. Real-time factor of each voice: synthesis time / audio duration over the 30 replies below.
3. Resident memory of ``voice-agent run`` with the Piper voice loaded (and with replies
   published only, ``--silent``), against a private Mosquitto.
4. Round trip: 30 questions and confirmations about the demo home, with known states fed
   in as the devices would report them; each reply is synthesised with Piper, recognised
   with faster-whisper (Whisper tiny.en, no prompt), and counted right when the transcript
   holds the device and its state (or, for a confirmation, the question's verb and device).
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

NUM = {"21.5": r"\b21\W{0,3}5\b|twenty.one point five", "19.5": r"\b19\W{0,3}5\b|nineteen point five",
       "78": r"\b78\b|seventy.eight"}

# (question, what the transcript must hold: each item a regex, all must match)
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("is the kitchen light on", ("kitchen light", r"\bon\b")),
    ("are the counter lights on", ("counter light", r"\boff\b")),
    ("are the living room lights on", ("living room light", r"\bon\b")),
    ("is the reading lamp on", ("reading lamp", r"\boff\b")),
    ("is the bedroom lamp off", ("bedroom lamp", r"\boff\b")),
    ("is the hallway light on", ("hallway light", r"\bon\b")),
    ("is the kettle on", ("kettle", r"\bon\b")),
    ("is the coffee machine on", ("coffee machine", r"\boff\b")),
    ("are the living room blinds open", ("living room blind", r"\bopen\b")),
    ("are the bedroom curtains closed", ("bedroom curtain", r"\bclosed?\b")),
    ("is the front door locked", ("front door", r"\blocked\b")),
    ("is the front door unlocked", ("front door", r"\blocked\b")),
    ("what is the thermostat set to", ("thermostat", NUM["21.5"])),
    ("what is the living room temperature", ("living room", NUM["19.5"])),
    ("which lights are on in the living room", ("living room light", r"\bon\b")),
    ("which lights are on in the kitchen", ("kitchen light", r"\bon\b")),
    ("are any lights on in the bedroom", ("bedroom lamp", r"\boff\b")),
    ("is the heating on", ("thermostat", r"\bon\b")),
    ("what is the kitchen light doing", ("kitchen light", r"\bon\b", NUM["78"])),
    ("what is the state of the front door", ("front door", r"\blocked\b")),
    ("is the bedroom lamp on", ("bedroom lamp", r"\boff\b")),
    ("is the kitchen light off", ("kitchen light", r"\bon\b")),
    ("is the kettle off", ("kettle", r"\bon\b")),
    ("is the hallway light off", ("hallway light", r"\bon\b")),
    ("are the bedroom curtains open", ("bedroom curtain", r"\bclosed?\b")),
    ("is the coffee machine off", ("coffee machine", r"\boff\b")),
    ("how warm is it in the living room", ("living room", NUM["19.5"])),
    ("what is the reading lamp doing", ("reading lamp", r"\boff\b")),
    ("unlock the front door", ("should i", r"\bunlock", "front door")),
    ("lock the front door", ("should i", r"\block", "front door")),
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
    args = ap.parse_args()

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
        print(f"{'voice':22s} {'first audio, new reply':>22s} {'said again':>20s} {'RTF':>7s}  "
              f"{'synthesis alone p50':>20s}")
        for name, voice in voices.items():
            lat = [x * 1000 for x in first_audio(engine, planner, replier, voice, args.n)]
            again = [x * 1000 for x in first_audio(engine, planner, replier, voice, args.n, fresh=False)[len(SHORT):]]
            factor = rtf(voice, [r for _, r, _ in replies])
            alone = synth_first(voice, replier, engine, planner, args.n)
            print(f"{voice.name:22s} p50 {statistics.median(lat):5.0f} p95 {pct(lat, 0.95):4.0f} ms   "
                  f"p50 {statistics.median(again):4.0f} p95 {pct(again, 0.95):4.0f} ms {factor:7.3f}  "
                  f"{statistics.median(alone):17.0f} ms")
        if not args.skip_rss:
            env = dict(os.environ)
            print(f"agent RSS: replies published only (--silent) {rss(True, env):.0f} MiB; "
                  f"with the Piper voice loaded {rss(False, env):.0f} MiB")
        results = round_trip(voices["piper"], replies)
        right = sum(ok for *_, ok in results)
        for question, reply, heard, ok in results:
            if not ok:
                print(f"  MISS {question!r}: said {reply!r}, heard {heard!r}")
        print(f"round trip (Piper -> Whisper tiny.en): {right}/{len(results)} replies heard with the device "
              f"and its state (or the question)")
    finally:
        if pulse is not None:
            pulse.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
