"""What ``voice-agent check`` says about discovery: the settings, and (when the broker answers)
which devices live discovery would add to the config right now."""

from __future__ import annotations

from ..config import Config
from ..errors import AgentError
from .settings import read_announce, read_discovery


def check_lines(config: Config, *, broker: bool = True, wait: float = 3.0) -> list[str]:
    out: list[str] = []
    live = read_discovery(config)
    if live is not None:
        out.append(f"  discovery: live from {', '.join(live.sources)}: devices the broker announces are added "
                   "while running (voice-agent status lists them)")
        if broker:
            out += _now(config, live, wait)
    announce = read_announce(config)
    if announce is not None:
        name = announce.name or f"Voice agent {config.site}"
        out.append(f"  Home Assistant: announced as {name!r} (last command, listening, mute, command, "
                   f"not understood) under {announce.prefix}/.../voice_agent_{config.site}")
    return out


def _now(config: Config, live, wait: float) -> list[str]:
    from ..yamlsrc import load_yaml
    from .catalog import Catalog
    from .collect import collect
    from .merge import overlay
    catalog = Catalog(live.sources, ha_prefix=live.ha_prefix, tasmota_prefix=live.tasmota_prefix)
    try:
        collect(catalog, config.mqtt, wait=wait, settle=0.5)
    except (AgentError, OSError) as exc:
        return [f"    (not shown what it adds now: {exc})"]
    found, skipped = catalog.devices()
    _, added = overlay(load_yaml(config.path), found)
    lines = [f"    adds now: {len(added)} device(s)" + (f": {', '.join(added[:40])}" if added else "")
             + (" ..." if len(added) > 40 else "")]
    if skipped:
        lines.append(f"    skipped: {len(skipped)} ({'; '.join(f'{s.name}: {s.why}' for s in skipped[:5])})")
    return lines
