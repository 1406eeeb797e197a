"""One error hierarchy for the whole agent.

Every error carries a stable ``code`` that logs, events and tests rely on.
The message always names the problem and, where there is one, the fix.
"""

from __future__ import annotations

EX_CONFIG = 78  # sysexits.h: configuration error; systemd does not restart on it


class AgentError(Exception):
    """Base of every error the agent raises on purpose."""

    code = "agent-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:  # keep the message clean for users
        return self.args[0] if self.args else self.code


class ConfigError(AgentError):
    """The configuration or an intent file is invalid.

    ``problems`` holds every problem found, each already formatted as
    ``file:line: key.path: what is wrong (did you mean ...?)``.
    """

    code = "config-invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the configuration"
        super().__init__(head + ":\n" + "\n".join("  " + p for p in self.problems))


class InputRejected(AgentError):
    """A line of input (stdin, MQTT text) was not usable text."""

    code = "input-rejected"


class ModelMissing(AgentError):
    """A model file or directory the config names is not on disk."""

    code = "model-missing"


class AudioError(AgentError):
    code = "audio-error"


class MqttError(AgentError):
    code = "mqtt-unreachable"
