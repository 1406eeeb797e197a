#!/usr/bin/env python3
"""Templates alone vs templates + model on SLURP's smart-home commands.

    .venv/bin/python benchmarks/slurp_eval.py                    # default model
    .venv/bin/python benchmarks/slurp_eval.py --model gemma3-270m
    .venv/bin/python benchmarks/slurp_eval.py --data benchmarks/slm_dev.jsonl --misses

Scoring (SLURP label -> what counts as right), on benchmarks/slurp_home.yaml:
  iot_hue_lighton/lightoff   turn_on / turn_off on lights
  iot_hue_lightup/lightdim   brightness_up / brightness_down on lights (or set_brightness
                             above / below 50)
  iot_hue_lightchange        set_color with the labelled colour on lights; without a colour
                             in the label any set_color or brightness change on lights
  iot_wemo_on/off            turn_on / turn_off switch.smart_plug
  iot_cleaning               start vacuum.robot (or turn_on: turning a robot vacuum on starts it)
  iot_coffee                 turn_on switch.coffee_machine
"Lights" means only light.* devices; when the label names a room this home has
(house_place, read through the config's area names and aliases) exactly that room's light.
Each utterance is right, wrong (an action that is not the one asked for) or not understood.
Also printed: the model path's latency (router time for utterances the templates missed),
the bare llama.cpp time for the same tokens, and the process RSS before/after the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.config import load_config  # noqa: E402
from agent.messages import Intent  # noqa: E402
from agent.normalize import tokens  # noqa: E402
from agent.slm.router import Router  # noqa: E402
from agent.understanding.template_engine import TemplateEngine  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "slurp-iot-dev" / "devel_iot.jsonl"
LIGHTS = {"iot_hue_lighton": "turn_on", "iot_hue_lightoff": "turn_off",
          "iot_hue_lightup": "brightness_up", "iot_hue_lightdim": "brightness_down",
          "iot_hue_lightchange": "set_color"}
SINGLE = {"iot_wemo_on": ("turn_on", "switch.smart_plug"), "iot_wemo_off": ("turn_off", "switch.smart_plug"),
          "iot_cleaning": ("start", "vacuum.robot"), "iot_coffee": ("turn_on", "switch.coffee_machine")}


def area_of(place: str | None, engine: TemplateEngine) -> str | None:
    if not place:
        return None
    vals = engine.registry.area_index.phrases.get(tuple(tokens(place)))
    return vals[0] if vals and len(vals) == 1 else None


def lights_ok(intent: Intent, area: str | None) -> bool:
    if not intent.targets or not all(t.startswith("light.") for t in intent.targets):
        return False
    return area is None or intent.targets == (f"light.{area}",)


def number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def right(row: dict, intent: Intent, engine: TemplateEngine) -> bool:
    """Is this understood intent the action the row asks for?"""
    label = row["intent"]
    if label in SINGLE:
        name, target = SINGLE[label]
        if label == "iot_cleaning" and intent.name == "turn_on":
            name = "turn_on"  # a robot vacuum turned on starts cleaning
        return intent.name == name and intent.targets == (target,)
    if label in LIGHTS:
        slots = row.get("slots", {})
        if not lights_ok(intent, area_of(slots.get("house_place"), engine)):
            return False
        level = number(intent.slots.get("brightness", intent.slots.get("percentage")))
        if label == "iot_hue_lightup":
            return intent.name == "brightness_up" or (
                intent.name == "set_brightness" and level is not None and level > 50)
        if label == "iot_hue_lightdim":
            return intent.name == "brightness_down" or (
                intent.name == "set_brightness" and level is not None and level < 50)
        if label == "iot_hue_lightchange":
            wanted = slots.get("color_type")
            wanted = [wanted] if isinstance(wanted, str) else list(wanted or [])
            colours = [c for c in wanted if c in engine.registry.color_index.phrases or
                       tuple(tokens(c)) in engine.registry.color_index.phrases]
            if colours:
                got = intent.slots.get("color")
                canon = {v for c in colours for v in engine.registry.color_index.phrases[tuple(tokens(c))]}
                return intent.name == "set_color" and got in canon
            return intent.name in ("set_color", "brightness_up", "brightness_down", "set_brightness")
        return intent.name == LIGHTS[label]
    # own development set: {"intent", "targets": [ids] | "lights", "color"}
    if row["intent"] != intent.name:
        return False
    want = row.get("targets")
    if want == "lights":
        ok = lights_ok(intent, None)
    else:
        ok = tuple(want or ()) == intent.targets
    ok = ok and ("color" not in row or intent.slots.get("color") == row["color"])
    return ok and all(intent.slots.get(k) == v for k, v in (row.get("slots") or {}).items())


def expected(row: dict) -> bool:
    """Does the row ask for an action at all (own dev set: intent null = no)?"""
    return row.get("intent") is not None


def bare(eng, trace) -> tuple[float, float]:
    """The same tokens through llama.cpp with no grammar and no glue (ms): the prompt in one
    batch then the answer's tokens one call each, as plain generation would; and the
    decoder's own batches replayed."""
    backend = eng.backend
    flat = [t for b in trace.batches for t in b]
    n_prompt = len(trace.batches[0])
    backend.rewind()
    s = time.perf_counter()
    backend.eval(flat[:n_prompt])
    for t in flat[n_prompt:]:
        backend.eval([t])
    gen = (time.perf_counter() - s) * 1000.0
    backend.rewind()
    s = time.perf_counter()
    for b in trace.batches:
        backend.eval(b)
    return gen, (time.perf_counter() - s) * 1000.0


def _decoded(trace):
    from agent.slm.decode import Decoded
    return Decoded(trace.words, trace.probs, [list(b) for b in trace.batches])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(label: str, config, rows: list[dict], templates: TemplateEngine, area: str | None) -> dict:
    """Templates + one model configuration over every row: right/wrong/not understood,
    the model path's latency beside bare llama.cpp, the load time and RSS."""
    router = Router(config, templates)
    t0 = time.perf_counter()
    router.warm_up()
    load_s = time.perf_counter() - t0
    eng = router.slm
    counts = [0, 0, 0]  # right, wrong, not understood
    model_ms: list[float] = []
    bare_gen: list[float] = []
    bare_same: list[float] = []
    worker_ms: list[float] = []
    traces = []
    misses = []
    judged: list[tuple[float, float, float, str]] = []  # model answers: (model alone, words, confidence, verdict)
    for row in rows:
        text = row["text"]
        eng.last = None
        start = time.perf_counter()
        got = router.understand(text, area=area)
        ms = (time.perf_counter() - start) * 1000.0
        if eng.last is not None and eng.last.batches:
            model_ms.append(ms)
            worker_ms.append(eng.last.ms)
            traces.append(eng.last)
            gen, same = bare(eng, eng.last)  # right away, under the same load
            bare_gen.append(gen)
            bare_same.append(same)
            if eng.last.words and eng.last.words[0] != "none":
                conf = 1.0
                for p in eng.last.probs:
                    conf *= p
                wp = eng.word_probs(eng.last.text, eng.grounding.narrow(eng.last.text))
                alt = eng.judge(text, _decoded(eng.last), area, words=wp, threshold=0.0, agree=0.0)
                ok = "none" if not alt.understood else (
                    "right" if expected(row) and right(row, alt, templates) else "wrong")
                judged.append((eng.last.first_plain, wp.get(alt.name, 1.0) if alt.understood else 0.0,
                               conf, ok))
        if not got.understood:
            counts[2 if expected(row) else 0] += 1
        elif expected(row) and right(row, got, templates):
            counts[0] += 1
        else:
            counts[1] += 1
        if not (got.understood and expected(row) and right(row, got, templates)) and (got.understood or expected(row)):
            ans = " ".join(eng.last.words) if eng.last is not None else "-"
            misses.append(f"  {row['intent'] or '-':22} {text!r:60} -> {got.engine} {got.name} "
                          f"{list(got.targets)} {got.slots} [{ans}] {got.reason}")
    out = {"label": label, "counts": counts, "model_ms": model_ms, "bare_gen": bare_gen,
           "bare_same": bare_same, "worker_ms": worker_ms, "traces": traces, "misses": misses,
           "judged": judged, "load_s": load_s, "prefix": eng.prefix_tokens,
           "file": eng.backend.path.name + (f" + {eng.adapter.name}" if eng.adapter else ""),
           "rss": (eng.rss_before_mb, eng.rss_after_mb)}
    router.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=str(ROOT / "benchmarks" / "slurp_home.yaml"))
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--model", default=None, help="model name or GGUF path (default: the config's)")
    ap.add_argument("--adapter", default=None,
                    help="the trained adapter to measure (default: the config's, i.e. the shipped one)")
    ap.add_argument("--only", choices=("few-shot", "trained"), default=None,
                    help="measure one model configuration (default: both, beside templates only)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--area", default=None, help="speaker's area id")
    ap.add_argument("--min-confidence", type=float, default=None, help="override understanding.slm.min_confidence")
    ap.add_argument("--option", action="append", default=[], metavar="KEY=NUMBER",
                    help="override an understanding.slm option (examples, seed, prior, agree, calibrate)")
    ap.add_argument("--misses", action="store_true", help="print every utterance not right")
    args = ap.parse_args()

    config = load_config(args.config)
    slm = config.understanding.slm
    options = dict(slm.options)
    for item in args.option:
        key, _, value = item.partition("=")
        options[key] = float(value) if "." in value else int(value)
    slm = replace(slm, enabled=True, model=args.model or slm.model, threads=args.threads or slm.threads,
                  options=options, min_confidence=slm.min_confidence if args.min_confidence is None
                  else args.min_confidence)
    rows = [json.loads(line) for line in open(args.data, encoding="utf-8") if line.strip()]
    templates = TemplateEngine(config)

    def with_slm(adapter: str):
        s = replace(slm, adapter=adapter)
        return replace(config, understanding=replace(config.understanding, slm=s))

    modes = []
    if args.only in (None, "few-shot"):
        modes.append(("+ few-shot model", with_slm("none")))
    if args.only in (None, "trained"):
        modes.append(("+ trained model", with_slm(args.adapter or slm.adapter)))
    results = [measure(label, cfg, rows, templates, args.area) for label, cfg in modes]

    tmpl = [0, 0, 0]
    for row in rows:
        got = templates.understand(row["text"], area=args.area)
        if not got.understood:
            tmpl[2 if expected(row) else 0] += 1
        elif expected(row) and right(row, got, templates):
            tmpl[0] += 1
        else:
            tmpl[1] += 1

    n = len(rows)
    print(f"data: {args.data} ({n} utterances); config: {args.config}; load avg {os.getloadavg()[0]:.2f}")
    print(f"{'':20}{'right':>9}{'wrong':>10}{'not understood':>16}{'model p50':>11}{'bare':>7}")
    print(f"{'templates only':20}{tmpl[0]:>4} {100 * tmpl[0] / n:4.1f}%{tmpl[1]:>4} {100 * tmpl[1] / n:4.1f}%"
          f"{tmpl[2]:>9} {100 * tmpl[2] / n:4.1f}%")
    for res in results:
        r, w, u = res["counts"]
        p50 = statistics.median(res["model_ms"]) if res["model_ms"] else float("nan")
        b50 = statistics.median(res["bare_gen"]) if res["bare_gen"] else float("nan")
        print(f"{res['label']:20}{r:>4} {100 * r / n:4.1f}%{w:>4} {100 * w / n:4.1f}%{u:>9} {100 * u / n:4.1f}%"
              f"{p50:>8.0f} ms{b50:>5.0f} ms")
    for res in results:
        print(f"\n{res['label']}: {res['file']}, threads {slm.threads}, prompt prefix {res['prefix']} tokens, "
              f"load + prefix {res['load_s']:.1f} s")
        model_ms = res["model_ms"]
        if model_ms:
            traces = res["traces"]
            toks = [sum(len(b) for b in tr.batches) for tr in traces]
            p50 = statistics.median(model_ms)
            print(f"model path: {len(model_ms)} utterances, router p50 {p50:.0f} ms, p90 {pct(model_ms, 0.9):.0f} ms "
                  f"(worker p50 {statistics.median(res['worker_ms']):.0f} ms); tokens per utterance p50 "
                  f"{statistics.median(toks):.0f}, llama.cpp decode calls p50 "
                  f"{statistics.median([len(tr.batches) for tr in traces]):.0f}")
            print(f"bare llama.cpp, same tokens, prompt batch + one call per answer token: p50 "
                  f"{statistics.median(res['bare_gen']):.0f} ms (router/bare {p50 / statistics.median(res['bare_gen']):.2f}x)")
            print(f"bare llama.cpp, the decoder's own batches replayed: p50 {statistics.median(res['bare_same']):.0f} ms "
                  f"(router/bare {p50 / statistics.median(res['bare_same']):.2f}x)")
        before, after = res["rss"]
        print(f"RSS: {before:.0f} MiB before loading the model, {after:.0f} MiB with it loaded (+{after - before:.0f} MiB)")
        judged = res["judged"]
        if judged:
            print("model answers before the checks (right/wrong), if the model alone, the intent words "
                  "and the answer's confidence must each reach:")
            for lm in (0.0, 0.05, 0.2):
                for wd in (0.0, 0.3, 0.5):
                    print(f"  model>={lm:<4} words>={wd:<3} " + "  ".join(
                        f"conf>={lo:.1f}: {sum(1 for a, b, c, k in judged if a >= lm and b >= wd and c >= lo and k == 'right'):3d}/"
                        f"{sum(1 for a, b, c, k in judged if a >= lm and b >= wd and c >= lo and k == 'wrong'):<3d}"
                        for lo in (0.0, 0.3, 0.4, 0.5, 0.6, 0.8)))
        if args.misses and res["misses"]:
            print("not right:")
            print("\n".join(res["misses"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
