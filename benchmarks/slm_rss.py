#!/usr/bin/env python3
"""Resident memory of the real daemon with and without its small model.

    .venv/bin/python benchmarks/slm_rss.py [--config benchmarks/slurp_home.yaml] [--model NAME]

Starts a private Mosquitto on a free loopback port and runs ``voice-agent run --text`` on
the config twice, timing start -> ``READY=1`` on a NOTIFY_SOCKET the benchmark owns: with ``understanding.slm`` disabled (templates only) and enabled (the
daemon loads the model before it reports ready). Each time it reads the daemon's VmRSS
after a command the templates understand, and after one they miss.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.broker import Broker  # noqa: E402
from tests.support.notify import NotifySocket  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=str(ROOT / "benchmarks" / "slurp_home.yaml"))
    ap.add_argument("--model", default=None, help="model name or GGUF path (default: the config's)")
    ap.add_argument("--hit", default="turn off the kitchen light")
    ap.add_argument("--miss", default="fire up the coffee")
    args = ap.parse_args()

    source = Path(args.config).resolve()
    text = source.read_text().replace("- ../intents/", f"- {ROOT / 'intents'}/")
    if "slm: {enabled: true}" not in text:
        raise SystemExit(f"{source}: expected a line 'slm: {{enabled: true}}' to switch")
    model = f", model: {args.model}" if args.model else ""
    for label, slm in (("templates only", "slm: {enabled: false}"), ("with the model", f"slm: {{enabled: true{model}}}")):
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "home.yaml"
            config.write_text(text.replace("slm: {enabled: true}", slm))
            measure(label, config, args)
    return 0


def measure(label: str, config: Path, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp)).start()
        notify = NotifySocket(Path(tmp))
        env = {**os.environ, "NOTIFY_SOCKET": notify.path}
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "agent", "run", "-c", str(config), "--text",
                                 "--no-audio", "--mqtt", broker.address], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        lines: list[dict] = []

        def read() -> None:
            for line in proc.stdout:
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        threading.Thread(target=read, daemon=True).start()

        def wait(pred, timeout=120.0) -> None:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if any(pred(d) for d in lines):
                    return
                time.sleep(0.05)
            raise SystemExit(f"timed out; daemon said: {lines[-5:]}")

        def said(text: str) -> None:
            proc.stdin.write(text + "\n")
            proc.stdin.flush()
            wait(lambda d: d.get("text") == text and d.get("kind") in ("intent", "not_understood"))
        try:
            ready_s = notify.wait_for("READY=1", timeout=180).at - started
            said(args.hit)  # answered once the daemon is up (with its model, when enabled)
            time.sleep(0.5)
            hit = rss_mb(proc.pid)
            start = time.monotonic()
            said(args.miss)
            miss_s = time.monotonic() - start
            time.sleep(0.5)
            missed = rss_mb(proc.pid)
            engines = [d.get("engine") or d["kind"] for d in lines if d.get("text") == args.miss and d.get("kind") in ("intent", "not_understood")]
        finally:
            proc.stdin.close()
            proc.terminate()
            proc.wait(timeout=20)
            broker.stop()
            notify.close()
    print(f"{label:15} start -> READY=1 {ready_s:.1f} s; daemon VmRSS: {hit:.0f} MiB after a template command, "
          f"{missed:.0f} MiB after a template miss (answered in {miss_s:.2f} s by "
          f"{sorted(set(str(e) for e in engines if e))})")


if __name__ == "__main__":
    sys.exit(main())
