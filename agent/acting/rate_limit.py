"""At most one command per ``rate_limit`` seconds per device (pure; time is a parameter)."""

from __future__ import annotations


class RateLimiter:
    """When each device last acted; a command that was never sent does not count."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def allow(self, device: str, limit: float, now: float) -> bool:
        """True (and remembered) when ``device`` may act now."""
        if limit > 0 and device in self.last and now - self.last[device] < limit:
            return False
        self.last[device] = now
        return True

    def release(self, device: str) -> None:
        """The device's last command was never sent (stale, cancelled, refused): it does
        not count against the limit. (Any earlier sent command was at least a limit ago,
        or this one would not have been allowed.)"""
        self.last.pop(device, None)
