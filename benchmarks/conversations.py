"""Score compound commands, follow-ups and undo on the project's own development set, and
time a two-command utterance on a 200-device home.

    .venv/bin/python benchmarks/conversations.py [--misses] [--ha ../shared/datasets/ha-intents-en]
    .venv/bin/python benchmarks/conversations.py --model [--adapter PATH]   # + the trained model

Prints, per config (demo home, vehicle): cases exactly right (every command's intent,
targets and slots, every turn of a conversation) and *wrong actions* (commands given that
were not expected). Then the parse latency (templates, the path the daemon takes) of
two-command utterances on benchmarks/ha_home.yaml grown to 200 devices, and, with --ha, the
Home Assistant intent tests read through the same conversation reader (first command).

With --model, the development sets are read twice, by the templates alone and by the
templates then the trained model (understanding.slm on, threads 1), and a third set is
added: benchmarks/conversations_model.yaml, compound commands and follow-ups whose parts
only the model reads. The model never sees the conversation: the reader splits compound
utterances and resolves "it" and "too" itself, and asks the model about one part at a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from agent.commands.eval import check_cases, read_cases, score_case  # noqa: E402
from agent.config import load_config  # noqa: E402
from agent.understanding.dialogue import Dialogue  # noqa: E402
from agent.understanding.template_engine import TemplateEngine  # noqa: E402

SETS = (("config/demo.yaml", "benchmarks/conversations_home.yaml"),
        ("config/vehicle.yaml", "benchmarks/conversations_vehicle.yaml"))

TWO = (
    "turn off the {a} and turn on the {b}",
    "turn on the {a} and the {b}",
    "turn off the {a} then turn off the {b}",
    "switch on the {a}, then switch off the {b}",
)


MODEL_SET = ("config/demo.yaml", "benchmarks/conversations_model.yaml")


def with_model(config, adapter: str | None):
    """The config with the small model on (the shipped adapter, or ``adapter``)."""
    import dataclasses
    slm = dataclasses.replace(config.understanding.slm, enabled=True, threads=1,
                              **({"adapter": adapter} if adapter else {}))
    return dataclasses.replace(config, understanding=dataclasses.replace(config.understanding, slm=slm))


def dev_set(show: bool, sets=SETS, model: bool = False, adapter: str | None = None) -> tuple[int, int, int]:
    total = right = wrong = 0
    for config_path, cases_path in sets:
        config = load_config(HERE.parent / config_path)
        if model:
            from agent.engine import build_understander
            config = with_model(config, adapter)
            engine = build_understander(config)
        else:
            engine = TemplateEngine(config)
        cases, area = read_cases(HERE.parent / cases_path)
        check_cases(cases, area, config, set(engine.intents.intents), Path(cases_path))
        ok = bad = 0
        for case in cases:
            outcome = score_case(case, config, engine, area, Path(cases_path))
            ok += not outcome.misses
            bad += outcome.wrong_actions
            if show:
                for line in outcome.misses:
                    print(line)
        turns = sum(len(c.turns) for c in cases)
        print(f"{cases_path}: {ok}/{len(cases)} exact ({100 * ok / len(cases):.1f}%), "
              f"{bad} wrong action(s); {sum(c.conversation for c in cases)} conversations, {turns} turns")
        total += len(cases)
        right += ok
        wrong += bad
    return total, right, wrong


def latency(size: int) -> None:
    from ha_intents import grown_home
    big = grown_home(HERE / "ha_home.yaml", size)
    dialogue = Dialogue(TemplateEngine(big))
    names = [d.name.lower() for d in big.devices if d.type in ("light", "switch", "fan")]
    texts = [t.format(a=names[i], b=names[-1 - i]) for i in range(0, len(names) // 2, 3) for t in TWO]
    two = 0
    for text in texts:  # warm caches; check they are compounds
        two += len(dialogue.read(text).commands) == 2
    engine = dialogue.templates
    rounds = []
    for _ in range(5):  # this machine is shared: per-round medians, interleaved with one-command parses
        times, singles = [], []
        for text in texts:
            t0 = time.perf_counter()
            dialogue.read(text)
            times.append((time.perf_counter() - t0) * 1000)
            one = text.split(" and ")[0].split(" then ")[0].split(",")[0]
            t0 = time.perf_counter()
            engine.understand(one)
            singles.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rounds.append((statistics.median(times), times[int(0.95 * len(times)) - 1], statistics.median(singles)))
    p50 = statistics.median(r[0] for r in rounds)
    p95 = statistics.median(r[1] for r in rounds)
    one50 = statistics.median(r[2] for r in rounds)
    print(f"two-command parse on a {len(big.devices)}-device home: {two}/{len(texts)} read as two commands; "
          f"5 rounds of {len(texts)} parses, median of the rounds: p50 {p50:.3f} ms, p95 {p95:.3f} ms "
          f"(its first command alone, same rounds: p50 {one50:.3f} ms); round p50s: "
          + ", ".join(f"{r[0]:.2f}" for r in rounds))


def ha(data: Path) -> None:
    import yaml
    from ha_intents import IN_SCOPE, VALUE_SLOTS, gold_intent, gold_targets
    fx = yaml.safe_load((data / "_fixtures.yaml").read_text())
    cases = [json.loads(line) for line in (data / "tests_en.jsonl").open()]
    cases = [c for c in cases if c["intent"] in IN_SCOPE]
    config = load_config(HERE / "ha_home.yaml")
    dialogue = Dialogue(TemplateEngine(config))
    area_ids = {a.name: a.id for a in config.areas}
    ok = 0
    for case in cases:
        targets = gold_targets(case, fx)
        want_slots = {VALUE_SLOTS[k]: v for k, v in case["slots"].items() if k in VALUE_SLOTS}
        ctx = (case.get("context") or {}).get("area")
        got = dialogue.read(case["text"], area=area_ids.get(ctx) if ctx else None).first
        slots = {k: v for k, v in got.slots.items() if k in VALUE_SLOTS.values()}
        ok += (got.name is None) if not targets else (
            got.name in gold_intent(case, targets) and set(got.targets) == targets and slots == want_slots)
    print(f"ha-intents-en through the conversation reader: {ok}/{len(cases)} = {100 * ok / len(cases):.1f}%")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--misses", action="store_true", help="print every miss")
    ap.add_argument("--size", type=int, default=200, help="devices in the latency home")
    ap.add_argument("--ha", type=Path, default=None, help="ha-intents-en folder (optional)")
    ap.add_argument("--model", action="store_true", help="also read the sets with the trained model on")
    ap.add_argument("--adapter", default=None, help="a LoRA adapter other than the shipped one (with --model)")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    sets = SETS + ((MODEL_SET,) if args.model else ())
    total, right, wrong = dev_set(args.misses, sets)
    print(f"development set, templates alone: {right}/{total} exact ({100 * right / total:.1f}%), {wrong} wrong action(s)")
    if args.model:
        total, right, wrong = dev_set(args.misses, sets, model=True, adapter=args.adapter)
        print(f"development set, templates + trained model: {right}/{total} exact ({100 * right / total:.1f}%), "
              f"{wrong} wrong action(s)")
    latency(args.size)
    if args.ha is not None:
        ha(args.ha)
    return 0


if __name__ == "__main__":
    sys.exit(main())
