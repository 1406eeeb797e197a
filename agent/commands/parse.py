"""``voice-agent parse``: text (or audio) in, one JSON line per utterance out; publishes nothing."""

from __future__ import annotations

import argparse
import sys
import time

from ..engine import build_understander
from ..errors import AgentError, InputRejected
from ..messages import Intent
from ..understanding.dialogue import Reading
from ._common import add_config_arg, config_from, emit, stdin_lines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="understand text; print intent, targets, slots and actions as JSON")
    add_config_arg(p)
    p.add_argument("text", nargs="*", help="utterances (one per argument)")
    p.add_argument("--stdin", action="store_true", help="read one utterance per line from stdin")
    p.add_argument("--area", default=None, help="area id the speaker is in (default: the config's area)")
    p.add_argument("--session", action="store_true",
                   help="the utterances are one conversation of one speaker: follow-ups ('and the kitchen "
                        "too', 'turn it off', 'undo that') refer to the lines before")
    p.add_argument("--audio", nargs="+", metavar="FILE", default=[],
                   help="recognise recordings (WAV, or raw 16 kHz s16le; '-' for stdin) with the configured "
                        "recogniser first; adds transcript and asr_ms to each line")
    p.set_defaults(func=run)


def intent_json(intent: Intent, actions: list, ms: float) -> dict:
    return {
        "text": intent.text,
        "intent": intent.name,
        "targets": list(intent.targets),
        "slots": intent.slots,
        "engine": intent.engine,
        "confidence": intent.confidence,
        "actions": [a.as_json() for a in actions],
        "ms": round(ms, 3),
    }


def reading_json(reading: Reading, plans: list, ms: float) -> dict:
    """The top-level keys describe the first command; ``commands`` lists them all, in order;
    ``unknown`` (only when there are some) names the parts that were not understood."""
    first = plans[0].actions if plans else ()
    out = intent_json(plans[0].intent if plans else reading.first, list(first), ms)
    out["text"] = reading.text
    out["commands"] = [command_json(p.intent, p.actions) for p in plans]
    if reading.unknown:
        out["unknown"] = [{"text": said, "reason": why} for said, why in reading.unknown]
    return out


def command_json(intent: Intent, actions) -> dict:
    return {"intent": intent.name, "targets": list(intent.targets), "slots": intent.slots,
            "engine": intent.engine, "actions": [a.as_json() for a in actions]}


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.area is not None and args.area not in {a.id for a in config.areas}:
        from ..config import suggest
        print(f"voice-agent: unknown area {args.area!r}{suggest(args.area, [a.id for a in config.areas])}",
              file=sys.stderr)
        return 2
    engine = build_understander(config)
    from ..acting.planner import ActionPlanner
    from ..session import Session
    planner = ActionPlanner(config, intents=engine.intents)
    session = Session(config, engine)
    clock = [0.0]
    from ..voice import replier_for
    replier = replier_for(config, engine.intents)

    def one(text: str, extra: dict | None = None) -> None:
        start = time.perf_counter()
        try:
            if args.session:  # one speaker, lines said one after another (in real time)
                clock[0] = max(clock[0], time.monotonic())
                reading, plans = session.say(text, area=args.area, now=clock[0])
            else:
                reading = session.dialogue.read(text, area=args.area)
                plans = [planner.plan_full(c) for c in reading.commands]
        except InputRejected as exc:
            print(f"voice-agent: [{exc.code}] {exc}", file=sys.stderr)
            return
        ms = (time.perf_counter() - start) * 1000.0
        # stdout stays one JSON object per utterance; why nothing would happen goes to stderr
        if not reading.commands and reading.reason:
            print(f"voice-agent: not understood {text[:80]!r}: {reading.reason}", file=sys.stderr)
        for said, why in reading.unknown:
            print(f"voice-agent: {text[:80]!r}: not understood part {said!r}: {why}", file=sys.stderr)
        for plan in plans:
            for p in plan.problems:
                print(f"voice-agent: {text[:80]!r}: [{p.code}] {p.message}", file=sys.stderr)
        reply = replier.for_reading(reading, plans, area=args.area).text  # what `run` says (null: silent or a sound)
        emit({**reading_json(reading, plans, ms), "reply": reply, **(extra or {})})

    failed: list[str] = []
    if args.audio:
        from ..audio.batch import run_files

        def bad_file(name: str, exc: AgentError) -> None:  # say so, go on with the next file
            failed.append(name)
            print(f"voice-agent: [{exc.code}] {exc}", file=sys.stderr)
        run_files(config, args.audio, one, engine=engine, on_error=bad_file)

    for text in args.text:
        one(text)
    if args.stdin:
        for number, (text, error) in enumerate(stdin_lines(), 1):
            if text is None:  # rejected line: say which and why, keep going
                print(f"voice-agent: [input-rejected] stdin line {number}: {error}", file=sys.stderr)
                continue
            if text.strip():
                one(text)
    if not args.text and not args.stdin and not args.audio:
        print("voice-agent parse: give TEXT arguments, --stdin or --audio FILE", file=sys.stderr)
        return 2
    if failed:
        print(f"voice-agent: {len(failed)} of {len(args.audio)} audio files could not be read", file=sys.stderr)
        return 1
    return 0
