"""Attach the discovery stages a config asks for to a daemon (``voice-agent run``)."""

from __future__ import annotations

from typing import Any

from ..config import Config
from .settings import read_announce, read_discovery


def attach_discovery(daemon: Any, config: Config, hearing: Any = None) -> None:
    """``discovery:`` -> live device sync; ``homeassistant: {discovery: true}`` -> the agent's
    own entities (their mute switch mutes ``hearing``'s microphone). ConfigError when invalid."""
    live = read_discovery(config)
    announce = read_announce(config)
    if live is not None:
        from .live import attach
        attach(daemon, config, live)
    if announce is not None:
        from .announce import attach as announce_attach
        announce_attach(daemon, config, announce, hearing)
