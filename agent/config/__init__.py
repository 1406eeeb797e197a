"""The configuration: parsed once from YAML into frozen dataclasses (see :mod:`.load`)."""

from .load import (Area, Config, Device, DeviceMqtt, Floor, MqttConfig, Reader, SlmConfig, TlsConfig,
                   UnderstandingConfig, load_config, parse_config, suggest)

__all__ = ["Area", "Config", "Device", "DeviceMqtt", "Floor", "MqttConfig", "Reader", "SlmConfig", "TlsConfig",
           "UnderstandingConfig", "load_config", "parse_config", "suggest"]
