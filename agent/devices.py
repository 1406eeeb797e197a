"""Device types, the intents each supports, and the words people use for them.

This table is the contract between the config (``type:``), the intent files
(which intents exist) and the payload styles (what each intent does to a device).
"""

from __future__ import annotations

from dataclasses import dataclass

BUILTIN_INTENTS: tuple[str, ...] = (
    "turn_on", "turn_off", "toggle", "set_brightness", "brightness_up", "brightness_down",
    "set_color", "set_temperature", "temperature_up", "temperature_down", "open", "close",
    "stop", "set_position", "lock", "unlock", "start", "pause", "return_home", "set_volume",
    "volume_up", "volume_down", "mute", "unmute", "media_play", "media_pause", "media_next",
    "media_previous", "activate_scene", "get_state", "cancel",
    "set_mode", "set_channel", "set_source", "clean_room",
)

_ONOFF = ("turn_on", "turn_off", "toggle", "get_state")
_LIGHT = _ONOFF + ("set_brightness", "brightness_up", "brightness_down", "set_color")
_COVER = ("open", "close", "stop", "set_position", "get_state")
_MEDIA = _ONOFF + ("set_volume", "volume_up", "volume_down", "mute", "unmute", "media_play",
                   "media_pause", "media_next", "media_previous", "set_channel", "set_source")
_CLIMATE = _ONOFF + ("set_temperature", "temperature_up", "temperature_down", "set_mode")


@dataclass(frozen=True, slots=True)
class DeviceType:
    """What a ``type:`` in the config means."""

    name: str
    intents: frozenset[str]
    """Built-in intents this type can act on."""
    classes: tuple[str, ...] = ()
    """Allowed ``class:`` values (empty: any or none)."""
    states: tuple[str, ...] = ()
    """Canonical states ``get_state`` can ask about."""
    vehicle: bool = False


def _t(name: str, intents: tuple[str, ...], classes: tuple[str, ...] = (),
       states: tuple[str, ...] = ("on", "off"), vehicle: bool = False) -> DeviceType:
    return DeviceType(name, frozenset(intents), classes, states, vehicle)


COVER_CLASSES = ("blind", "curtain", "shade", "shutter", "awning", "garage_door", "gate",
                 "window", "door", "damper")
BINARY_CLASSES = (
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
    "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy",
    "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke", "sound",
    "tamper", "update", "vibration", "window",
)
SENSOR_CLASSES = (
    "apparent_power", "aqi", "atmospheric_pressure", "battery", "carbon_dioxide",
    "carbon_monoxide", "current", "data_rate", "data_size", "date", "distance", "duration",
    "energy", "energy_storage", "frequency", "gas", "humidity", "illuminance", "irradiance",
    "moisture", "monetary", "nitrogen_dioxide", "nitrogen_monoxide", "nitrous_oxide", "ozone",
    "pm1", "pm25", "pm10", "power_factor", "power", "precipitation", "precipitation_intensity",
    "pressure", "reactive_power", "signal_strength", "sound_pressure", "speed",
    "sulphur_dioxide", "temperature", "volatile_organic_compounds",
    "volatile_organic_compounds_parts", "voltage", "volume", "volume_storage", "water",
    "weight", "wind_speed",
)

TYPES: dict[str, DeviceType] = {t.name: t for t in (
    _t("light", _LIGHT),
    _t("switch", _ONOFF, ("outlet", "plug", "appliance")),
    _t("fan", _ONOFF),
    _t("cover", _COVER, COVER_CLASSES, ("open", "closed")),
    _t("valve", _COVER, (), ("open", "closed")),
    _t("lock", ("lock", "unlock", "get_state"), (), ("locked", "unlocked")),
    _t("climate", _CLIMATE, ("thermostat", "heater", "air_conditioner", "hvac")),
    _t("media_player", _MEDIA, ("tv", "speaker", "receiver")),
    _t("vacuum", ("start", "pause", "stop", "return_home", "turn_on", "turn_off", "get_state", "clean_room"),
       (), ("cleaning", "docked", "paused", "returning")),
    _t("scene", ("activate_scene", "turn_on"), ("scene", "script"), ()),
    _t("sensor", ("get_state",), SENSOR_CLASSES, ()),
    _t("binary_sensor", ("get_state",), BINARY_CLASSES),
    _t("person", ("get_state",), (), ("home", "away")),
    # vehicle parts
    _t("window", _COVER, (), ("open", "closed"), vehicle=True),
    _t("sunroof", _COVER, (), ("open", "closed"), vehicle=True),
    _t("trunk", ("open", "close", "get_state"), (), ("open", "closed"), vehicle=True),
    _t("door", ("lock", "unlock", "get_state"), (), ("locked", "unlocked"), vehicle=True),
    _t("seat_heater", _ONOFF + ("set_position", "temperature_up", "temperature_down"), vehicle=True),
    _t("cabin_light", _LIGHT, vehicle=True),
)}

READ_ONLY = frozenset({"sensor", "binary_sensor", "person"})

FEATURES: dict[str, tuple[str, ...]] = {
    "light": ("brightness", "color", "color_temp"),
    "cabin_light": ("brightness", "color", "color_temp"),
    "cover": ("position",),
    "valve": ("position",),
    "media_player": ("volume",),
}
"""``features:`` a device of each type may list; a device that lists them can do only those
(a light with ``features: [brightness]`` is never sent a colour)."""

NEEDS: dict[str, str] = {
    "set_brightness": "brightness", "brightness_up": "brightness", "brightness_down": "brightness",
    "set_position": "position", "set_volume": "volume", "volume_up": "volume", "volume_down": "volume",
}
"""Intent -> the feature it needs (``set_color`` needs ``color``, or ``color_temp`` for whites)."""
