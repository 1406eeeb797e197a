"""``voice-agent`` command line: one subcommand per module in :mod:`agent.commands`.

Each module there defines ``register(subparsers)``, which adds its parser and sets
``func`` (``func(args) -> int`` exit status). Adding a command is adding a file.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from . import __version__, commands
from .errors import EX_CONFIG, AgentError, ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-agent",
        description="Offline voice-command agent: speech -> intent -> MQTT actions.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--version", action="version", version=f"voice-agent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        level = logging.WARNING - 10 * min(args.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"voice-agent: {exc}", file=sys.stderr)
        return EX_CONFIG
    except AgentError as exc:
        print(f"voice-agent: [{exc.code}] {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a path the user gave cannot be read or written: say which, no traceback
        where = f" {exc.filename}" if exc.filename else ""
        print(f"voice-agent: [os-error] cannot use{where}: {exc.strerror or exc}; "
              "check the path and its permissions", file=sys.stderr)
        return 74  # EX_IOERR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
