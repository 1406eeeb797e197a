"""The vehicle intents: parts of a car and the words drivers use for them."""

from pathlib import Path

import pytest

from agent.config import load_config
from agent.understanding.template_engine import TemplateEngine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def car():
    return TemplateEngine(load_config(ROOT / "config" / "vehicle.yaml"))


@pytest.mark.parametrize("text,intent,targets,slots", [
    ("roll down the driver's window", "open", ["window.driver"], {}),
    ("roll up the windows", "close", ["window.driver", "window.passenger", "window.rear_left", "window.rear_right"], {}),
    ("crack the sunroof", "set_position", ["sunroof.main"], {"position": 15}),
    ("roll the back windows down halfway", "set_position", ["window.rear_left", "window.rear_right"], {"position": 50}),
    ("pop the trunk", "open", ["trunk.main"], {}),
    ("lock the car", "lock", ["door.all"], {}),
    ("unlock the car", "unlock", ["door.all"], {}),
    ("heat the passenger seat", "turn_on", ["seat_heater.passenger"], {}),
    ("set the ac to twenty degrees", "set_temperature", ["climate.hvac"], {"temperature": 20}),
    ("set the ac to 30 degrees", None, [], {}),  # above the configured 28
    ("it is too hot in here", "temperature_down", ["climate.hvac"], {}),
    ("turn on the interior lights", "turn_on", ["light.cabin"], {}),
    ("dim the cabin lights", "brightness_down", ["light.cabin"], {}),
    # no seat named: the seat heaters, never the cabin light
    ("turn on the seat heater", "turn_on", ["seat_heater.driver", "seat_heater.passenger"], {}),
    ("switch off heated seat", "turn_off", ["seat_heater.driver", "seat_heater.passenger"], {}),
    ("my seat is cold", "turn_on", ["seat_heater.driver", "seat_heater.passenger"], {}),
])
def test_vehicle_sentences(car, text, intent, targets, slots):
    got = car.understand(text)
    assert (got.name, list(got.targets), got.slots) == (intent, targets, slots), got.reason


def test_roll_down_means_close_for_a_blind_but_open_for_a_window(car, demo_engine):
    assert demo_engine.understand("roll down the blinds").name == "close"
    assert car.understand("roll down the passenger window").name == "open"


def test_the_speakers_own_seat_heater(car):
    for text in ("my seat is cold", "turn on the seat heater", "turn my seat heating on"):
        got = car.understand(text, area="driver")
        assert got.name == "turn_on" and got.targets == ("seat_heater.driver",), (text, got)

