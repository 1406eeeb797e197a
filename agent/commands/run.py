"""``voice-agent run``: the daemon. Text from stdin (``--text``) and from
``<prefix>/<site>/text/in``; actions and events out over MQTT; events also printed
to stdout as JSON lines (``-q`` to silence)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading

from ..daemon import Daemon
from ._common import add_config_arg, broker_override, config_from, emit, stdin_lines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the agent: understand text/speech, publish actions over MQTT")
    add_config_arg(p)
    p.add_argument("--text", action="store_true",
                   help="also read one utterance per line from stdin; exit at its end once every "
                        "action is delivered or has gone stale (and a pending \"yes?\" is answered "
                        "or timed out)")
    p.add_argument("--mqtt", metavar="HOST:PORT", default=None, help="broker to use instead of the config's")
    p.add_argument("--mic", nargs="?", const="", default=None, metavar="DEVICE",
                   help="listen to a microphone (index or part of its name; default: the config's audio.device)")
    p.add_argument("--audio", metavar="FILE", default=None,
                   help="hear a recording (WAV, or raw 16 kHz s16le; '-' = stdin) in real time; exit after it")
    p.add_argument("--no-audio", action="store_true",
                   help="ignore the config's audio section (text input only)")
    p.add_argument("--silent", action="store_true",
                   help="do not speak replies (they are still published as reply events)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print events to stdout")
    p.set_defaults(func=run)




def _read_stdin(daemon: Daemon) -> None:
    import os
    from ..events import new_id
    # a private reader on a copy of fd 0: interpreter shutdown never waits on sys.stdin's
    # lock while this (daemon) thread is blocked reading
    stream = os.fdopen(os.dup(0), "rb")
    for number, (text, error) in enumerate(stdin_lines(stream), 1):
        if text is None:
            daemon.started.wait()
            daemon.loop.call_soon_threadsafe(
                lambda e=f"stdin line {number}: {error}": daemon.events.emit(
                    "error", new_id(), code="input-rejected", source="text", message=e))
            continue
        if text.strip():
            daemon.submit_threadsafe(text)
    daemon.end_of_input_threadsafe()


_stdout_ok = True


def _echo(doc: dict) -> None:
    global _stdout_ok
    if _stdout_ok:
        try:
            emit(doc)
        except (BrokenPipeError, ValueError):  # nobody reads stdout any more; keep running
            _stdout_ok = False


def run(args: argparse.Namespace) -> int:
    config = broker_override(config_from(args), args.mqtt)
    if "asr" in config.sections and "audio" not in config.sections and args.mic is None \
            and not args.audio and not args.no_audio:
        from ..errors import ConfigError
        raise ConfigError([f"{config.path}: asr: is set but there is no 'audio:' section, so nothing "
                           "would ever be heard; add 'audio: {input: mic}', remove 'asr:', or pass "
                           "--mic / --no-audio"])
    # systemd notifications, SIGHUP reload, watchdog, journald logging, health topic
    from ..supervise import Supervisor
    supervisor = Supervisor(config, prepare=lambda c: broker_override(c, args.mqtt), verbose=args.verbose)
    daemon = Daemon(config, hooks=supervisor.hooks(), echo=None if args.quiet else _echo)
    from ..voice.talkback import attach as attach_voice
    talk = attach_voice(daemon, config, speak=not args.silent)  # reply events, and the voice
    hearing = None
    if args.mic is not None or args.audio or ("audio" in config.sections and not args.no_audio):  # speech in
        if args.text and args.audio == "-":
            raise SystemExit("voice-agent run: --text and --audio - both want stdin; choose one")
        from ..audio.hearing import attach
        hearing = attach(daemon, config, mic=args.mic, audio=args.audio)
        hearing.listener.agent_speaking, hearing.listener.barge_in = talk.muted, talk.barge_in
        talk.listen_for_answer = hearing.listener.listen_for_answer
    from ..discovery.wiring import attach_discovery
    attach_discovery(daemon, config, hearing)  # live device sync, the agent's own Home Assistant entities
    if args.text:
        threading.Thread(target=_read_stdin, args=(daemon,), name="stdin", daemon=True).start()

    async def main() -> int:
        task = hearing.start() if hearing is not None else None
        try:
            return await supervisor.run(daemon)
        finally:
            if task is not None:
                task.cancel()

    status = asyncio.run(main())
    talk.close(wait_s=15.0)  # the last reply is heard to its end
    sys.stdout.flush()
    return status
