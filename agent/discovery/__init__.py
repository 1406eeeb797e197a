"""The home describes itself: devices read from the broker's discovery messages.

One module per source format turns retained discovery messages into :class:`~.model.Found`
devices (:mod:`.zigbee2mqtt` bridge devices and groups, :mod:`.tasmota` discovery,
:mod:`.homeassistant` MQTT discovery); :mod:`.catalog` keeps the current set as messages
come and go (dropping duplicates a device announces twice); :mod:`.collect` gathers them from a
broker for ``voice-agent import``; :mod:`.merge` folds them into a config file without losing
the user's edits; :mod:`.live` keeps a running daemon's devices in step with the broker.
"""

SOURCES = ("zigbee2mqtt", "tasmota", "homeassistant")
