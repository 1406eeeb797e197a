"""Subcommands of ``voice-agent``; each module defines ``register(subparsers)``."""
