#!/usr/bin/env python3
"""Resident memory of the real daemon before and after its small model loads.

    .venv/bin/python benchmarks/slm_rss.py [--config benchmarks/slurp_home.yaml] [--model NAME]

Starts a private Mosquitto on a free loopback port and ``voice-agent run --text`` on the
config; reads the daemon's VmRSS once it is up (templates only), after a command the
templates understand, and after one they miss (the model loads and answers).
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

    config = Path(args.config).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            text = config.read_text().replace("- ../intents/", f"- {ROOT / 'intents'}/")
            text += f"understanding:\n  slm:\n    model: {args.model}\n"
            config = Path(tmp) / "home.yaml"
            config.write_text(text)
        broker = Broker(Path(tmp)).start()
        proc = subprocess.Popen([sys.executable, "-m", "agent", "run", "-c", str(config), "--text",
                                 "--no-audio", "--mqtt", broker.address], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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
            wait(lambda d: text in json.dumps(d) and ("intent" in d or d.get("event") in ("intent", "not_understood")))
        try:
            time.sleep(3.0)  # connected and idle
            idle = rss_mb(proc.pid)
            said(args.hit)
            time.sleep(0.5)
            hit = rss_mb(proc.pid)
            start = time.monotonic()
            said(args.miss)
            load_s = time.monotonic() - start
            time.sleep(0.5)
            loaded = rss_mb(proc.pid)
            engines = [d.get("engine") for d in lines if args.miss in json.dumps(d)]
        finally:
            proc.stdin.close()
            proc.terminate()
            proc.wait(timeout=20)
            broker.stop()
    print(f"daemon VmRSS: {idle:.0f} MiB idle, {hit:.0f} MiB after a template command, {loaded:.0f} MiB "
          f"after a template miss loaded the model (+{loaded - hit:.0f} MiB; first miss answered in "
          f"{load_s:.1f} s including the load); engines seen for the miss: {sorted(set(map(str, engines)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
