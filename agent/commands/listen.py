"""``voice-agent listen``: hear and understand, print what happens; publishes nothing.

For setting up a microphone, a wake phrase or a recogniser: every state change,
partial transcript and recognised command is printed as a JSON line, with the
intent understanding made of it (as ``parse`` would).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ._common import add_config_arg, config_from, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("listen", help="hear (microphone, file or stdin), recognise and understand; print JSON lines")
    add_config_arg(p)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--mic", nargs="?", const="", default=None, metavar="DEVICE",
                     help="capture from a microphone (index or part of its name; default: the config's)")
    src.add_argument("--audio", metavar="FILE", help="a recording (WAV or raw 16 kHz s16le; '-' = stdin)")
    p.add_argument("--realtime", action="store_true", help="pace --audio like a live microphone")
    p.add_argument("--quiet", action="store_true", help="print only understood commands, not events")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    from ..audio.listener import build_listener, make_source
    from ..audio.settings import read_audio
    from ..engine import build_understander
    engine = build_understander(config)
    settings = read_audio(config)

    def on_event(kind: str, data: dict) -> None:
        if not args.quiet:
            emit({"event": kind, **data})

    kw = {}
    if args.mic is not None:
        kw["mic"] = args.mic or settings.device
    source = make_source(settings, audio=args.audio, realtime=True if args.realtime else None,
                         on_error=lambda exc: on_event("error", {"code": getattr(exc, "code", "audio-error"),
                                                                 "message": str(exc)}), **kw)
    from ..asr import template_engine
    listener = build_listener(config, source, engine=template_engine(config, engine), emit=on_event)

    async def main() -> None:
        async for u in listener.utterances():
            intent = engine.understand(u.transcript.text)
            emit({"text": u.transcript.text, "transcript": u.heard.raw, "intent": intent.name,
                  "targets": list(intent.targets), "slots": intent.slots, "asr_ms": u.transcript.asr_ms,
                  "eos_ms": round(u.eos_ms, 1)})
        await listener.asr.recogniser.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    print("voice-agent listen: input ended", file=sys.stderr)
    return 0
