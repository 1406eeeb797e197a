"""``voice-agent devices``: the audio input devices PortAudio sees (for ``audio.device``)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list microphones (audio input devices) by index and name")
    p.add_argument("--all", action="store_true", help="also list output-only devices")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..audio.capture import backend
    sd = backend()
    devices = sd.query_devices()
    default = sd.default.device[0] if isinstance(sd.default.device, (list, tuple)) else sd.default.device
    apis = sd.query_hostapis()
    shown = 0
    print(f"{'':2}{'index':>5}  {'in':>3} {'out':>3}  {'rate':>6}  {'host API':10} name")
    for i, d in enumerate(devices):
        if d["max_input_channels"] <= 0 and not args.all:
            continue
        shown += 1
        mark = "*" if i == default else " "
        api = apis[d["hostapi"]]["name"] if d["hostapi"] < len(apis) else "?"
        print(f"{mark:2}{i:>5}  {d['max_input_channels']:>3} {d['max_output_channels']:>3}  "
              f"{int(d['default_samplerate']):>6}  {api[:10]:10} {d['name']}")
    if not shown:
        print("no input devices found (no microphone). Use audio.input: file or stdin, or plug one in.")
        return 1
    print("\n* = default input. In the config: audio: {device: <index or part of the name>}")
    return 0
