"""Built-in English vocabulary: the words people use for kinds of device, states,
sensor measurements and colours.

A *kind* is ``type`` or ``type:class`` (``light``, ``cover:curtain``,
``binary_sensor:battery``), ``type:-`` for a device of that type with no class; ``*``
is any device. Intent files can add to every
list here under the same name.
"""

from __future__ import annotations

# spoken word(s) -> kinds they can mean
KINDS: dict[str, tuple[str, ...]] = {}


def _kind(kinds: str, *words: str) -> None:
    for w in words:
        KINDS[w] = tuple(dict.fromkeys(KINDS.get(w, ()) + tuple(kinds.split())))


_kind("light cabin_light binary_sensor:light", "light", "lights", "lamp", "lamps", "lighting", "lightning", "bulb",
      "bulbs", "light bulb", "light bulbs", "lamp light", "lamp lights")
_kind("cabin_light", "cabin light", "cabin lights", "interior light", "interior lights",
      "dome light", "reading light", "reading lights")
_kind("switch", "switch", "switches")
# a plug is never the coffee machine behind it: switches of class appliance are left out
_kind("switch:outlet switch:plug switch:-", "socket", "sockets", "outlet", "outlets", "plug", "plugs",
      "smart plug", "smart plugs", "power socket", "power sockets", "wall socket", "wall sockets")
_kind("fan", "fan", "fans", "ventilator", "ventilation")
_kind("cover", "cover", "covers")
# Blinds, shutters, shades and rollers are one family: people call a Tasmota shutter "the
# blinds" and a roller blind "the shutter". Curtains (fabric, drawn aside) are not in it:
# "close the curtains" never lowers a shutter. The word's own class comes first;
# :func:`family` widens it, and resolution keeps the exact class in a room that has it.
# Anything else a home calls its covers: ``kinds:`` on the device or in ``understanding``.
_WINDOW_COVERINGS = ("cover:blind", "cover:shutter", "cover:shade")
_kind("cover:blind", "blind", "blinds", "roller blind", "roller blinds", "venetian blinds", "roller", "rollers")
_kind("cover:curtain", "curtain", "curtains", "drape", "drapes")
_kind("cover:shade", "shade", "shades", "sunshade", "sunshades")
_kind("cover:shutter", "shutter", "shutters", "roller shutter", "roller shutters")
FAMILIES: dict[str, tuple[str, ...]] = {k: _WINDOW_COVERINGS for k in _WINDOW_COVERINGS}
"""Kind -> the kinds of its family, which the same words may also mean."""


def family(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """``kinds`` widened to their families, the given kinds first."""
    return tuple(dict.fromkeys(kinds + tuple(f for k in kinds for f in FAMILIES.get(k, ()))))


def plurals(word: str) -> tuple[str, ...]:
    """A user's kind word with its English plural: ``blind`` -> blinds, ``box`` -> boxes,
    ``lamp strip`` -> lamp strips; a word that already ends in s is kept as it is."""
    word = word.strip().lower()
    last = word.rsplit(" ", 1)[-1]
    if last.endswith("s") and not last.endswith("ss"):
        return (word,)
    if last.endswith(("ss", "sh", "ch", "x", "z")):
        return (word, word + "es")
    if last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        return (word, word[:-1] + "ies")
    return (word, word + "s")
_kind("cover:awning", "awning", "awnings")
_kind("cover:garage_door binary_sensor:garage_door", "garage door", "garage doors",
      "garage")
_kind("cover:gate", "gate", "gates", "driveway gate")
_kind("cover:window binary_sensor:window window", "window", "windows")
_kind("sunroof", "sunroof", "sun roof", "moonroof", "roof")
_kind("trunk", "trunk", "boot", "tailgate", "liftgate")
_kind("seat_heater", "seat heater", "seat heaters", "seat heating", "heated seat",
      "heated seats", "seat warmer", "seat warmers")
_kind("valve", "valve", "valves", "water valve", "water valves", "tap", "taps")
_kind("lock door cover:door binary_sensor:door binary_sensor:lock", "door", "doors")
_kind("lock door binary_sensor:lock", "lock", "locks", "door lock", "door locks", "deadbolt",
      "deadbolts")
_kind("climate", "thermostat", "thermostats", "heating", "heat", "heater", "heaters",
      "radiator", "radiators", "hvac", "air conditioning", "air conditioner", "ac", "a c",
      "climate", "climate control", "aircon", "air con")
_kind("media_player", "tv", "t v", "tvs", "television", "televisions", "telly", "speaker",
      "speakers", "music", "media", "media player", "media players", "radio", "stereo",
      "player", "sound system", "song", "songs", "track", "tracks", "podcast", "audio")
_kind("vacuum", "vacuum", "vacuums", "vacuum cleaner", "robot vacuum", "hoover", "robot",
      "roomba", "robot cleaner", "cleaner")
_kind("scene", "scene", "scenes", "mode", "script", "scripts", "routine", "routines")
_kind("sensor binary_sensor", "sensor", "sensors", "detector", "detectors")
_kind("person", "person", "people", "anyone", "anybody", "someone", "somebody", "everyone",
      "everybody", "family", "family members")
_kind("*", "thing", "things", "device", "devices", "anything", "everything", "something",
      "all", "stuff", "appliances", "appliance")
_kind("binary_sensor:battery sensor:battery binary_sensor:battery_charging", "battery", "batteries")
for _cls, _words in {
    "carbon_monoxide": ("carbon monoxide", "co"),
    "gas": ("gas",),
    "smoke": ("smoke", "fire"),
    "moisture": ("water", "leak", "leaks", "flood", "moisture", "water leak"),
    "motion": ("motion", "movement"),
    "occupancy": ("occupancy", "presence"),
    "sound": ("sound", "noise"),
    "opening": ("opening", "openings"),
    "vibration": ("vibration",),
    "tamper": ("tamper", "tampering"),
    "update": ("update", "updates", "software update", "software updates", "firmware update",
               "firmware updates"),
    "connectivity": ("connection", "connectivity", "network"),
    "plug": ("plug", "plugs"),
    "power": ("power", "mains", "mains power"),
    "problem": ("problem", "problems"),
    "safety": ("safety",),
    "heat": ("heat",),
    "cold": ("cold", "frost"),
}.items():
    for _w in _words:
        _kind(f"binary_sensor:{_cls}", _w, f"{_w} sensor", f"{_w} sensors", f"{_w} detector",
              f"{_w} detectors", f"{_w} alarm", f"{_w} alarms")

# spoken state -> {kind: canonical state}; a kind of ``type`` applies to all its classes
STATES: dict[str, dict[str, str]] = {}


def _state(kinds: str, value: str, *words: str) -> None:
    for w in words:
        table = STATES.setdefault(w, {})
        for k in kinds.split():
            table.setdefault(k, value)


_ONOFF = "light switch fan media_player climate seat_heater cabin_light vacuum binary_sensor"
_state(_ONOFF, "on", "on", "turned on", "switched on", "powered on", "active", "enabled")
_state(_ONOFF, "off", "off", "turned off", "switched off", "powered off", "inactive", "disabled")
# an appliance or a fan that is on is running: "is the kettle running", "is the fan still going"
_state("switch fan", "on", "running", "going", "still running", "still going")
_state("switch fan", "off", "not running", "not going")
_OPENABLE = "cover valve window sunroof trunk"
_state(_OPENABLE, "open", "open", "opened", "up", "raised", "not closed", "not shut")
_state(_OPENABLE, "closed", "closed", "shut", "down", "lowered", "not open")
_state("lock door", "locked", "locked", "secured", "secure", "locked up", "not unlocked", "bolted")
_state("lock door", "unlocked", "unlocked", "unsecured", "insecure", "not locked", "unbolted", "open")
_state("person binary_sensor:presence", "home", "home", "at home", "in", "here", "present",
       "in house", "back", "back home", "inside")
_state("person binary_sensor:presence", "away", "away", "gone", "out", "not home", "not at home",
       "not here", "absent", "outside", "left")
for k in ("person", "binary_sensor:presence"):
    for w in ("home", "at home", "in", "here", "present", "in house", "back", "back home", "inside"):
        STATES[w][k] = "home" if k == "person" else "on"
    for w in ("away", "gone", "out", "not home", "not at home", "not here", "absent", "outside", "left"):
        STATES[w][k] = "away" if k == "person" else "off"

_BINARY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "battery": (("low", "empty", "dying", "dead", "flat", "running low", "almost empty"),
                ("normal", "ok", "okay", "fine", "charged", "full", "not low", "good")),
    "battery_charging": (("charging", "being charged"), ("not charging", "done charging")),
    "carbon_monoxide": (("detected", "triggered", "present", "sensed", "alarming"),
                        ("clear", "not detected", "normal", "ok")),
    "cold": (("cold", "freezing", "too cold", "frozen"), ("normal", "not cold", "warm", "ok")),
    "connectivity": (("connected", "online", "on line"), ("disconnected", "offline", "not connected")),
    "door": (("open", "opened", "ajar"), ("closed", "shut")),
    "garage_door": (("open", "opened", "up"), ("closed", "shut", "down")),
    "gas": (("detected", "triggered", "present", "sensed", "leaking"), ("clear", "not detected", "normal")),
    "heat": (("hot", "overheating", "too hot", "overheated"), ("normal", "not hot", "cool", "ok")),
    "light": (("detected", "light detected", "lit", "bright"), ("no light", "dark", "not detected")),
    "lock": (("unlocked", "unsecured", "not locked"), ("locked", "secured", "secure")),
    "moisture": (("wet", "flooded", "leaking", "detected", "damp"), ("dry", "not wet", "clear")),
    "motion": (("detected", "triggered", "moving", "sensing motion", "seeing motion"),
               ("clear", "not detected", "still")),
    "moving": (("moving",), ("stopped", "still", "not moving")),
    "occupancy": (("occupied", "detected", "triggered", "busy", "in use"),
                  ("clear", "empty", "unoccupied", "vacant", "free")),
    "opening": (("open", "opened", "ajar"), ("closed", "shut")),
    "plug": (("plugged in", "plugged"), ("unplugged", "not plugged in")),
    "power": (("powered", "detected", "powered on", "live"), ("not powered", "without power", "dead")),
    "problem": (("problem", "detected", "a problem", "having problem", "having problems", "broken", "faulty",
                 "failing", "malfunctioning"), ("ok", "okay", "fine", "working", "healthy")),
    "running": (("running", "working", "busy", "going"), ("not running", "stopped", "idle", "done", "finished")),
    "safety": (("unsafe", "dangerous", "not safe"), ("safe",)),
    "smoke": (("detected", "triggered", "smoking", "sensed", "alarming"), ("clear", "not detected")),
    "sound": (("detected", "triggered", "hearing", "sensed", "noisy"), ("clear", "quiet", "not detected", "silent")),
    "tamper": (("tampered", "tampered with", "tampering", "being tampered with", "compromised"),
               ("clear", "not tampered", "untouched", "ok")),
    "update": (("available", "update available", "outdated", "out of date", "pending"),
               ("up to date", "updated", "current")),
    "vibration": (("vibrating", "shaking", "detected"), ("still", "not vibrating", "not detected")),
    "window": (("open", "opened", "ajar"), ("closed", "shut")),
}
for _cls, (_on, _off) in _BINARY.items():
    _state(f"binary_sensor:{_cls}", "on", *_on)
    _state(f"binary_sensor:{_cls}", "off", *_off)

# spoken measurement -> sensor class
MEASURES: dict[str, tuple[str, ...]] = {}


def _measure(cls: str, *words: str) -> None:
    for w in words:
        MEASURES[w] = tuple(dict.fromkeys(MEASURES.get(w, ()) + (cls,)))


_measure("temperature", "temperature", "temp", "heat")
_measure("humidity", "humidity", "relative humidity", "air humidity")
_measure("moisture", "moisture", "soil moisture", "wetness")
_measure("battery", "battery", "battery level", "charge", "battery charge", "battery percentage",
         "battery status", "charge level")
_measure("power", "power", "power usage", "power consumption", "power draw", "wattage",
         "consumption", "electric power")
_measure("apparent_power", "apparent power")
_measure("reactive_power", "reactive power")
_measure("power_factor", "power factor")
_measure("aqi", "air quality", "air quality index", "aqi")
_measure("atmospheric_pressure", "atmospheric pressure", "air pressure", "barometric pressure",
         "pressure")
_measure("pressure", "pressure", "tire pressure", "tyre pressure", "water pressure")
_measure("carbon_dioxide", "carbon dioxide", "co2", "co 2")
_measure("carbon_monoxide", "carbon monoxide", "co")
_measure("current", "current", "electric current", "current draw", "amperage", "amps")
_measure("data_rate", "data rate", "download speed", "upload speed", "speed", "bandwidth",
         "transfer rate", "bit rate")
_measure("data_size", "size", "data size", "file size", "disk usage")
_measure("date", "date", "day")
_measure("distance", "distance", "mileage", "odometer", "range")
_measure("duration", "duration", "time", "remaining time", "time left", "run time", "program duration")
_measure("energy", "energy", "energy production", "production", "energy usage", "energy consumption",
         "generation", "yield")
_measure("energy_storage", "stored energy", "energy storage", "energy", "stored")
_measure("frequency", "frequency", "ac frequency")
_measure("gas", "gas", "gas consumption", "gas usage")
_measure("illuminance", "illuminance", "light level", "brightness", "lux", "light intensity",
         "luminosity")
_measure("irradiance", "irradiance", "solar irradiance", "radiation")
_measure("monetary", "price", "cost", "rate", "tariff", "money", "amount")
_measure("nitrogen_dioxide", "nitrogen dioxide", "no2", "no 2")
_measure("nitrogen_monoxide", "nitrogen monoxide", "nitric oxide", "no")
_measure("nitrous_oxide", "nitrous oxide", "n2o", "n 2 o")
_measure("ozone", "ozone", "o3")
_measure("pm1", "pm1", "pm 1", "pm one", "particulate matter 1")
_measure("pm25", "pm2.5", "pm 2.5", "pm25", "pm 25", "fine particles", "fine particulate matter")
_measure("pm10", "pm10", "pm 10", "coarse particles")
_measure("precipitation", "precipitation", "rain", "rainfall", "total rainfall", "total rain",
         "accumulated rainfall", "accumulated rain", "rain total")
_measure("precipitation_intensity", "precipitation intensity", "rain intensity", "rainfall intensity",
         "rain rate", "rainfall rate", "intensity")
_measure("signal_strength", "signal", "signal strength", "reception", "signal level")
_measure("sound_pressure", "sound pressure", "acoustic pressure", "noise level", "sound level",
         "loudness", "decibels", "noise")
_measure("speed", "speed", "velocity")
_measure("sulphur_dioxide", "sulphur dioxide", "sulfur dioxide", "so2", "so 2")
_measure("volatile_organic_compounds", "volatile organic compounds", "organic compounds", "voc",
         "vocs", "voc level")
_measure("volatile_organic_compounds_parts", "volatile organic compounds", "organic compounds",
         "voc", "vocs", "voc parts")
_measure("voltage", "voltage", "volts", "input voltage")
_measure("volume", "volume", "usage", "water usage", "consumption")
_measure("volume_storage", "volume", "stored volume", "storage", "level", "fill level")
_measure("water", "water", "water usage", "water consumption", "usage", "consumption")
_measure("weight", "weight", "mass", "load")
_measure("wind_speed", "wind speed", "wind", "speed")

# colour name -> RGB (CSS values; names as people say them)
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
    "orange": (255, 165, 0), "purple": (128, 0, 128), "pink": (255, 192, 203),
    "white": (255, 255, 255), "warm white": (255, 214, 170), "cool white": (212, 235, 255),
    "cyan": (0, 255, 255), "magenta": (255, 0, 255), "violet": (238, 130, 238),
    "indigo": (75, 0, 130), "turquoise": (64, 224, 208), "teal": (0, 128, 128),
    "lime": (0, 255, 0), "gold": (255, 215, 0), "amber": (255, 191, 0),
    "lavender": (230, 230, 250), "brown": (165, 42, 42), "crimson": (220, 20, 60),
    "aqua": (0, 255, 255), "coral": (255, 127, 80), "salmon": (250, 128, 114),
    "navy": (0, 0, 128), "mint": (152, 255, 152), "peach": (255, 218, 185),
    "lilac": (200, 162, 200), "maroon": (128, 0, 0), "olive": (128, 128, 0),
    "sky blue": (135, 206, 235), "light blue": (173, 216, 230), "dark blue": (0, 0, 139),
    "light green": (144, 238, 144), "dark green": (0, 100, 0), "hot pink": (255, 105, 180),
    "rose": (255, 0, 127), "beige": (245, 245, 220), "chartreuse": (127, 255, 0),
}
COLOR_ALIASES: dict[str, str] = {
    "grey": "white", "gray": "white", "daylight": "cool white", "warm": "warm white",
    "cool": "cool white", "cold white": "cool white", "purple blue": "indigo",
    "fuchsia": "magenta",
}

OTHER_COLOR = "another"
"""The colour value of "a different colour", "some random colour" (the ``other_color`` list of
intents/home.yaml): one the lights are not showing, chosen when the command is planned
(agent/acting/recolor.py)."""

TEMPERATURE_UNITS = {"celsius": "C", "centigrade": "C", "c": "C", "fahrenheit": "F", "f": "F"}
DURATION_UNITS = {"second": 1, "seconds": 1, "sec": 1, "secs": 1, "minute": 60, "minutes": 60,
                  "min": 60, "mins": 60, "hour": 3600, "hours": 3600}
