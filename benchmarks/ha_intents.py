"""Score the template matcher on Home Assistant's English intent tests.

    .venv/bin/python benchmarks/ha_intents.py [--data ../shared/datasets/ha-intents-en] [--misses]

Scores the in-scope sentences of tests_en.jsonl (device control and state) on intent +
targets + slots against benchmarks/ha_home.yaml, then times parsing on the same home
grown to 200 devices. Gold slots (HA's names: name/area/floor/domain/device_class) are
turned into the set of entity ids they denote, so both sides are compared as ids.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import yaml  # noqa: E402

from agent.config import load_config, parse_config  # noqa: E402
from agent.understanding.template_engine import TemplateEngine  # noqa: E402
from agent.yamlsrc import load_yaml  # noqa: E402

IN_SCOPE = {
    "HassTurnOn", "HassTurnOff", "HassLightSet", "HassGetState", "HassClimateSetTemperature",
    "HassClimateGetTemperature", "HassSetPosition", "HassMediaPause", "HassMediaUnpause",
    "HassMediaNext", "HassMediaPrevious", "HassSetVolume", "HassVacuumStart",
    "HassVacuumReturnToBase",
}
FIXED = {
    "HassClimateSetTemperature": "set_temperature", "HassClimateGetTemperature": "get_state",
    "HassGetState": "get_state", "HassSetPosition": "set_position", "HassMediaPause": "media_pause",
    "HassMediaUnpause": "media_play", "HassMediaNext": "media_next",
    "HassMediaPrevious": "media_previous", "HassSetVolume": "set_volume",
    "HassVacuumStart": "start", "HassVacuumReturnToBase": "return_home",
}
IMPLIED_DOMAIN = {
    "HassClimateSetTemperature": "climate", "HassClimateGetTemperature": "climate",
    "HassMediaPause": "media_player", "HassMediaUnpause": "media_player",
    "HassMediaNext": "media_player", "HassMediaPrevious": "media_player",
    "HassSetVolume": "media_player", "HassVacuumStart": "vacuum",
    "HassVacuumReturnToBase": "vacuum", "HassLightSet": "light",
}
VALUE_SLOTS = {"brightness": "brightness", "color": "color", "temperature": "temperature",
               "position": "position", "volume_level": "volume", "state": "state"}


def gold_targets(case: dict, fx: dict) -> set[str]:
    s = case["slots"]
    names = s.get("name")
    names = None if names in (None, "all") else ({names} if isinstance(names, str) else set(names))
    areas = s.get("area")
    areas = None if areas is None else ({areas} if isinstance(areas, str) else set(areas))
    floor = s.get("floor")
    domain = s.get("domain") or IMPLIED_DOMAIN.get(case["intent"])
    dclass = s.get("device_class")
    area_ids = {a["id"] for a in fx["areas"] if areas is None or a["name"] in areas}
    if floor is not None:
        floor_ids = {f["id"] for f in fx["floors"] if f["name"] == floor}
        area_ids &= {a["id"] for a in fx["areas"] if a.get("floor") in floor_ids}
    out = set()
    for e in fx["entities"]:
        edomain = e["id"].split(".")[0]
        if edomain in ("weather", "todo"):
            continue
        if names is not None and e["name"].lower().replace("[']", "'") not in {n.lower() for n in names}:
            continue
        if (areas is not None or floor is not None) and e.get("area") not in area_ids:
            if names is None or e.get("area") is not None:
                continue
        if domain is not None and edomain != domain:
            continue
        if dclass is not None:
            ec = (e.get("attributes") or {}).get("device_class")
            if ec != dclass and not (dclass == "garage" and ec == "garage_door"):
                continue
        out.add(e["id"])
    return out


def gold_intent(case: dict, targets: set[str]) -> set[str]:
    intent = case["intent"]
    if intent in FIXED:
        return {FIXED[intent]}
    domains = {t.split(".")[0] for t in targets} or {case["slots"].get("domain")}
    on = intent == "HassTurnOn"
    if intent == "HassLightSet":
        return {"set_color"} if "color" in case["slots"] else {"set_brightness"}
    if domains <= {"cover", "valve"}:
        return {"open" if on else "close"}
    if domains == {"lock"}:
        return {"lock" if on else "unlock"}
    if domains <= {"scene", "script"}:
        return {"activate_scene"}
    return {"turn_on" if on else "turn_off"}


def category(case: dict) -> str:
    return Path(case.get("source_file", "?")).stem


def score(engine: TemplateEngine, cases: list[dict], fx: dict, area_ids: dict[str, str]):
    misses = []
    by_cat = collections.Counter()
    totals = collections.Counter()
    times = []
    for case in cases:
        targets = gold_targets(case, fx)
        want_intent = gold_intent(case, targets)
        want_slots = {VALUE_SLOTS[k]: v for k, v in case["slots"].items() if k in VALUE_SLOTS}
        ctx_area = (case.get("context") or {}).get("area")
        area = area_ids.get(ctx_area) if ctx_area else None
        t0 = time.perf_counter()
        got = engine.understand(case["text"], area=area)
        times.append((time.perf_counter() - t0) * 1000)
        got_slots = {k: v for k, v in got.slots.items() if k in VALUE_SLOTS.values()}
        if not targets:
            # the test home has nothing the sentence can mean ("the kitchen fans"):
            # the right answer is to act on nothing
            ok = got.name is None
        else:
            ok = (got.name in want_intent and set(got.targets) == targets and got_slots == want_slots)
        cat = category(case)
        totals[cat] += 1
        if not ok:
            by_cat[cat] += 1
            misses.append((case, got, want_intent, targets, want_slots))
    return misses, by_cat, totals, times


def grown_home(path: Path, size: int):
    """The benchmark home with generated rooms and devices added up to ``size`` devices."""
    data = load_yaml(path)
    devices = list(data["devices"])
    areas = list(data["areas"])
    kinds = [("light", "Ceiling Light"), ("light", "Lamp"), ("switch", "Socket"), ("fan", "Fan"),
             ("cover", "Blind"), ("media_player", "Speaker")]
    rooms = ["Study", "Nursery", "Pantry", "Laundry", "Attic", "Cellar", "Porch", "Hall",
             "Workshop", "Library", "Gym", "Sunroom", "Den", "Loft", "Utility Room", "Playroom",
             "Mudroom", "Foyer", "Conservatory", "Spare Room", "Music Room", "Studio", "Gallery",
             "Balcony", "Terrace"]
    i = 0
    while len(devices) < size:
        room = rooms[(i // len(kinds)) % len(rooms)]
        suffix = "" if i < len(kinds) * len(rooms) else f" {i // (len(kinds) * len(rooms)) + 1}"
        rid = room.lower().replace(" ", "_") + "_gen"
        if not any(a["id"] == rid for a in areas):
            areas.append({"id": rid, "name": room})
        dtype, dname = kinds[i % len(kinds)]
        devices.append({"id": f"{dtype}.gen_{i}", "name": f"{room} {dname}{suffix}", "type": dtype, "area": rid})
        i += 1
    data["devices"] = devices
    data["areas"] = areas
    return parse_config(data, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared/datasets/ha-intents-en")
    ap.add_argument("--config", type=Path, default=HERE / "ha_home.yaml")
    ap.add_argument("--misses", action="store_true", help="print every miss")
    ap.add_argument("--size", type=int, default=200, help="devices in the latency home")
    args = ap.parse_args()

    fx = yaml.safe_load((args.data / "_fixtures.yaml").read_text())
    cases = [json.loads(line) for line in (args.data / "tests_en.jsonl").open()]
    cases = [c for c in cases if c["intent"] in IN_SCOPE]
    config = load_config(args.config)
    engine = TemplateEngine(config)
    area_ids = {a.name: a.id for a in config.areas}

    misses, by_cat, totals, _ = score(engine, cases, fx, area_ids)
    n = len(cases)
    print(f"ha-intents-en in-scope sentences: {n}  ({len(IN_SCOPE)} intents; out of scope: timers, "
          "lists, weather, date/time, broadcast, media search, respond, nevermind)")
    print(f"intent + targets + slots correct: {n - len(misses)}/{n} = {100 * (n - len(misses)) / n:.1f}%")
    print("misses by category:")
    for cat, k in sorted(by_cat.items(), key=lambda kv: -kv[1]):
        print(f"  {cat:40s} {k:3d} / {totals[cat]}")
    if args.misses:
        for case, got, want_intent, targets, want_slots in misses:
            print(f"- {case['text']!r} [{category(case)}]\n    want {sorted(want_intent)} {sorted(targets)} {want_slots}"
                  f"\n    got  {got.name} {list(got.targets)} {got.slots} {got.reason}")

    big = grown_home(args.config, args.size)
    engine_big = TemplateEngine(big)
    for case in cases[:50]:  # warm caches
        engine_big.understand(case["text"])
    times = []
    for _ in range(3):
        for case in cases:
            t0 = time.perf_counter()
            engine_big.understand(case["text"])
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(0.95 * len(times)) - 1]
    print(f"parse latency on a {len(big.devices)}-device home ({len(times)} parses): "
          f"p50 {p50:.3f} ms, p95 {p95:.3f} ms, max {times[-1]:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
