"""What the agent says: reply templates from the intent files, rendered for real plans of
the demo home (templates understander, action planner, a state store fed real payloads)."""

from __future__ import annotations

import json

import pytest

from agent.acting.planner import ActionPlanner
from agent.acting.state import StateStore
from agent.errors import ConfigError
from agent.understanding.intents import load_intents
from agent.voice.replies import Replier, ReplyBook


@pytest.fixture()
def home(demo_config, demo_engine):
    state = StateStore(demo_config)
    planner = ActionPlanner(demo_config, state, demo_engine.intents)
    replier = Replier(demo_config, demo_engine.intents)

    def reply(text: str, area: str | None = None):
        intent = demo_engine.understand(text, area=area)
        return replier.for_plan(planner.plan_full(intent), area=area)

    def feed(topic: str, payload) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        assert state.feed(topic, data.encode(), 0.0), topic

    return reply, feed, replier


def test_a_plain_action_in_the_speakers_room_is_a_sound_elsewhere_words(home):
    reply, _, _ = home
    here = reply("turn on the kitchen light")  # the demo hub stands in the kitchen
    assert here.text is None and here.sound and here.kind == "ack"
    there = reply("turn on the bedroom lamp")
    assert there.text == "Turning on the bedroom lamp." and not there.sound
    assert reply("turn off the kitchen light", area="bedroom").text == "Turning off the kitchen light."
    assert reply("set the bedroom lamp to 30 percent").text == "Setting the bedroom lamp to 30 percent."


def test_acknowledge_speech_and_none(demo_config, demo_engine):
    planner = ActionPlanner(demo_config, None, demo_engine.intents)
    plan = planner.plan_full(demo_engine.understand("turn on the kitchen light"))
    spoken = Replier(demo_config, demo_engine.intents, acknowledge="speech").for_plan(plan)
    assert spoken.text == "Turning on the kitchen light."
    quiet = Replier(demo_config, demo_engine.intents, acknowledge="none").for_plan(plan)
    assert quiet.silent


def test_confirmation_question_and_what_follows(home):
    reply, _, replier = home
    ask = reply("unlock the front door")
    assert ask.text == "Should I unlock the front door?" and ask.kind == "confirm"
    assert replier.confirm_result("confirmed", "unlock", ["lock.front_door"], "unlock the front door").text \
        == "Okay, I'm unlocking the front door."
    assert replier.confirm_result("cancelled", "unlock", ["lock.front_door"], "x").text \
        == "Okay, the front door stays locked."
    assert "stays locked" in replier.confirm_result("timeout", "unlock", ["lock.front_door"], "x").text
    assert replier.confirm_result("superseded", "unlock", ["lock.front_door"], "x").silent


def test_answers_from_known_state(home):
    reply, feed, _ = home
    assert reply("is the front door locked").text == "I don't know yet whether the front door is locked."
    feed("zigbee2mqtt/Front Door", {"state": "LOCK"})
    assert reply("is the front door locked").text == "Yes, the front door is locked."
    assert reply("is the front door unlocked").text == "No, the front door is locked."
    feed("zigbee2mqtt/Living Room Lights", {"state": "ON", "brightness": 255})
    feed("home/reading_lamp/state", {"state": "ON", "brightness": 128})
    text = reply("which lights are on in the living room").text
    assert text == "Two lights are on in the living room: the living room lights and the reading lamp."
    feed("zigbee2mqtt/Living Room Lights", {"state": "OFF"})
    feed("home/reading_lamp/state", {"state": "OFF"})
    assert reply("are any lights on in the living room").text == "No lights are on in the living room."
    feed("zigbee2mqtt/Bedroom Lamp", {"state": "ON", "brightness": 102})
    assert reply("what is the bedroom lamp doing").text == "The bedroom lamp is on at 40 percent."
    # a "yes" says what the device is doing, not only the word asked about
    assert reply("is the bedroom lamp on").text == "Yes, the bedroom lamp is on at 40 percent."
    feed("home/thermostat/state", "heat")
    feed("home/thermostat/temperature", "21.5")
    assert reply("is the heating on").text == "Yes, the thermostat is on, set to 21.5 degrees."


def test_a_reading_with_its_unit(home, demo_config):
    reply, feed, _ = home
    sensor = next(d for d in demo_config.devices if d.id == "sensor.living_temp")
    from agent.payloads import style_of
    topic = style_of(sensor).state_topics(sensor)[0]
    assert "don't know" in reply("what is the living room temperature reading").text
    feed(topic, "21.5")
    assert "21.5 degrees" in reply("what is the living room temperature reading").text


def test_failures_are_said(home, demo_config, demo_engine):
    reply, _, replier = home
    refused = reply("set the thermostat to 45 degrees")
    assert refused.text == "The thermostat only goes from 10 degrees to 30 degrees, so I didn't set 45 degrees."
    nu = reply("order me a taxi")
    assert nu.kind == "not_understood" and nu.text
    # varied: different words get different variants, the same words the same one
    texts = {reply(t).text for t in ("order me a taxi", "sing a song", "what is love", "fly me to the moon",
                                     "paint the fence", "call my mother")}
    assert len(texts) >= 2 and reply("order me a taxi").text == nu.text
    assert replier.failure("action-stale", ["light.kitchen", "light.counter"]).text == \
        "I couldn't reach the kitchen light and the counter lights; the command was dropped."
    assert "not sure" in replier.failure("action-unconfirmed", ["light.kitchen"]).text
    assert replier.failure("something-else", ["light.kitchen"]).silent
    assert replier.not_understood("yes", "nothing is waiting").kind == "nothing_to_confirm"
    assert reply("cancel").kind == "cancelled"


def test_every_builtin_action_intent_has_its_own_words(demo_engine):
    from agent.devices import BUILTIN_INTENTS
    book = ReplyBook(demo_engine.intents)
    missing = [n for n in BUILTIN_INTENTS if n not in ("get_state", "cancel") and (n, "done") not in book.entries]
    assert missing == []
    for key in ("state", "value", "yes", "no", "some", "none", "unknown", "unknown_state"):
        assert ("get_state", key) in book.entries
    for key in ("not_understood", "refused", "unsupported", "unavailable", "unconfirmed", "rate_limited",
                "confirm", "confirm_timeout"):
        assert (None, key) in book.entries


def test_users_override_replies_per_intent_and_mistakes_are_named(tmp_path, demo_config, root):
    mine = tmp_path / "mine.yaml"
    mine.write_text('language: en\nreplies:\n  not_understood: "Pardon?"\n'
                    'intents:\n  turn_on:\n    replies:\n      done: "Lighting up {targets}!"\n')
    intents = load_intents([root / "intents" / "home.yaml", mine])
    replier = Replier(demo_config, intents, acknowledge="speech")
    planner = ActionPlanner(demo_config, None, intents)
    from agent.understanding.template_engine import TemplateEngine
    engine = TemplateEngine(demo_config, intents)
    assert replier.for_plan(planner.plan_full(engine.understand("turn on the kitchen light"))).text \
        == "Lighting up the kitchen light!"
    assert replier.not_understood("blah").text == "Pardon?"
    bad = tmp_path / "bad.yaml"
    bad.write_text('language: en\nreplies:\n  not_understod: "x"\n  done: "Done {tragets}."\n  yes: "y"\n')
    with pytest.raises(ConfigError) as err:
        ReplyBook(load_intents([bad]))
    text = str(err.value)
    assert "bad.yaml:3: replies.not_understod: unknown reply (did you mean 'not_understood'?)" in text
    assert "bad.yaml:4: replies.done: unknown placeholder {tragets} (did you mean 'targets'?)" in text
    assert "quote the key" in text or 'write "yes"' in text


def test_a_file_in_the_configs_language_wins(tmp_path, demo_config, root):
    other = tmp_path / "de.yaml"
    other.write_text('language: de\nreplies:\n  not_understood: "Wie bitte?"\n')
    intents = load_intents([root / "intents" / "home.yaml", other])
    assert Replier(demo_config, intents).not_understood("x").text != "Wie bitte?"
    import dataclasses
    german = dataclasses.replace(demo_config, language="de")
    assert Replier(german, intents).not_understood("x").text == "Wie bitte?"
