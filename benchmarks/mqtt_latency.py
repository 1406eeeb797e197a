"""Latency from a text line written to ``voice-agent run --text`` to the action arriving
at a loopback MQTT subscriber, through a real Mosquitto broker.

    .venv/bin/python benchmarks/mqtt_latency.py [--config benchmarks/ha_home.yaml] [-n 300]

Starts mosquitto on a free loopback port, runs the agent as a child process (as a user
would), writes one command at a time and waits for its first publish before the next.
Prints p50/p95/mean/max in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from agent.acting.planner import ActionPlanner  # noqa: E402
from agent.config import load_config  # noqa: E402
from agent.understanding.template_engine import TemplateEngine  # noqa: E402
from tests.support.agent_proc import AgentProc  # noqa: E402
from tests.support.broker import Broker, Recorder, wait_for  # noqa: E402

COMMANDS = [
    "turn on the bedroom lamp", "turn off the bedroom lamp", "set the bedroom lamp to 40 percent",
    "make the bedroom lamp red", "turn on the kitchen ceiling", "turn off the kitchen switch",
    "set the kitchen cabinets to 70 percent", "open the curtain left", "close the curtain left",
    "set the curtain left to 30 percent", "turn on the ceiling fan", "mute the tv",
    "set the volume to 20", "start the vacuum", "turn off the garage light", "turn on the play corner",
    "set the main valve to 50 percent", "turn on the kitchen countertop",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, default=HERE / "ha_home.yaml")
    ap.add_argument("-n", type=int, default=300, help="commands to time (default 300)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed commands first (default 10)")
    args = ap.parse_args()

    config = load_config(args.config)
    engine = TemplateEngine(config)
    planner = ActionPlanner(config, None, engine.intents)
    devices = {d.id: d for d in config.devices}
    usable = []
    for text in COMMANDS:
        actions = planner.plan(engine.understand(text))
        if actions and not any(devices[a.device].confirm or devices[a.device].rate_limit for a in actions):
            usable.append(text)
    if not usable:
        print("no usable commands for this config", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "broker").start()
        rec = Recorder(broker).start()
        arrived = threading.Event()
        base = rec._on_message

        def on_message(client, userdata, msg) -> None:
            base(client, userdata, msg)
            if not msg.topic.startswith("voice-agent/"):
                arrived.set()

        rec.client.on_message = on_message
        agent = AgentProc(args.config, "--mqtt", broker.address, "-q")
        try:
            wait_for(lambda: any(m.text == "online" for m in rec.on("voice-agent/")), 60, "agent online")
            latencies = []
            for i in range(args.warmup + args.n):
                text = usable[i % len(usable)]
                arrived.clear()
                sent = agent.send(text)
                if not arrived.wait(10):
                    print(f"no action arrived for {text!r}", file=sys.stderr)
                    return 1
                if i >= args.warmup:
                    latencies.append((time.monotonic() - sent) * 1000)
                time.sleep(0.02)  # let the rest of a multi-device command through
            assert agent.finish(timeout=60) == 0, agent.log
        finally:
            agent.kill()
            rec.stop()
            broker.kill()

    print(f"text line -> action at a loopback subscriber (mosquitto, QoS 1), "
          f"config {args.config.name}, {len(usable)} distinct commands")
    print(f"{'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'max ms':>8}")
    print(f"{len(latencies):>5} {percentile(latencies, 50):>8.2f} {percentile(latencies, 95):>8.2f} "
          f"{statistics.fmean(latencies):>8.2f} {max(latencies):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
