"""Helpers shared by subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, Iterator

from ..config import Config, load_config

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, default=None,
                        help=f"config file (default: $VOICE_AGENT_CONFIG or {DEFAULT_CONFIG.name})")


def config_from(args: argparse.Namespace) -> Config:
    import os
    path = args.config or os.environ.get("VOICE_AGENT_CONFIG") or DEFAULT_CONFIG
    return load_config(path)


def broker_override(config: Config, value: str | None) -> Config:
    """``--mqtt HOST:PORT`` (or just HOST, or [v6::addr]:PORT) applied to the config."""
    if not value:
        return config
    host, port = value, config.mqtt.port
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], value)
    elif value.count(":") == 1:
        host, raw = value.split(":")
        port = _port(raw, value)
    if not host:
        raise SystemExit(f"voice-agent: --mqtt {value!r}: give HOST:PORT, e.g. 127.0.0.1:1883")
    return dataclasses.replace(config, mqtt=dataclasses.replace(config.mqtt, host=host, port=port))


def _port(raw: str, value: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"voice-agent: --mqtt {value!r}: the port must be a number 1-65535")
    return int(raw)


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


MAX_LINE_BYTES = 4096


def stdin_lines(stream: Any = None) -> Iterator[tuple[str | None, str]]:
    """Yield ``(text, error)`` per stdin line; bad lines give ``(None, why)`` and reading goes on."""
    stream = stream if stream is not None else sys.stdin.buffer
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # swallow the rest of an over-long line
            size = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(65536)
                size += len(raw)
            yield None, f"line of {size} bytes is longer than {MAX_LINE_BYTES}; send one command per line"
            continue
        if b"\x00" in raw:
            yield None, "line holds binary data (NUL bytes); send UTF-8 text, one command per line"
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield None, f"line is not UTF-8 (bad byte at {exc.start}); send UTF-8 text"
            continue
        # blank lines are yielded too (and skipped by callers) so that line numbers hold
        yield text.rstrip("\r\n"), ""
