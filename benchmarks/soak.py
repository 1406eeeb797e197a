"""Soak: months of trouble compressed into minutes, loopback only (issue 12).

    .venv/bin/python benchmarks/soak.py [--outage 90] [--kills 8] [--stalls 4] [--configs 300]

Part 1 runs ``voice-agent run --text`` (a child process, as a user would) against a real
Mosquitto on a free loopback port while a command is typed every ``--every`` seconds (0.25). The broker is
taken away for ``--outage`` seconds with reconnect backoffs of 0.05-0.1 s (past the
~1,024 attempts that used to kill the MQTT thread: ~8 hours of outage at the default
30 s cap), SIGKILLed and restarted, frozen with SIGSTOP for 4-6 s (TTL 3 s), stopped
gracefully, and the agent gets a SIGHUP every ``--hup-every`` seconds. Every command carries its
own number ("set counter to N" -> ``soak/counter`` ``{"n": N}``), so the device side
can tell each one apart. Prints, for the commands typed: delivered, reported (by
error code), fired late (at the device after its TTL without an action-late or
may_fire_late report),
duplicated at the device, lost without an event.

Part 2 mutates the home config ``--configs`` times at random (hostile numbers, topics,
strings, types, missing and unknown keys, YAML tricks) and puts each through
``voice-agent check`` and, when check says OK, through the daemon ``run`` starts (in
this process, against the broker): tracebacks and "check OK but run broke" must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import math
import os
import random
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.support.agent_proc import AgentProc  # noqa: E402
from tests.support.broker import Broker, Recorder, wait_for  # noqa: E402
from tests.support.mqtt_home import write_home  # noqa: E402

TTL = 3.0
COUNTER = """
language: en
intents:
  set_counter:
    targets: none
    data:
      - sentences: ["set counter to {number}"]
    action: {topic: "soak/counter", payload: '{{"n": {number}}}'}
"""


def soak_home(directory: Path, port: int) -> Path:
    config = write_home(directory, port, mqtt={"reconnect_min": 0.05, "reconnect_max": 0.1, "ttl": TTL})
    (directory / "counter.yaml").write_text(COUNTER)
    config.write_text(config.read_text().replace("- drinks.yaml", "- drinks.yaml\n- counter.yaml"))
    return config


# --------------------------------------------------------------------------- part 1

def chaos(broker: Broker, agent: AgentProc, args: argparse.Namespace, log: list[str]) -> float:
    """The schedule of trouble; returns the seconds the broker was away or frozen."""
    away = 0.0

    def note(what: str) -> None:
        log.append(f"{time.strftime('%H:%M:%S')} {what}")
        print("  " + log[-1], flush=True)

    time.sleep(3)
    note(f"broker killed for {args.outage:.0f}s")
    broker.kill()
    time.sleep(args.outage)
    broker.start()
    away += args.outage
    time.sleep(4)
    rand = random.Random(12)
    for i in range(args.kills):
        down = rand.uniform(0.3, 2.0)
        note(f"kill -9 #{i + 1}, down {down:.1f}s")
        broker.kill()
        time.sleep(down)
        broker.start()
        away += down
        time.sleep(rand.uniform(2, 4))
    for i in range(args.stalls):
        frozen = rand.uniform(4, 6)
        note(f"SIGSTOP #{i + 1} for {frozen:.1f}s")
        os.kill(broker.proc.pid, signal.SIGSTOP)
        time.sleep(frozen)
        os.kill(broker.proc.pid, signal.SIGCONT)
        away += frozen
        time.sleep(rand.uniform(3, 5))
    for i in range(2):
        note(f"graceful broker stop #{i + 1}")
        broker.stop()
        time.sleep(1.0)
        broker.start()
        away += 1.0
        time.sleep(3)
    return away


def part1(args: argparse.Namespace, work: Path) -> dict:
    broker = Broker(work / "broker").start()
    rec = Recorder(broker, topics=("soak/#", "voice-agent/test/availability"), client_id="soak-device").start()
    config = soak_home(work / "home", broker.port)
    agent = AgentProc(config)
    wait_for(lambda: [m for m in rec.on("voice-agent/test/availability") if m.text == "online"], 120, "online")
    sent: dict[int, float] = {}
    stop = threading.Event()

    def typist() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            sent[n] = agent.send(f"set counter to {n}")
            stop.wait(args.every)

    hups = [0]

    def hangups() -> None:
        # a reload rebuilds the understanding on the same worker as the utterances: on a
        # starved board, reloads back to back would leave no time for commands
        while not stop.wait(args.hup_every):
            agent.proc.send_signal(signal.SIGHUP)
            hups[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=typist, daemon=True), threading.Thread(target=hangups, daemon=True)]
    for t in threads:
        t.start()
    log: list[str] = []
    away = chaos(broker, agent, args, log)
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join()
    status = agent.finish(timeout=600)
    elapsed = time.monotonic() - started
    time.sleep(2)  # the last deliveries reach the device
    rec.stop()
    broker.kill()

    def number(payload: str) -> int | None:
        try:
            return int(json.loads(payload)["n"])
        except (ValueError, KeyError, TypeError):
            return None

    acted = {number(e["payload"]) for e in agent.of("action") if e.get("topic") == "soak/counter"}
    acked_late = {number(e["payload"]) for e in agent.of("action") if e.get("late")}
    reported: dict[int, str] = {}
    maybe_late: set[int] = set()
    for e in agent.of("error"):
        n = number(e.get("payload", "")) if e.get("topic") == "soak/counter" else None
        if n is None and e.get("code") == "input-dropped":
            words = str(e.get("text", "")).split()
            n = int(words[-1]) if words and words[-1].isdigit() else None
        if n is not None:
            reported.setdefault(n, e["code"])
            if e.get("may_fire_late") or e.get("code") == "action-late":
                maybe_late.add(n)
    not_understood = {int(e["text"].split()[-1]) for e in agent.of("not_understood")
                      if str(e.get("text", "")).split()[-1:] and str(e["text"]).split()[-1].isdigit()}
    seen: dict[int, list[float]] = defaultdict(list)
    for m in rec.unique("soak/counter"):
        n = number(m.text)
        if n is not None:
            seen[n].append(m.at)
    late = {n for n, ats in seen.items() if n in sent and min(ats) > sent[n] + TTL}
    fired_late = late - maybe_late
    lost = [n for n in sent if n not in acted and n not in reported and n not in not_understood]
    out = {
        "seconds": round(elapsed, 1), "broker_away_or_frozen_s": round(away, 1),
        "reconnect_attempts_in_long_outage_est": int(args.outage / 0.075),
        "equivalent_outage_hours_at_default_30s_cap": round(args.outage / 0.075 * 22.5 / 3600, 1),
        "sighups": hups[0],
        "reloads_ok": len([1 for line in agent.log.splitlines() if "reload failed" in line]) == 0,
        "exit_status": status,
        "sent": len(sent), "delivered": len(acted & set(sent)),
        "reported": dict(Counter(reported[n] for n in sent if n in reported and n not in acted)),
        "not_understood": len(not_understood),
        "seen_at_device": len(seen), "reported_may_fire_late_or_acked_late": len(maybe_late),
        "acked_after_ttl": len(acked_late),
        "late_at_device_reported_in_advance": len(late & maybe_late),
        "fired_late_unreported": len(fired_late),
        "duplicated_at_device": sum(1 for ats in seen.values() if len(ats) > 1),
        "lost_without_event": len(lost),
        "acked_but_not_at_device (broker lost it in a kill -9)": len(acted - set(seen)),
        "parts_restarted": len(agent.of("error", code="part-restarted")),
        "tracebacks_in_log": agent.log.count("Traceback"),
        "online_messages": len([m for m in rec.on("voice-agent/test/availability") if m.text == "online"]),
    }
    (work.parent / "soak-agent.log").write_text(agent.log) if args.keep_log else None
    if fired_late or lost:
        out["examples"] = {"fired_late": sorted(fired_late)[:10], "lost": lost[:10]}
    return out


# --------------------------------------------------------------------------- part 2

HOSTILE = [float("nan"), float("inf"), -float("inf"), -1, 0, 10**400, 1e308, 3.5, "", "#", "+", "a/#",
           "x\ud800", "x" * 70_000, [], {}, None, True, "{intent:>999999999}", "/dev/zero", "null",
           "cmnd/+/x", "\x00", "caf\u00e9", [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]], {"k": [1, {"v": "#"}]}, 31415926535]
BENIGN = [1, 2, 2.5, 30, 0.5, "ok", "Kitchen", False, True, "light", "z2m/Other Lamp", 100]
RAW = [
    lambda t: t.replace("confirm_window: 3", "confirm_window: " + "9" * 5000),
    lambda t: t + "floors: !!set {a, b}\n",
    lambda t: t + "extra: " + "[" * 3000 + "]" * 3000 + "\n",
    lambda t: t + "site: again\n",
    lambda t: t.replace("site: test", "site: 'te st'"),
    lambda t: t + "intents: [/dev/zero]\n",
    lambda t: t.replace("  port:", "  port: !!binary aGVsbG8=\n  old_port:"),
    lambda t: t + "\t bad: tab\n",
]


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def mutate(doc: dict, rand: random.Random) -> dict:
    doc = json.loads(json.dumps(doc))
    for _ in range(rand.randint(1, 3)):
        path = rand.choice([p for p in paths(doc) if p])
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        what = rand.random()
        if what < 0.4:
            parent[key] = rand.choice(HOSTILE)
        elif what < 0.7:
            parent[key] = rand.choice(BENIGN)
        elif what < 0.8 and isinstance(parent, dict):
            del parent[key]
        elif what < 0.9 and isinstance(parent, dict):
            parent["x_" + str(rand.randint(0, 99))] = rand.choice(HOSTILE)
        else:
            parent[key] = [parent[key]]
    return doc


def check_in_process(path: Path) -> tuple[int | None, str]:
    from agent.cli import main
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["check", "-c", str(path)])
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    except BaseException:  # noqa: BLE001 - that is what is being counted
        return None, traceback.format_exc()
    return status, err.getvalue()


async def run_in_process(path: Path, port: int) -> str | None:
    """Start the daemon as ``run`` does and have it act twice; why it broke, or None."""
    from agent.commands.run import broker_override
    from agent.config import load_config
    from agent.daemon import Daemon
    from agent.errors import AgentError
    from agent.supervise import Supervisor
    events: list[dict] = []
    try:
        config = broker_override(load_config(path), f"127.0.0.1:{port}")
        supervisor = Supervisor(config, prepare=lambda c: c)
        daemon = Daemon(config, hooks=supervisor.hooks(), echo=events.append)
    except AgentError as exc:
        return f"run refused what check accepted: {exc}"
    task = asyncio.ensure_future(supervisor.run(daemon))
    try:
        end = time.monotonic() + 60
        while not daemon.is_ready:
            if task.done():
                return f"run ended at start: {task.exception()!r}"
            if time.monotonic() > end:
                return "not ready within 60 s"
            await asyncio.sleep(0.02)
        for line in ("turn on the desk lamp", "set counter to 5"):
            daemon.submit(line)
        end = time.monotonic() + 60
        while len([e for e in events if e["kind"] == "transcript"]) < 2 or not daemon.dispatch.outbox.idle:
            if time.monotonic() > end:
                return "the two commands were not handled within 60 s"
            await asyncio.sleep(0.02)
        if daemon.health() is not None:
            return f"unhealthy: {daemon.health()}"
        internal = [e for e in events if e.get("code") in ("internal", "part-restarted", "publish-failed")]
        if internal:
            return f"{internal[0]['code']}: {internal[0].get('message')}"
        return None
    finally:
        daemon.request_stop()
        try:
            status = await asyncio.wait_for(task, 60)
            if status != 0:
                return f"exit status {status}"
        except Exception as exc:  # noqa: BLE001 - counted
            return f"stopping failed: {exc!r}"


def part2(args: argparse.Namespace, work: Path) -> dict:
    broker = Broker(work / "broker2").start()
    base_path = soak_home(work / "fuzz", broker.port)
    base_text = base_path.read_text()
    base = yaml.safe_load(base_text)
    rand = random.Random(2026)
    results: Counter = Counter()
    broke: list[str] = []
    tracebacks: list[str] = []
    logging.disable(logging.CRITICAL)
    for i in range(args.configs):
        path = work / "fuzz" / f"m{i:03d}.yaml"
        if rand.random() < 0.1:
            path.write_text(rand.choice(RAW)(base_text))
        else:
            path.write_text(yaml.safe_dump(mutate(base, rand), sort_keys=False))
        status, text = check_in_process(path)
        if status is None or "Traceback" in text:
            results["check tracebacks"] += 1
            tracebacks.append(f"{path.name}: {text.splitlines()[-1] if text else '?'}")
            continue
        results[f"check exit {status}"] += 1
        if status == 0:
            why = asyncio.run(run_in_process(path, broker.port))
            results["run ok" if why is None else "check OK but run broke"] += 1
            if why is not None:
                broke.append(f"{path.name}: {why[:300]}")
        if (i + 1) % 50 == 0:
            print(f"  {i + 1} configs: {dict(results)}", flush=True)
    logging.disable(logging.NOTSET)
    broker.kill()
    return {"configs": args.configs, **dict(results), "tracebacks": tracebacks[:10], "broke": broke[:10]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--outage", type=float, default=90.0, help="seconds of the long outage")
    p.add_argument("--kills", type=int, default=8)
    p.add_argument("--stalls", type=int, default=4)
    p.add_argument("--every", type=float, default=0.25, help="seconds between two typed commands")
    p.add_argument("--hup-every", type=float, default=15.0, help="seconds between two SIGHUPs")
    p.add_argument("--configs", type=int, default=300)
    p.add_argument("--skip-soak", action="store_true")
    p.add_argument("--keep-log", action="store_true", help="write the agent's log next to the temp dir")
    p.add_argument("--skip-configs", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        work = Path(tmp)
        if not args.skip_soak:
            print("part 1: commands through outages, kills, stalls and SIGHUPs", flush=True)
            r1 = part1(args, work)
            print(json.dumps(r1, indent=2))
        if not args.skip_configs:
            print(f"part 2: {args.configs} config mutations through check and run", flush=True)
            r2 = part2(args, work)
            print(json.dumps(r2, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
