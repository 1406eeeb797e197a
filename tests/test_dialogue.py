"""Several commands in one breath, follow-ups, "it" and undo: the pure parts (joints,
memory with time as a parameter, the conversation reader over the demo home)."""

from __future__ import annotations

import pytest

from agent.messages import Intent
from agent.session import Session
from agent.understanding.compound import join, pieces
from agent.understanding.conversation import Memory, Turn
from agent.understanding.undo import undo


@pytest.fixture()
def session(demo_config, demo_engine):
    return Session(demo_config, demo_engine)


def said(session, text, now, area=None, site=None):
    reading, plans = session.say(text, area=area, site=site, now=now)
    return [(c.name, c.targets, c.slots) for c in reading.commands], reading, plans


# ---------------------------------------------------------------------- joints
def test_pieces_split_at_joints_and_commas_and_join_back():
    parts, joints = pieces("Turn off the TV, then the lights and after that lock the door")
    assert parts == [("turn", "off", "tv"), ("lights",), ("lock", "door")]
    assert joints == [(), ("and", "after", "that")]   # a comma joins with no words
    assert join(parts, joints, 1, 3) == ("lights", "and", "after", "that", "lock", "door")
    assert pieces("turn on the lamp") == ([("turn", "on", "lamp")], [])
    assert pieces("and, then") == ([], [])


# ---------------------------------------------------------------------- memory
def test_memory_is_per_site_and_forgets_after_the_window():
    memory = Memory(window=30)
    turn = Turn((Intent("x", "turn_on", ("light.kitchen",)),), at=100.0)
    memory.remember("kitchen", turn)
    assert memory.last("kitchen", 129.9) is turn
    assert memory.last("bedroom", 110.0) is None          # another satellite's conversation
    assert memory.last("kitchen", 99.0) is None            # said before the turn: no
    assert memory.last("kitchen", 130.1) is None           # after the window: gone for good
    assert memory.last("kitchen", 110.0) is None
    memory.remember("kitchen", turn)
    memory.remember("kitchen", Turn((), at=120.0))         # nothing done: the conversation ends
    assert memory.last("kitchen", 121.0) is None
    assert Memory(window=0).last("kitchen", 100.0) is None
    reloaded = Memory(window=30)
    memory.remember("kitchen", turn)
    memory.remember("hall", Turn((Intent("x", "turn_on", ("light.gone",)),), at=100.0))
    reloaded.keep(memory, {"light.kitchen"})   # a config reload: the lamp that is gone is forgotten
    assert reloaded.last("kitchen", 101.0) is turn and reloaded.last("hall", 101.0) is None
    with pytest.raises(ValueError):
        Memory(window=-1)


# ---------------------------------------------------------------------- compounds
def test_two_commands_in_one_breath_each_resolved_in_order(session):
    got, reading, plans = said(session, "turn off the tv and dim the lights", 1)
    assert got == [("turn_off", ("media.tv",), {}),
                   ("brightness_down", ("light.kitchen", "light.counter"), {})]
    assert [len(p.actions) for p in plans] == [1, 2] and not reading.unknown


def test_words_said_once_apply_to_every_part(session):
    assert said(session, "turn off the tv and the lights", 1)[0][1] == (
        "turn_off", ("light.kitchen", "light.counter"), {})
    assert said(session, "set the kitchen light and the hallway light to 30 percent", 2)[0] == [
        ("set_brightness", ("light.kitchen",), {"brightness": 30}),
        ("set_brightness", ("light.hallway",), {"brightness": 30})]
    assert said(session, "lights off in the kitchen and the hallway", 3)[0] == [
        ("turn_off", ("light.kitchen", "light.counter"), {}), ("turn_off", ("light.hallway",), {})]
    assert said(session, "open the garage, then turn on the kettle", 4)[0] == [
        ("turn_on", ("switch.kettle",), {})]


def test_a_part_not_understood_is_reported_not_dropped(session):
    got, reading, _ = said(session, "close the blinds and turn off the big light", 1)
    assert got == [("close", ("cover.living_room",), {})]
    assert [w for w, _ in reading.unknown] == ["turn off big light"]
    got, reading, _ = said(session, "turn on the salt and the pepper", 2)
    assert got == [] and reading.reason


def test_a_name_among_words_not_understood_is_no_follow_up(session):
    """A mishearing that happens to hold device names does not repeat the last command on
    them ("set the thermostat to 19 degrees" heard as "flat, thermostat, toy, tv ...")."""
    said(session, "set the heating to 21 degrees", 1)
    got, reading, _ = said(session, "flat, thermostat, toy, tv, bed, rooms", 3)
    assert got == [] and reading.reason
    assert ("thermostat", "said among words not understood") in reading.unknown
    # a follow-up said plainly still is one, and so is a name after a command in the same breath
    assert said(session, "and the kitchen too", 4)[0] == []  # the heating has no kitchen twin: nothing
    said(session, "turn on the reading lamp", 5)
    assert said(session, "the bedroom lamp as well", 6)[0] == [("turn_on", ("light.bedroom",), {})]
    got, reading, _ = said(session, "turn off the tv, the kettle, flibber", 7)
    assert [c[0] for c in got] == ["turn_off", "turn_off"] and [w for w, _ in reading.unknown] == ["flibber"]


def test_it_within_one_utterance_means_the_part_before(session):
    assert said(session, "turn on the reading lamp and make it blue", 1)[0] == [
        ("turn_on", ("light.reading",), {}), ("set_color", ("light.reading",), {"color": "blue"})]


# ---------------------------------------------------------------------- follow-ups
def test_follow_ups_refer_to_the_last_command_of_the_same_site(session):
    assert said(session, "turn on the lights in the bedroom", 10)[0] == [("turn_on", ("light.bedroom",), {})]
    assert said(session, "and the kitchen too", 12)[0] == [("turn_on", ("light.kitchen", "light.counter"), {})]
    assert said(session, "brighter", 14)[0] == [("brightness_up", ("light.kitchen", "light.counter"), {})]
    assert said(session, "a bit more", 15)[0] == [("brightness_up", ("light.kitchen", "light.counter"), {})]
    assert said(session, "less", 16)[0] == [("brightness_down", ("light.kitchen", "light.counter"), {})]
    assert said(session, "make them blue", 17)[0] == [("set_color", ("light.kitchen", "light.counter"),
                                                        {"color": "blue"})]
    assert said(session, "the bedroom as well", 18)[0] == [("set_color", ("light.bedroom",), {"color": "blue"})]
    assert said(session, "turn it off", 19)[0] == [("turn_off", ("light.bedroom",), {})]
    # a named target is not replaced by the last one
    assert said(session, "turn on the lights", 20)[0] == [("turn_on", ("light.kitchen", "light.counter"), {})]


def test_a_follow_up_after_the_window_or_from_another_site_is_not_guessed(session):
    said(session, "turn on the hallway light", 100, area="kitchen")
    got, reading, _ = said(session, "turn it off", 131, area="kitchen")
    assert got == [] and reading.reason
    said(session, "turn on the hallway light", 200, area="kitchen")
    assert said(session, "turn it off", 201, area="bedroom")[0] == []
    assert said(session, "and the bedroom too", 202, area="bedroom")[0] == []
    assert said(session, "turn it off", 203, area="kitchen")[0] == [("turn_off", ("light.hallway",), {})]


def test_a_value_alone_corrects_the_value_of_the_last_command(session):
    said(session, "set the thermostat to 21", 1)
    assert said(session, "22", 2)[0] == [("set_temperature", ("climate.thermostat",), {"temperature": 22})]
    assert said(session, "no, I meant 19.5 degrees", 3)[0] == [
        ("set_temperature", ("climate.thermostat",), {"temperature": 19.5})]
    assert said(session, "make it 23 instead", 4)[0] == [("set_temperature", ("climate.thermostat",),
                                                          {"temperature": 23})]
    assert said(session, "50 percent", 5)[0] == []          # not a temperature: nothing done
    said(session, "make the kitchen light blue", 10)
    assert said(session, "no, red", 11)[0] == [("set_color", ("light.kitchen",), {"color": "red"})]
    _, _, (plan,) = said(session, "actually a different colour", 12)
    assert plan.intent.slots["color"] not in ("red", "another")  # chosen when planned
    assert said(session, "not green", 13)[0] == []           # "not" is no correction to green
    said(session, "set the tv volume to 20", 20)
    assert said(session, "no, 40 percent", 21)[0] == [("set_volume", ("media.tv",), {"volume": 40})]
    assert said(session, "make it 150", 22)[0] == []          # out of range: refused, not clamped
    # every device the last command set to that value, wherever the speaker is
    said(session, "make all the lights blue", 25, area="kitchen")
    every = said(session, "no, red", 26, area="kitchen")[0]
    assert len(every) == 1 and every[0][2] == {"color": "red"} and len(every[0][1]) == 6
    said(session, "make the kitchen light and the reading lamp blue", 27)
    assert said(session, "no, green", 28)[0] == [("set_color", ("light.kitchen", "light.reading"), {"color": "green"})]
    said(session, "turn on the kitchen light", 30)
    assert said(session, "22", 31)[0] == []                   # the last command set no number
    said(session, "set the thermostat to 21", 40)
    assert said(session, "22", 71)[0] == []                   # after the follow-up window: nothing


def test_the_other_one(session):
    said(session, "turn on the reading lamp", 1, area="living_room")
    assert said(session, "no, the other one", 2, area="living_room")[0] == [
        ("turn_on", ("light.living_room",), {})]


# ---------------------------------------------------------------------- undo
def test_undo_restores_the_state_known_before(session):
    said(session, "set the bedroom lamp to 30 percent", 1)
    said(session, "set it to 80 percent", 2)
    got, _, plans = said(session, "undo that", 3)
    assert got == [("set_brightness", ("light.bedroom",), {"brightness": 30})]
    first = said(session, "set the bedroom lamp to 30 percent", 4)[2]
    assert [a.payload for a in plans[0].actions] == [a.payload for a in first[0].actions]
    said(session, "close the blinds", 10)
    said(session, "open them halfway", 11)
    assert said(session, "put it back", 12)[0] == [("close", ("cover.living_room",), {})]


def test_undo_refuses_what_it_did_not_know(session):
    said(session, "turn on the bedroom fan", 1)
    got, reading, _ = said(session, "undo that", 2)
    assert got == [] and "Bedroom Fan" in reading.reason
    said(session, "next track", 3)
    assert "cannot be undone" in said(session, "undo", 4)[1].reason
    assert said(session, "undo", 100)[0] == []   # nothing in the last 30 s


def test_undo_groups_devices_that_go_back_the_same_way(demo_config):
    turn = Turn((Intent("t", "turn_off", ("light.kitchen", "light.counter")),), 0.0, {})
    from agent.understanding.conversation import Change
    turn = Turn(turn.commands, 0.0, {"light.kitchen": Change({"state": "on"}, ("state",)),
                                     "light.counter": Change({"state": "on"}, ("state",))})
    devices = {d.id: d for d in demo_config.devices}
    back, why = undo(turn, devices, "undo")
    assert why == "" and [(i.name, i.targets) for i in back] == [("turn_on", ("light.kitchen", "light.counter"))]


def test_vehicle_follow_ups(root):
    from agent.config import load_config
    from agent.understanding.template_engine import TemplateEngine
    config = load_config(root / "config" / "vehicle.yaml")
    s = Session(config, TemplateEngine(config))
    assert said(s, "open the driver window", 1)[0] == [("open", ("window.driver",), {})]
    assert said(s, "and the passenger side too", 2)[0] == [("open", ("window.passenger",), {})]
    assert said(s, "close it halfway", 3)[0] == [("set_position", ("window.passenger",), {"position": 50})]


def test_a_room_said_after_the_last_target_is_where_all_of_them_are(session):
    assert said(session, "turn on the lamp and the fan in the bedroom", 1)[0] == [
        ("turn_on", ("light.bedroom",), {}), ("turn_on", ("fan.bedroom",), {})]
    # a room after a clause with its own verb is that clause's only
    assert said(session, "open the curtains and turn on the lamp in the bedroom", 2)[0] == [
        ("open", ("cover.bedroom",), {}), ("turn_on", ("light.bedroom",), {})]
    assert said(session, "turn off the tv and the lamp in the bedroom", 3)[0] == [
        ("turn_off", ("media.tv",), {}), ("turn_off", ("light.bedroom",), {})]   # no tv there: the tv


class FakeModel:
    """The model as a black box: one Intent per text; remembers what it was asked."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def understand(self, text, *, area=None):
        self.asked.append(text)
        name, targets = self.answers.get(text, (None, ()))
        return Intent(text, name, targets, {}, "slm" if name else None, 0.9 if name else 0.0,
                      "" if name else "the model did not understand")


def test_a_part_the_templates_miss_goes_to_the_model_alone(demo_config, demo_engine):
    from agent.slm.router import Router
    model = FakeModel({"extinguish reading lamp": ("turn_off", ("light.reading",))})
    s = Session(demo_config, Router(demo_config, demo_engine, slm=model))
    got, reading, _ = said(s, "open the blinds and extinguish the reading lamp", 1)
    assert got == [("open", ("cover.living_room",), {}), ("turn_off", ("light.reading",), {})]
    assert [c.engine for c in reading.commands] == ["template", "slm"]
    assert model.asked == ["extinguish reading lamp"]
    got, reading, _ = said(s, "open the blinds and extinguish it", 2)
    assert got == [("open", ("cover.living_room",), {})] and model.asked == ["extinguish reading lamp"]
    assert said(s, "extinguish them", 40)[0] == [] and len(model.asked) == 1   # "them" is never guessed


def test_the_window_is_configured_and_checked(root):
    from agent.config import parse_config
    from agent.errors import ConfigError
    from agent.yamlsrc import load_yaml
    data = load_yaml(root / "config" / "demo.yaml")
    assert parse_config(data, root / "config" / "demo.yaml").understanding.followup_window == 30.0
    data["understanding"] = {"followup_window": 5}
    assert parse_config(data, root / "config" / "demo.yaml").understanding.followup_window == 5.0
    data["understanding"] = {"followup_window": -1}
    with pytest.raises(ConfigError, match="followup_window: -1.0 is out of range"):
        parse_config(data, root / "config" / "demo.yaml")
