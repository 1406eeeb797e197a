"""``voice-agent import`` of a large zigbee2mqtt network through a real Mosquitto, and
understanding on the home it writes.

    .venv/bin/python benchmarks/discovery_import.py [-n 1000]

Publishes ``bridge/devices`` for N devices of every common kind (lights with and without
colour, metering plugs, blinds, radiator valves, temperature/humidity sensors, door
contacts; see tests/support/discovery_home.py), then times, in one run:

* the import as a user runs it (``voice-agent import --settle 0.5``, a child process: start,
  collect, build, write, validate), wall clock;
* the parts inside it: collecting the retained message, building the devices, merging and
  writing the YAML, validating the written file;
* a second import onto the written file (the merge path);
* the daemon's rebuild for live discovery (the agent's Engine on the merged config);
* template parse latency on that home (p50/p95 over commands naming its devices).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from agent.commands.import_devices import import_into  # noqa: E402
from agent.config import MqttConfig, load_config  # noqa: E402
from agent.engine import Engine  # noqa: E402
from agent.discovery.catalog import Catalog  # noqa: E402
from agent.discovery.collect import collect  # noqa: E402
from agent.understanding.template_engine import TemplateEngine  # noqa: E402
from tests.support import discovery_home as home  # noqa: E402
from tests.support.broker import Broker, Recorder, agent_command  # noqa: E402


def commands(cfg, limit: int = 600) -> list[str]:
    out = []
    for d in cfg.devices:
        n = d.name.lower()
        if d.type == "light":
            out += [f"turn on the {n}", f"set the {n} to 40 percent"]
        elif d.type == "switch":
            out.append(f"turn off the {n}")
        elif d.type == "cover":
            out.append(f"set the {n} to 30 percent")
        elif d.type == "climate":
            out.append(f"set the {n} to 21 degrees")
        elif d.type == "binary_sensor":
            out.append(f"is the {n} open")
    step = max(1, len(out) // limit)
    return out[::step][:limit]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="devices in the network (default 1000)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="discovery-bench-"))
    broker = Broker(work / "broker").start()
    rec = Recorder(broker, topics=("nothing/#",)).start()
    try:
        msgs = home.payloads(home.many(args.n))
        size = sum(len(v) for v in msgs.values())
        for topic, payload in msgs.items():
            rec.publish(topic, payload, retain=True)
        out = work / "home.yaml"
        t0 = time.perf_counter()
        done = subprocess.run(agent_command("import", "--mqtt", broker.address, "-o", str(out), "--settle", "0.5"),
                              cwd=ROOT, capture_output=True, text=True)
        cli = time.perf_counter() - t0
        if done.returncode:
            print(done.stderr)
            return 1
        # the parts, in process
        cat = Catalog(("zigbee2mqtt",))
        t0 = time.perf_counter()
        collect(cat, MqttConfig(host=broker.host, port=broker.port, client_id="bench"), settle=0.5)
        t_collect = time.perf_counter() - t0
        t0 = time.perf_counter()
        found, _ = cat.devices()
        t_build = time.perf_counter() - t0
        fresh = work / "fresh.yaml"
        t0 = time.perf_counter()
        import_into(fresh, cat)
        t_write = time.perf_counter() - t0  # merge + YAML + validation of the written text
        t0 = time.perf_counter()
        cfg = load_config(out)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        import_into(out, cat)
        t_merge = time.perf_counter() - t0
        t0 = time.perf_counter()
        Engine(cfg)
        t_engine = time.perf_counter() - t0
        engine = TemplateEngine(cfg)
        lat, understood = [], 0
        for text in commands(cfg):
            t0 = time.perf_counter()
            intent = engine.understand(text)
            lat.append((time.perf_counter() - t0) * 1000)
            understood += bool(intent.understood)
        lat.sort()
        print(f"network: {args.n} zigbee2mqtt devices, bridge/devices {size / 1e6:.2f} MB -> "
              f"{len(cfg.devices)} config devices, {len(cfg.areas)} areas")
        print("| step | seconds |")
        print("|---|---|")
        print(f"| voice-agent import (child process, --settle 0.5), wall clock | {cli:.2f} |")
        print(f"| of which: collect from the broker (incl. 0.5 s settle) | {t_collect:.2f} |")
        print(f"| of which: devices from the messages | {t_build:.2f} |")
        print(f"| of which: merge + write YAML + validate the written file | {t_write:.2f} |")
        print(f"| load_config of the written file | {t_load:.2f} |")
        print(f"| re-import onto the written file (merge path) | {t_merge:.2f} |")
        print(f"| live-discovery rebuild (Engine on the merged config) | {t_engine:.2f} |")
        print(f"parse latency on that home, {len(lat)} commands ({understood} understood): "
              f"p50 {statistics.median(lat):.3f} ms, p95 {lat[int(len(lat) * 0.95)]:.3f} ms")
        print(json.dumps({"cli_s": round(cli, 2), "p50_ms": round(statistics.median(lat), 3)}))
    finally:
        rec.stop()
        broker.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
