"""zigbee2mqtt: the retained ``<base>/bridge/devices`` and ``<base>/bridge/groups`` lists.

Each device's ``definition.exposes`` says what it does: a ``light``/``switch``/``fan``/
``cover``/``lock``/``climate`` expose with ``features`` (``state``, ``brightness``,
``color_temp``, ``color_xy``/``color_hs``, ``position``, ``current_heating_setpoint`` ...), or
generic ``numeric``/``binary`` values (``temperature``, ``humidity``, ``contact``,
``occupancy`` ... with ``unit``, ``value_on``/``value_off``). ``access`` bit 1 means the value
is published in the device's state, bit 2 that it can be set. A device becomes one controllable
entry plus one sensor entry per reading people ask about; groups become lights (when every member
is a light) and their scenes become scenes.
"""

from __future__ import annotations

from typing import Any

from .areas import area_from_description, guess_area
from .model import Found, Skipped, clean_name, plain_topic

SENSORS: dict[str, tuple[str, str]] = {
    "temperature": ("temperature", "Temperature"), "humidity": ("humidity", "Humidity"),
    "pressure": ("pressure", "Pressure"), "illuminance_lux": ("illuminance", "Illuminance"),
    "co2": ("carbon_dioxide", "CO2"), "voc": ("volatile_organic_compounds", "VOC"),
    "pm25": ("pm25", "PM2.5"), "pm10": ("pm10", "PM10"), "power": ("power", "Power"),
    "energy": ("energy", "Energy"), "soil_moisture": ("moisture", "Moisture"),
    "noise": ("sound_pressure", "Noise"),
}
"""Numeric properties read as sensors: property -> (sensor class, word added to the name)."""

BINARIES: dict[str, tuple[str, str]] = {
    "occupancy": ("occupancy", "Occupancy"), "presence": ("presence", "Presence"),
    "water_leak": ("moisture", "Leak"), "smoke": ("smoke", "Smoke"), "gas": ("gas", "Gas"),
    "carbon_monoxide": ("carbon_monoxide", "Carbon Monoxide"), "vibration": ("vibration", "Vibration"),
}
"""Binary properties read as binary sensors (``contact`` is door or window, by the name)."""

_SPECIFIC = ("light", "switch", "fan", "cover", "lock", "climate")
_PUBLISHED, _SETTABLE = 1, 2


def _features(expose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f.get("name") or f.get("property"): f for f in expose.get("features") or ()
            if isinstance(f, dict)}


def _words(*texts: Any) -> str:
    return " ".join(t.lower() for t in texts if isinstance(t, str))


def parse_devices(base: str, devices: Any, areas_by_ieee: dict[str, str] | None = None
                  ) -> tuple[list[Found], list[Skipped]]:
    """Devices from ``<base>/bridge/devices`` (a JSON list)."""
    found: list[Found] = []
    skipped: list[Skipped] = []
    if not isinstance(devices, list):
        return [], [Skipped(f"zigbee2mqtt:{base}", f"{base}/bridge/devices", "not a JSON list of devices")]
    for raw in devices:
        if not isinstance(raw, dict):
            continue
        ieee, fname = raw.get("ieee_address"), raw.get("friendly_name")
        if raw.get("type") == "Coordinator" or not isinstance(ieee, str) or not isinstance(fname, str):
            continue
        key = f"zigbee2mqtt:{ieee[:40]}"
        topic = f"{base}/{fname}"
        if raw.get("disabled"):
            skipped.append(Skipped(key, fname, "disabled in zigbee2mqtt"))
            continue
        if not plain_topic(topic):
            skipped.append(Skipped(key, fname[:60], "its friendly name holds '#', '+' or a control character, "
                                                     "which cannot be in an MQTT topic; rename it in zigbee2mqtt"))
            continue
        definition = raw.get("definition")
        exposes = definition.get("exposes") if isinstance(definition, dict) else None
        if not isinstance(exposes, list):
            skipped.append(Skipped(key, fname, "not supported by zigbee2mqtt (no definition)"))
            continue
        name = clean_name(fname, ieee)
        area = area_from_description(raw.get("description"))
        guessed = False
        if area is None and areas_by_ieee and ieee in areas_by_ieee:
            area = areas_by_ieee[ieee]
        if area is None:
            area, guessed = guess_area(name), True
        text = _words(name, definition.get("description"), definition.get("model"))
        common = dict(area=area, area_guessed=guessed and area is not None)
        main = _main(key, name, topic, exposes, text, skipped)
        if main is not None:
            found.append(Found(**main, **common, claims=(topic, topic + "/set")))
        found += _readings(key, name, topic, exposes, text, common, has_main=main is not None)
    return found, skipped


def _main(key: str, name: str, topic: str, exposes: list[Any], text: str,
          skipped: list[Skipped]) -> dict[str, Any] | None:
    specific = [e for e in exposes if isinstance(e, dict) and e.get("type") in _SPECIFIC]
    plain = [e for e in specific if not e.get("endpoint")]
    if not plain and specific:  # only per-endpoint (multi-gang) controls: the first one is not addressable
        skipped.append(Skipped(key, name, f"{len(specific)} endpoint controls (state_l1 ...); "
                                          "add them by hand with the template style"))
        return None
    if not plain:
        return None
    e = plain[0]
    feats = _features(e)
    mqtt: dict[str, Any] = {"style": "zigbee2mqtt", "topic": topic}
    kind = e["type"]
    if kind == "light":
        features = []
        if "brightness" in feats:
            features.append("brightness")
            scale = feats["brightness"].get("value_max")
            if isinstance(scale, int) and scale not in (255,) and scale > 0:
                mqtt["brightness_scale"] = scale
        if "color_xy" in feats or "color_hs" in feats:
            features.append("color")
            if "color_xy" not in feats:
                mqtt["color_mode"] = "hs"
        if "color_temp" in feats:
            features.append("color_temp")
        elif "color" in features:
            mqtt["white_as"] = "rgb"
        return dict(source=key, name=name, type="light", mqtt=mqtt, features=tuple(features))
    if kind == "switch":
        cls = "outlet" if any(w in text for w in ("plug", "socket", "outlet")) else None
        return dict(source=key, name=name, type="switch", mqtt=mqtt, device_class=cls)
    if kind == "fan":
        return dict(source=key, name=name, type="fan", mqtt=mqtt)
    if kind == "cover":
        cls = next((c for c in ("curtain", "shutter", "shade", "garage_door", "awning", "gate", "window")
                    if c.replace("_", " ") in text), "blind" if "blind" in text else None)
        return dict(source=key, name=name, type="cover", mqtt=mqtt, device_class=cls,
                    features=("position",) if "position" in feats else (), confirm=cls == "garage_door")
    if kind == "lock":
        return dict(source=key, name=name, type="lock", mqtt=mqtt, confirm=True)
    # climate: the set point's property, its range and unit, the mode that means "on"
    setpoint = next((feats[p] for p in ("occupied_heating_setpoint", "current_heating_setpoint",
                                        "occupied_cooling_setpoint") if p in feats), None)
    if setpoint is None:
        skipped.append(Skipped(key, name, "a climate expose without a heating or cooling set point"))
        return None
    mqtt["temperature_key"] = setpoint.get("property") or setpoint.get("name")
    modes = feats.get("system_mode", {}).get("values") or []
    if modes:
        mqtt["on_mode"] = "heat" if "heat" in modes else next((m for m in modes if m != "off"), "heat")
    unit = "F" if "F" in str(setpoint.get("unit", "")) else "C"
    cls = "thermostat"
    lo, hi = setpoint.get("value_min"), setpoint.get("value_max")
    return dict(source=key, name=name, type="climate", mqtt=mqtt, device_class=cls, unit=unit,
                min=float(lo) if isinstance(lo, (int, float)) else None,
                max=float(hi) if isinstance(hi, (int, float)) else None)


def _readings(key: str, name: str, topic: str, exposes: list[Any], text: str, common: dict[str, Any],
              *, has_main: bool) -> list[Found]:
    out = []
    for e in exposes:
        if not isinstance(e, dict) or e.get("endpoint"):
            continue
        prop, access = e.get("property"), e.get("access", _PUBLISHED)
        if not isinstance(prop, str) or not isinstance(access, int) or not access & _PUBLISHED:
            continue
        mqtt: dict[str, Any] = {"style": "zigbee2mqtt", "topic": topic, "value_key": prop}
        if e.get("type") == "numeric" and prop in SENSORS:
            cls, word = SENSORS[prop]
            if isinstance(e.get("unit"), str) and e["unit"]:
                mqtt["measure_unit"] = e["unit"]
            out.append(Found(source=f"{key}/{prop}", name=f"{name} {word}", type="sensor", device_class=cls,
                             mqtt=mqtt, **common))
        elif e.get("type") == "binary" and (prop in BINARIES or prop == "contact"):
            if prop == "contact":
                said = name.lower()  # the name says which ("Kitchen Window"); a model fits both
                cls = "garage_door" if "garage" in said else "window" if "window" in said else "door"
                word = ""
            else:
                cls, word = BINARIES[prop]
            for side in ("on", "off"):
                if f"value_{side}" in e:
                    mqtt[f"payload_{side}"] = e[f"value_{side}"]
            label = f"{name} {word}".strip()
            out.append(Found(source=f"{key}/{prop}", name=label, type="binary_sensor", device_class=cls,
                             mqtt=mqtt, **common))
    return out


def parse_groups(base: str, groups: Any, device_types: dict[str, tuple[str, tuple[str, ...]]]
                 ) -> tuple[list[Found], list[Skipped], dict[str, str]]:
    """Groups from ``<base>/bridge/groups``: a light per group of lights, a scene per stored scene,
    and the areas groups named after rooms give their members (ieee -> area name)."""
    found: list[Found] = []
    skipped: list[Skipped] = []
    member_area: dict[str, str] = {}
    if not isinstance(groups, list):
        return [], [Skipped(f"zigbee2mqtt:{base}", f"{base}/bridge/groups", "not a JSON list of groups")], {}
    for g in groups:
        if not isinstance(g, dict) or not isinstance(g.get("friendly_name"), str):
            continue
        gname = g["friendly_name"]
        key = f"zigbee2mqtt:group/{g.get('id', gname)}"
        topic = f"{base}/{gname}"
        if not plain_topic(topic):
            skipped.append(Skipped(key, gname[:60], "its name holds '#', '+' or a control character"))
            continue
        name = clean_name(gname, f"group {g.get('id')}")
        area = area_from_description(g.get("description")) or guess_area(name)
        members = [m.get("ieee_address") for m in g.get("members") or () if isinstance(m, dict)]
        if area and area.lower() == name.lower():  # a group named after a room says where its members are
            for ieee in members:
                if isinstance(ieee, str):
                    member_area.setdefault(ieee, area)
        kinds = [device_types.get(m) for m in members if isinstance(m, str)]
        if kinds and all(k is not None and k[0] == "light" for k in kinds):
            shared = set(kinds[0][1])  # type: ignore[index]
            for k in kinds[1:]:
                shared &= set(k[1])  # type: ignore[index]
            features = tuple(f for f in ("brightness", "color", "color_temp") if f in shared)
            mqtt: dict[str, Any] = {"style": "zigbee2mqtt", "topic": topic}
            if "color" in features and "color_temp" not in features:
                mqtt["white_as"] = "rgb"
            found.append(Found(source=key, name=name, type="light", mqtt=mqtt, features=features,
                               area=area, area_guessed=area is not None and area.lower() != name.lower(),
                               claims=(topic, topic + "/set")))
        for scene in g.get("scenes") or ():
            if not isinstance(scene, dict) or not isinstance(scene.get("id"), int):
                continue
            sname = clean_name(scene.get("name"), f"{name} scene {scene['id']}")
            found.append(Found(source=f"{key}/scene/{scene['id']}", name=sname, type="scene",
                               mqtt={"style": "zigbee2mqtt", "topic": topic, "scene_id": scene["id"]},
                               area=area, area_guessed=area is not None and area.lower() != name.lower()))
    return found, skipped, member_area
