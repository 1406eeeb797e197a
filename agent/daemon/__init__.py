"""The long-running agent (see :mod:`.daemon`)."""

from .daemon import Daemon, Hooks, Utterance

__all__ = ["Daemon", "Hooks", "Utterance"]
