"""Random homes and vehicles for the teacher corpus.

The model must learn the task, not one home: every batch of examples is drawn from a
different made-up home with its own rooms, device names, brand names and aliases. A home
is returned as a config dictionary in the project's own format, so it goes through the
same :func:`agent.config.parse_config` and intent files as a user's home.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INTENTS = ROOT / "intents"

ROOMS: dict[str, tuple[str, ...]] = {
    "Living Room": ("lounge", "sitting room", "front room", "family room", "tv room"),
    "Kitchen": ("cooking area", "kitchenette"),
    "Bedroom": ("master bedroom", "main bedroom", "our room", "bed room"),
    "Kids Room": ("children's room", "kids bedroom"),
    "Nursery": ("baby room", "baby's room"),
    "Guest Room": ("spare room", "guest bedroom", "spare bedroom"),
    "Bathroom": ("bath room", "washroom", "main bathroom"),
    "En Suite": ("ensuite", "en suite bathroom"),
    "Toilet": ("loo", "wc", "downstairs toilet", "powder room"),
    "Hallway": ("hall", "entrance", "corridor", "entryway", "foyer"),
    "Landing": ("upstairs hall", "top of the stairs"),
    "Office": ("study", "home office", "work room"),
    "Den": ("snug", "man cave"),
    "Dining Room": ("dining area", "dinner room"),
    "Utility Room": ("utility", "laundry room", "laundry"),
    "Garage": ("car port",),
    "Basement": ("cellar", "downstairs room"),
    "Attic": ("loft", "attic room"),
    "Porch": ("front porch", "veranda", "stoop"),
    "Patio": ("terrace", "deck"),
    "Garden": ("back garden", "yard", "backyard"),
    "Balcony": ("the balcony",),
    "Conservatory": ("sun room", "sunroom"),
    "Gym": ("workout room", "exercise room"),
    "Playroom": ("games room", "play room"),
    "Library": ("reading room",),
    "Workshop": ("shed", "workroom"),
    "Music Room": ("studio",),
}
PEOPLE = ("emma", "jack", "mum", "dad", "grandma", "olivia", "liam", "sophie", "noah", "mia",
          "leo", "ava", "sam", "zoe", "max", "lily", "ben", "ella", "tom", "nina")

LIGHTS = ("{room} Light", "{room} Lights", "{room} Lamp", "Ceiling Light", "Main Light",
          "Big Light", "Floor Lamp", "Desk Lamp", "Bedside Lamp", "Reading Lamp", "Table Lamp",
          "Pendant Light", "Spotlights", "Downlights", "LED Strip", "Light Strip", "Strip Light",
          "Chandelier", "Wall Light", "Sconce", "Night Light", "Uplighter", "Arc Lamp",
          "Tripod Lamp", "Globe Light", "Hue Go", "Hue Bulb", "LIFX Bulb", "Tradfri Bulb",
          "Wiz Bulb", "Govee Strip", "Nanoleaf Panels", "Sofa Lamp", "Corner Lamp",
          "Mirror Light", "Cabinet Lights", "Under Cabinet Lights", "Porch Light",
          "Garden Lights", "Lava Lamp", "Salt Lamp", "Vanity Light", "Bar Lights",
          "Picture Light", "Nightstand Lamp", "Standing Lamp", "{room} Ceiling Light",
          "{room} Spots", "{room} Lamp {n}", "Lamp {n}", "{person}'s Lamp", "{person}'s Light",
          "Pathway Lights", "Stair Lights", "Ambient Light", "Accent Light", "Bulb {n}")
LIGHT_ALIASES = ("big light", "main light", "the lamp", "overhead light", "top light",
                 "mood light", "little lamp", "the bulb", "glow light", "ceiling lamp")
PLUGS = ("Smart Plug", "Wemo Plug", "Wemo", "Kasa Plug", "Plug {n}", "Socket {n}", "TV Plug",
         "Desk Plug", "Lamp Plug", "Charger Plug", "Aquarium", "Fish Tank", "Fountain Pump",
         "Dehumidifier", "Humidifier", "Air Purifier", "Electric Blanket", "Space Heater",
         "Monitor", "Printer", "Towel Rail", "Heated Towel Rail", "Christmas Tree",
         "Fairy Lights", "Grow Light", "Pool Pump", "Garden Fountain", "Speaker Plug",
         "Shelly Plug", "Tapo Plug", "Sonoff", "Tasmota Plug", "Outdoor Socket",
         "Mosquito Repeller", "Diffuser", "Heat Lamp", "Foot Spa", "Hot Tub")
APPLIANCES = ("Kettle", "Coffee Machine", "Coffee Maker", "Espresso Machine", "Toaster",
              "Slow Cooker", "Rice Cooker", "Bread Maker", "Water Heater", "Immersion Heater",
              "Nespresso", "Barista", "Sandwich Maker", "Waffle Iron", "Popcorn Machine")
COFFEE_MAKERS = tuple(a for a in APPLIANCES if re.search("coffee|espresso|nespresso|barista", a, re.I))
FANS = ("Ceiling Fan", "Desk Fan", "Tower Fan", "Pedestal Fan", "Extractor Fan",
        "Bathroom Fan", "Dyson Fan", "Box Fan", "Attic Fan", "{room} Fan", "Ventilator")
COVERS = {
    "blind": ("Blinds", "Roller Blind", "Venetian Blinds", "{room} Blinds", "Window Blind",
              "Skylight Blind"),
    "curtain": ("Curtains", "Drapes", "{room} Curtains", "Blackout Curtains", "Net Curtains"),
    "shade": ("Shades", "Sun Shade", "{room} Shades", "Roman Shade"),
    "shutter": ("Shutters", "Roller Shutter", "{room} Shutters"),
    "garage_door": ("Garage Door", "Garage"),
    "gate": ("Gate", "Driveway Gate", "Side Gate"),
    "awning": ("Awning", "Patio Awning", "Sunshade"),
    "window": ("Skylight", "Roof Window", "Velux", "{room} Window"),
}
LOCKS = ("Front Door", "Back Door", "Front Door Lock", "Back Door Lock", "Side Door",
         "Patio Door Lock", "Garage Lock", "Gate Lock", "Deadbolt", "Nuki Lock", "Yale Lock",
         "Shed Lock", "Porch Door", "Kitchen Door")
CLIMATE = ("Thermostat", "Heating", "Radiator", "{room} Radiator", "Air Conditioner", "Aircon",
           "Heat Pump", "Nest", "Ecobee", "{room} Thermostat", "Underfloor Heating", "Boiler",
           "Mini Split", "{room} Heater")
TVS = ("TV", "Television", "Telly", "{room} TV", "Samsung TV", "LG TV", "Apple TV", "Fire Stick",
       "Chromecast", "Roku", "Projector", "Big Screen")
SPEAKERS = ("Speaker", "Sonos", "Sonos One", "{room} Speaker", "Soundbar", "HomePod",
            "Echo Dot", "Radio", "Stereo", "Bluetooth Speaker", "HiFi", "Music", "Jukebox")
VACUUMS = ("Robot Vacuum", "Roomba", "Roborock", "Deebot", "Eufy", "Hoover", "Vacuum", "Robot",
           "Dusty", "Rosie", "Dyson Robot", "Robovac", "Neato")
SCENES = ("Movie Night", "Good Night", "Good Morning", "Relax", "Dinner", "Reading", "Party",
          "Romantic", "Focus", "Away", "Bedtime", "Wake Up", "Cinema", "Date Night",
          "Game Night", "Chill", "Morning Routine", "Leaving Home", "Coming Home",
          "Night Mode", "Cosy Evening", "Study Time", "Dinner Party", "Energise", "Nightlight",
          "Sunset", "Storytime", "Tv Time", "Workout")
VEHICLE_AREAS = (
    ("cabin", "Cabin", ("inside", "interior")),
    ("driver", "Driver", ("driver side", "driver seat", "my side")),
    ("passenger", "Passenger", ("passenger side", "passenger seat", "shotgun")),
    ("rear", "Rear", ("back", "back seat", "back seats", "rear seats")),
)


class HomeMaker:
    """Makes random home configs (dicts in the project's config format)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self, index: int) -> dict[str, Any]:
        if self.rng.random() < 0.12:
            return self.vehicle(index)
        return self.home(index)

    # ------------------------------------------------------------------ homes
    def home(self, index: int) -> dict[str, Any]:
        rng = self.rng
        names = rng.sample(list(ROOMS), rng.randint(2, 9))
        areas = []
        for name in names:
            aliases = [a for a in ROOMS[name] if rng.random() < 0.5]
            areas.append({"id": _ident(name), "name": name, "aliases": aliases})
        self.devices: list[dict[str, Any]] = []
        self.used = {w.lower() for a in areas for w in (a["name"], *a["aliases"])}  # a device is never called like a room
        for a in areas:
            for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
                self._add("light", rng.choice(LIGHTS), a, aliases=LIGHT_ALIASES)
            if rng.random() < 0.25:
                self._add("switch", rng.choice(PLUGS), a, cls=rng.choice(("outlet", "plug", None)))
            if rng.random() < 0.12:
                self._add("fan", rng.choice(FANS), a)
            if rng.random() < 0.25:
                cls = rng.choice(list(COVERS))
                self._add("cover", rng.choice(COVERS[cls]), a, cls=cls)
            if rng.random() < 0.12:
                self._add("climate", rng.choice(CLIMATE), a, extra={"min": 10, "max": 30})
            if rng.random() < 0.12:
                self._add("media_player", rng.choice(TVS + SPEAKERS), a)
        home_area = rng.choice(areas)
        for i in range(rng.choice((0, 1, 1, 2))):  # most homes have a coffee machine or a kettle
            pick = rng.choice(COFFEE_MAKERS if i == 0 and rng.random() < 0.5 else APPLIANCES)
            self._add("switch", pick, _room_named(areas, "Kitchen") or home_area, cls="appliance")
        if rng.random() < 0.35:
            self._add("lock", rng.choice(LOCKS), rng.choice(areas), extra={"confirm": True})
        if rng.random() < 0.35:
            self._add("climate", rng.choice(CLIMATE), rng.choice(areas), extra={"min": 10, "max": 30})
        if rng.random() < 0.4:
            self._add("media_player", rng.choice(TVS), _room_named(areas, "Living Room") or home_area)
        if rng.random() < 0.3:
            self._add("media_player", rng.choice(SPEAKERS), rng.choice(areas))
        if rng.random() < 0.4:
            self._add("vacuum", rng.choice(VACUUMS), rng.choice(areas + [None]))
        for scene in rng.sample(SCENES, rng.choice((0, 0, 1, 2, 3))):
            self._add("scene", scene, None)
        if not any(d["type"] == "light" for d in self.devices):
            self._add("light", rng.choice(LIGHTS), rng.choice(areas), aliases=LIGHT_ALIASES)
        return {"site": f"home{index}", "area": rng.choice([None, rng.choice(areas)["id"]]),
                "mqtt": {"host": "127.0.0.1", "port": 1883},
                "intents": [str(INTENTS / "home.yaml")], "areas": areas, "devices": self.devices}

    def vehicle(self, index: int) -> dict[str, Any]:
        rng = self.rng
        areas = [{"id": i, "name": n, "aliases": [a for a in al if rng.random() < 0.7]}
                 for i, n, al in VEHICLE_AREAS]
        by_id = {a["id"]: a for a in areas}
        self.devices = []
        self.used = {w.lower() for a in areas for w in (a["name"], *a["aliases"])}
        for side in ("driver", "passenger"):
            self._add("window", f"{side.title()} Window", by_id[side], extra={"confirm": True})
            if rng.random() < 0.7:
                self._add("seat_heater", f"{side.title()} Seat Heater", by_id[side])
        if rng.random() < 0.6:
            self._add("window", "Rear Left Window", by_id["rear"], extra={"confirm": True})
            self._add("window", "Rear Right Window", by_id["rear"], extra={"confirm": True})
        if rng.random() < 0.6:
            self._add("sunroof", rng.choice(("Sunroof", "Moonroof", "Panoramic Roof")), by_id["cabin"],
                      extra={"confirm": True})
        self._add("trunk", rng.choice(("Trunk", "Boot", "Tailgate", "Liftgate")), None, extra={"confirm": True})
        self._add("door", rng.choice(("Doors", "Door Locks", "Central Locking")), None, extra={"confirm": True})
        self._add("cabin_light", rng.choice(("Cabin Lights", "Interior Lights", "Dome Light", "Reading Lights")),
                  by_id["cabin"])
        self._add("climate", rng.choice(("Climate", "Air Conditioning", "AC", "Heater", "Climate Control")),
                  by_id["cabin"], extra={"min": 16, "max": 28})
        if rng.random() < 0.5:
            self._add("media_player", rng.choice(("Car Stereo", "Radio", "Infotainment", "Sound System")),
                      by_id["cabin"])
        return {"site": f"car{index}", "area": "cabin", "mqtt": {"host": "127.0.0.1", "port": 1883},
                "intents": [str(INTENTS / "home.yaml"), str(INTENTS / "vehicle.yaml")],
                "areas": areas, "devices": self.devices}

    # ------------------------------------------------------------------ devices
    def _add(self, dtype: str, pattern: str, area: dict | None, *, cls: str | None = None,
             aliases: tuple[str, ...] = (), extra: dict | None = None) -> None:
        rng = self.rng
        room = area["name"] if area else rng.choice(list(ROOMS))
        name = pattern.format(room=room, n=rng.randint(1, 4), person=rng.choice(PEOPLE).title())
        if area and "{room}" not in pattern and rng.random() < 0.25 and dtype not in ("scene", "door", "trunk"):
            name = f"{area['name']} {name}"
        if name.lower() in self.used:
            return
        self.used.add(name.lower())
        dev: dict[str, Any] = {"id": f"{dtype}.{_ident(name)}", "name": name, "type": dtype}
        pool = [a for a in aliases if a not in self.used]
        if pool and rng.random() < 0.3:
            alias = rng.choice(pool)
            self.used.add(alias)
            dev["aliases"] = [alias]
        if cls:
            dev["class"] = cls
        if area:
            dev["area"] = area["id"]
        dev["mqtt"] = {"style": "zigbee2mqtt", "topic": f"zigbee2mqtt/{name}"}
        dev.update(extra or {})
        self.devices.append(dev)


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def _room_named(areas: list[dict], name: str) -> dict | None:
    return next((a for a in areas if a["name"] == name), None)
