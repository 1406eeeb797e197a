"""Intent-aware endpointing's rule: is a transcript a finished command nothing could add to?

Decided from the templates of the demo home and of the barista benchmark, never from a
list of words."""

from __future__ import annotations

import pytest

from agent.config import load_config, parse_config
from agent.understanding.complete import Completion
from agent.understanding.template_engine import TemplateEngine
from agent.yamlsrc import load_yaml

from tests.support.speech import ROOT


@pytest.fixture(scope="module")
def home():
    return Completion(TemplateEngine(load_config(ROOT / "config" / "demo.yaml")))


@pytest.fixture(scope="module")
def cafe():
    return Completion(TemplateEngine(load_config(ROOT / "benchmarks" / "barista_config.yaml")))


@pytest.mark.parametrize("text", [
    "turn off the reading lamp",
    "switch on the kitchen light",          # "kitchen light" is a whole name; no longer one means more
    "switch off the coffee machine",
    "turn off the lights in the bedroom",   # the room is said: nothing left to narrow
    "set the lounge lights to 50 percent",
    "make the reading lamp blue",
    "stop the vacuum",
    "turn on the kettle",                   # "turn on the kettle to ... degrees" resolves to nothing
    # "... to 21" through a temperature sentence: the light has no temperature (resolve would
    # only read the number as a brightness), and no brightness sentence says "turn on X to"
    "turn on the kitchen light",
    "turn on the tv",                       # ... nor has the tv (its number is a volume)
    "set the heating to 21 degrees",        # "... celsius" is the thermostat's own unit: the same
    "toggle off the coffee maker",          # the state is said: nothing after it changes the command
    "toggle the reading lamp off",
])
def test_finished_commands_are_complete(home, text):
    verdict = home.check(text)
    assert verdict.complete, verdict.why
    assert verdict.intent is not None and verdict.intent.understood


@pytest.mark.parametrize("text, why", [
    ("turn on the lights", "area could follow"),            # ... "in the bedroom" means other lights
    ("turn on the kitchen", "device could go on"),          # ... "light": a longer name, another target
    ("set the lounge lights to 50", "brightness could go on"),  # "fifty" ... "five"
    ("dim the reading lamp", "set_brightness"),             # ... "to 20 percent" is another intent
    ("open the blinds", "set_position"),                    # ... "to half" / "to 40 percent"
    ("set the tv to 2", "could go on"),                     # ... "0": a volume, read as the tv's number
    ("turn on", "not understood"),
    ("toggle the kettle", "turn_on"),                       # ... "on": a toggle that says its state
])
def test_commands_the_grammar_could_continue_wait(home, text, why):
    verdict = home.check(text)
    assert not verdict.complete
    assert why in verdict.why


def test_an_approximate_understanding_never_ends_early(home):
    assert home.engine.understand("turn off the reeding lamp").understood  # fuzzy: a misheard name
    verdict = home.check("turn off the reeding lamp")
    assert not verdict.complete and verdict.why == "understood only approximately"


def test_an_order_waits_while_the_menu_allows_more(cafe):
    assert not cafe.check("can I get a large latte").complete            # "... with oat milk"
    assert not cafe.check("can I get a large latte with soy milk").complete  # "... and sugar"
    assert cafe.check("can I get a large latte with soy milk and some sugar").complete


def test_the_rule_follows_the_templates_not_words(tmp_path):
    """The same words are complete or not depending only on what the intent file allows."""
    def completion(sentences: list[str]) -> Completion:
        (tmp_path / "i.yaml").write_text(
            "intents:\n  water:\n    targets: none\n    data:\n      - sentences: "
            + repr(sentences).replace("'", '"') + "\n    action: {topic: garden/water, payload: go}\n")
        path = tmp_path / "c.yaml"
        path.write_text("site: s\nintents: [i.yaml]\n")
        return Completion(TemplateEngine(parse_config(load_yaml(path), path)))

    assert completion(["water the garden"]).check("water the garden").complete
    longer = completion(["water the garden", "water the garden for {duration}"])
    verdict = longer.check("water the garden")
    assert not verdict.complete and "duration could follow" in verdict.why
    assert longer.check("water the garden for 5 minutes").complete
    assert completion(["water the garden [now|please|right away]"]).check("water the garden").complete


def test_a_continuation_counts_only_where_its_sentence_applies_to_what_was_named(tmp_path):
    """"turn on the kitchen light" ... "to 50 percent" keeps the ear open only in a home whose
    templates say it that way; said of the kettle (no brightness) it changes nothing."""
    from tests.support.speech import demo_config
    extra = tmp_path / "dimming.yaml"
    extra.write_text('intents:\n  set_brightness:\n    data:\n      - sentences: ["<turn> on <target> to <pct>"]\n')
    path = demo_config(tmp_path / "demo.yaml")
    path.write_text(path.read_text().replace("intents:\n", f"intents:\n- {extra}\n", 1))
    dimming = Completion(TemplateEngine(load_config(path)))
    assert dimming.engine.understand("turn on the kitchen light to 50 percent").name == "set_brightness"
    verdict = dimming.check("turn on the kitchen light")
    assert not verdict.complete and "could follow (set_brightness)" in verdict.why
    assert dimming.check("turn on the kettle").complete
    assert dimming.check("turn on the kitchen light to 50 percent").complete
