"""``voice-agent say``: speak text with the configured voice, or write it to a WAV file."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from ._common import add_config_arg, config_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("say", help="speak text with the configured voice (or write it to a WAV file)")
    add_config_arg(p)
    p.add_argument("text", nargs="+", help="what to say")
    p.add_argument("-o", "--output", metavar="FILE.wav", default=None, help="write a WAV file instead of playing")
    p.add_argument("--engine", choices=("piper", "espeak"), default=None,
                   help="voice engine (default: the config's voice.engine)")
    p.add_argument("--device", default=None, help="speaker: part of its name or its index (default: voice.output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..voice.settings import read_voice
    from ..voice.voices import build_voice
    settings = read_voice(config_from(args))
    if args.engine:
        settings = dataclasses.replace(settings, engine=args.engine)
    elif settings.engine == "none":
        settings = dataclasses.replace(settings, engine="piper")  # asked to speak: speak
    text = " ".join(args.text).strip()
    if not text:
        print("voice-agent say: give the text to say", file=sys.stderr)
        return 2
    voice = build_voice(settings)
    if args.output:
        from ..voice.tts import synthesize
        from ..voice.wav import wav_bytes
        with open(args.output, "wb") as f:
            f.write(wav_bytes(synthesize(voice, text), voice.sample_rate))
        print(f"wrote {args.output} ({voice.name})", file=sys.stderr)
        return 0
    from ..voice.output import Mouth, Speech
    outcome: dict[str, str] = {}
    failures: list[Exception] = []
    mouth = Mouth(lambda: voice, device=args.device if args.device is not None else settings.output,
                  volume=settings.volume, on_end=lambda rid, how: outcome.setdefault(rid, how),
                  on_error=failures.append)
    mouth.start()
    mouth.ready.wait()
    if failures:
        raise failures[0]
    mouth.say(Speech("say", text, queued_at=time.monotonic()))
    while "say" not in outcome:
        time.sleep(0.02)
    mouth.close()
    if failures:
        raise failures[0]
    return 0 if outcome["say"] == "done" else 1
