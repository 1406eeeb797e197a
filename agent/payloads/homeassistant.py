"""Home Assistant MQTT: plain command topics (``ON``/``OFF``, ``OPEN``, ``LOCK`` ...) or the
JSON light schema (``schema: json``).

The device ``topic`` is the command topic. Values go to their own topics when given:
``brightness_topic`` (0-``brightness_scale``), ``rgb_topic`` (``r,g,b``), ``hs_topic``
(``h,s``), ``xy_topic`` (``x,y``), ``color_temp_topic`` (mireds), ``position_topic``,
``temperature_topic``, ``volume_topic`` (0-``volume_scale``), ``mode_topic`` (climate
on/off as ``on_mode``/``off``). Any plain payload can be overridden: ``payload_open: "UP"``.
State: ``state_topic`` (plain or JSON) and ``<value>_state_topic`` for single values;
``value_template`` (``{{ value_json.temperature }}``, see :mod:`.value_template`) picks the
state out of the message, ``state_on``/``state_closed``/``state_locked``... name the device's
own state payloads; sensors read ``value_key`` or their class's key (:mod:`.readings`).
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from . import convert
from .wire import Out, Unsupported, dumps, loads_object
from . import readings, value_template
from .common import number, tidy, word_state
from .json_state import json_state
from .zigbee2mqtt import color_body

PAYLOADS = {
    "turn_on": "ON", "turn_off": "OFF", "open": "OPEN", "close": "CLOSE", "stop": "STOP",
    "lock": "LOCK", "unlock": "UNLOCK", "start": "start", "pause": "pause",
    "return_home": "return_to_base", "media_play": "PLAY", "media_pause": "PAUSE",
    "media_next": "NEXT", "media_previous": "PREVIOUS", "mute": "MUTE", "unmute": "UNMUTE",
    "volume_up": "VOLUME_UP", "volume_down": "VOLUME_DOWN", "activate_scene": "ON",
}
VALUE_TOPICS = ("brightness_topic", "rgb_topic", "hs_topic", "xy_topic", "color_temp_topic",
                "position_topic", "temperature_topic", "volume_topic", "mode_topic", "source_topic",
                "channel_topic")
STATE_TOPICS = {"brightness_state_topic": "brightness", "position_state_topic": "position",
                "temperature_state_topic": "temperature",
                "current_temperature_topic": "current_temperature", "volume_state_topic": "volume"}


def _payload(device: Device, intent: str) -> str:
    opts = device.mqtt.options
    if f"payload_{intent}" in opts:
        return str(opts[f"payload_{intent}"])
    if device.type == "vacuum" and intent == "stop":
        return "stop"
    if device.type == "scene" and intent == "turn_on":
        return PAYLOADS["activate_scene"]
    if intent not in PAYLOADS:
        raise Unsupported(f"no Home Assistant command for {intent}; add 'payload_{intent}'")
    return PAYLOADS[intent]


def _value_topic(device: Device, key: str, intent: str) -> str:
    topic = device.mqtt.options.get(key)
    if not topic:
        raise Unsupported(f"{intent} needs '{key}' in this device's mqtt settings")
    return str(topic)


def command(device: Device, intent: str, values: dict[str, Any]) -> list[Out]:
    opts = device.mqtt.options
    topic = device.mqtt.topic
    if intent == "toggle":
        if not values.get("power"):
            raise Unsupported("Home Assistant MQTT has no toggle; its current state is not known yet")
        intent = "turn_on" if values["power"] == "ON" else "turn_off"
    if opts.get("schema") == "json":
        return _json_command(device, intent, values)
    scale = int(opts.get("brightness_scale", 255))
    if device.type == "climate" and intent in ("turn_on", "turn_off") and opts.get("mode_topic"):
        mode = opts.get("on_mode", "heat") if intent == "turn_on" else "off"
        return [Out(str(opts["mode_topic"]), str(mode))]
    if intent in ("set_brightness", "brightness_up", "brightness_down"):
        if "brightness" not in values:
            raise Unsupported("the current brightness is not known yet (no state received); say a percentage")
        pct = values["brightness"]
        if pct <= 0:
            return [Out(topic, _payload(device, "turn_off"))]
        return [Out(_value_topic(device, "brightness_topic", intent), str(convert.pct_to_scale(pct, scale)))]
    if intent == "set_color":
        if values.get("kelvin") and opts.get("color_temp_topic") and opts.get("white_as", "color_temp") == "color_temp":
            return [Out(str(opts["color_temp_topic"]), str(convert.kelvin_to_mired(values["kelvin"])))]
        rgb = values["rgb"]
        if opts.get("rgb_topic"):
            return [Out(str(opts["rgb_topic"]), "%d,%d,%d" % rgb)]
        if opts.get("hs_topic"):
            return [Out(str(opts["hs_topic"]), "%d,%d" % convert.rgb_to_hs(rgb))]
        if opts.get("xy_topic"):
            return [Out(str(opts["xy_topic"]), "%.4f,%.4f" % convert.rgb_to_xy(rgb))]
        raise Unsupported("set_color needs 'rgb_topic', 'hs_topic' or 'xy_topic' (or schema: json)")
    if intent in ("set_temperature", "temperature_up", "temperature_down"):
        if "temperature" not in values:
            raise Unsupported("the current set point is not known yet (no state received); say a temperature")
        return [Out(_value_topic(device, "temperature_topic", intent), str(values["temperature"]))]
    if intent == "set_position":
        return [Out(_value_topic(device, "position_topic", intent), str(convert.half_up(values["position"])))]
    if intent in ("set_mode", "set_source", "set_channel"):
        key = {"set_mode": "mode", "set_source": "source", "set_channel": "channel"}[intent]
        return [Out(_value_topic(device, f"{key}_topic", intent), str(values[key]))]
    if intent in ("set_volume", "volume_up", "volume_down") and "volume" in values:
        vscale = float(opts.get("volume_scale", 100))
        level = values["volume"] * vscale / 100.0
        text = str(convert.half_up(level)) if vscale >= 100 else f"{level:.2f}"
        return [Out(_value_topic(device, "volume_topic", intent), text)]
    return [Out(topic, _payload(device, intent))]


def _json_command(device: Device, intent: str, values: dict[str, Any]) -> list[Out]:
    opts = device.mqtt.options
    scale = int(opts.get("brightness_scale", 255))
    if intent in ("turn_on", "turn_off"):
        body: dict[str, Any] = {"state": "ON" if intent == "turn_on" else "OFF"}
    elif intent in ("set_brightness", "brightness_up", "brightness_down"):
        if "brightness" not in values:
            raise Unsupported("the current brightness is not known yet (no state received); say a percentage")
        pct = values["brightness"]
        body = {"state": "OFF"} if pct <= 0 else {"state": "ON", "brightness": convert.pct_to_scale(pct, scale)}
    elif intent == "set_color":
        body = {"state": "ON", **color_body(values, {"color_mode": opts.get("color_mode", "rgb"), **opts})}
        if "color" in body:  # Home Assistant's JSON schema spells hue/saturation h/s
            c = body["color"]
            if "hue" in c:
                body["color"] = {"h": c["hue"], "s": c["saturation"]}
    else:
        raise Unsupported(f"the JSON light schema has no command for {intent}")
    return [Out(device.mqtt.topic, dumps(body))]


def command_topics(device: Device, intents: tuple[str, ...]) -> set[str]:
    opts = device.mqtt.options
    own = {device.mqtt.topic} if device.mqtt.topic else set()  # a sensor has only a state topic
    return own | {str(opts[k]) for k in VALUE_TOPICS if opts.get(k)}


def state_topics(device: Device) -> tuple[str, ...]:
    opts = device.mqtt.options
    extra = tuple(str(opts[k]) for k in STATE_TOPICS if opts.get(k))
    return ((device.mqtt.state_topic,) if device.mqtt.state_topic else ()) + extra


def parse_state(device: Device, topic: str, text: str) -> dict[str, Any]:
    opts = device.mqtt.options
    for key, name in STATE_TOPICS.items():
        if opts.get(key) == topic:
            value = number(text.strip(), name)
            if name == "brightness":
                return {name: convert.scale_to_pct(value, int(opts.get("brightness_scale", 255)))}
            if name == "volume":
                return {name: convert.half_up(value * 100.0 / float(opts.get("volume_scale", 100)))}
            return {name: tidy(value)}
    if opts.get("value_template"):
        value = value_template.parse(str(opts["value_template"])).apply(text)
        if device.type in ("sensor", "binary_sensor"):
            return readings.reading(device, value)
        return _words(device, str(value))
    if device.type in ("sensor", "binary_sensor") and not text.lstrip().startswith("{"):
        return readings.reading(device, text.strip())
    obj = loads_object(text)
    if obj is None:
        return _words(device, text)
    return json_state(device, obj, brightness_scale=int(opts.get("brightness_scale", 255)))


STATE_WORDS = {"state_on": "on", "state_off": "off", "state_open": "open", "state_closed": "closed",
               "state_opening": "opening", "state_closing": "closing", "state_stopped": "stopped",
               "state_locked": "locked", "state_unlocked": "unlocked", "state_locking": "locking",
               "state_unlocking": "unlocking", "state_jammed": "jammed"}
"""Options naming a device's own state payloads (discovery's ``stat_on``, ``stat_clsd`` ...)."""


def _words(device: Device, text: str) -> dict[str, Any]:
    opts = device.mqtt.options
    for key, canon in STATE_WORDS.items():
        if key in opts and text.strip() == str(opts[key]):
            return {"state": canon}
    for intent, canon in (("turn_on", "on"), ("turn_off", "off")):
        if f"payload_{intent}" in opts and text.strip() == str(opts[f"payload_{intent}"]):
            return {"state": canon}
    return word_state(device, text)


def check(device: Device) -> list[str]:
    """Problems with this device's state settings (a value template beyond what is evaluated)."""
    template = device.mqtt.options.get("value_template")
    if template is None:
        return []
    try:
        value_template.parse(str(template))
    except ValueError as exc:
        return [f"devices[{device.id}].mqtt.value_template: {exc}; give 'value_key' or a simpler template"]
    return []
