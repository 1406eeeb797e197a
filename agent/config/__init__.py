"""The configuration: parsed once from YAML into frozen dataclasses.

- :mod:`.model`: the dataclasses every stage reads;
- :mod:`.load`: YAML -> :class:`Config`, every problem reported at once (exit 78), with the
  sections read by :mod:`.mqtt_section`, :mod:`.device_section` and :mod:`.understanding_section`;
- :mod:`.reader`: one YAML mapping read with checks (the stages' own sections use it too).
"""

from .load import load_config, parse_config
from .model import (Area, Config, Device, DeviceMqtt, Floor, MqttConfig, SlmConfig, TlsConfig,
                    UnderstandingConfig)
from .reader import Reader, suggest

__all__ = ["Area", "Config", "Device", "DeviceMqtt", "Floor", "MqttConfig", "Reader", "SlmConfig", "TlsConfig",
           "UnderstandingConfig", "load_config", "parse_config", "suggest"]
