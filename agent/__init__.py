"""voice-agent: an offline voice-command daemon (speech -> intent -> MQTT)."""

__version__ = "0.1.0"
