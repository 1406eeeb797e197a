"""The trained model: corpus, training on the CPU, the GGUF adapter, the shipped adapter.

Real parts: real torch and peft train a tiny adapter for a few steps; real llama.cpp loads
it on top of the real SmolLM2-135M GGUF; the shipped adapter is loaded and answers.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import load_config
from agent.slm.grammar import NONE, OutputGrammar
from agent.training.corpus import HomeCorpus, Phrases, build, digest, own_home
from agent.training.homes import HomeMaker
from agent.understanding.template_engine import TemplateEngine

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p / "shared" / "datasets" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "datasets").is_dir()), ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="module")
def phrases() -> Phrases:
    return Phrases()


def test_corpus_is_reproducible_and_varied(phrases):
    a = list(build(5, 6, 30, phrases))
    b = list(build(5, 6, 30, phrases))
    assert digest(a) == digest(b)
    assert digest(a) != digest(list(build(6, 6, 30, phrases)))
    assert len({e.home for e in a}) == 6
    kinds = {e.kind.split("/")[0] for e in a}
    assert {"negatives", "turn_on", "turn_off"} <= kinds
    assert any(e.answer == (NONE,) for e in a)


def test_corpus_is_the_same_in_every_process():
    """The manifest's corpus hash reproduces: nothing depends on set order (hash seeds)."""
    code = "from agent.training.corpus import build, digest; print(digest(list(build(7, 12, 14))))"
    digests = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": seed}, timeout=120).stdout
               for seed in ("1", "2")}
    assert len(digests) == 1 and len(next(iter(digests))) == 65, digests


def test_every_answer_parses_in_its_homes_grammar(phrases):
    """The training answers are the daemon's grammar by construction: each one parses and
    resolves in the home it was made for."""
    rng = random.Random(11)
    maker = HomeMaker(rng)
    checked = 0
    for i in range(8):
        home = HomeCorpus(phrases, maker(i), rng)
        for ex in home.sample(40):
            reading = home.grammar.parse(ex.answer)  # raises on an answer the grammar forbids
            if reading.intent is not None:
                assert reading.device or reading.group, ex
            assert ex.text == " ".join(ex.text.split()) and ex.text, ex
            checked += 1
    assert checked > 250


def test_no_training_sentence_is_a_test_sentence(phrases):
    """The corpus is written by the project: none of its utterances is one of the
    evaluation sentences (SLURP, Home Assistant's tests, the project's own dev sets)."""
    from agent.normalize import tokens

    corpus = {e.text for e in build(1, 200, 14, phrases)}
    held: set[str] = set()
    for path in [SHARED / "slurp-iot-dev" / "devel_iot.jsonl", ROOT / "benchmarks" / "slm_dev.jsonl",
                 ROOT / "benchmarks" / "slm_dev2.jsonl", SHARED / "ha-intents-en" / "tests_en.jsonl"]:
        for line in open(path, encoding="utf-8"):
            held.add(" ".join(tokens(json.loads(line)["text"])))
    overlap = corpus & held
    # short commands ("lights off", "set timer for 10 minutes" after normalising) are bound to
    # coincide with any set of home commands; a longer one would mean copying
    assert not {t for t in overlap if len(t.split()) > 5}, sorted(overlap)


def test_the_corpus_wording_is_not_a_name_but_other_names_stay_names():
    """'pop the telly on' is a way of asking the model learned; 'the cellar door' in a home
    with only a front door, or 'the pod bay doors', name things the home does not have."""
    from agent.slm.router import unknown_name
    from agent.training.words import command_words

    engine = TemplateEngine(load_config(ROOT / "config" / "demo.yaml"))
    known = engine.known | command_words()
    kinds = engine.registry.kind_index
    assert unknown_name(engine.words("pop the telly on"), known, kinds) == ""
    assert unknown_name(engine.words("knock the heating down"), known, kinds) == ""
    assert unknown_name(engine.words("lock the cellar door"), known, kinds) == "cellar door"
    assert unknown_name(engine.words("open the pod bay doors"), known, kinds) == "pod bay doors"


def test_own_home_examples_use_its_names_and_custom_intents(phrases, tmp_path):
    cfg = tmp_path / "home.yaml"
    cfg.write_text(f"""
site: test
intents: [{ROOT / 'intents' / 'home.yaml'}, garden.yaml]
areas: [{{id: den, name: Den}}, {{id: loft, name: Loft}}]
devices:
  - {{id: light.glowworm, name: Glowworm, type: light, area: den, mqtt: {{topic: z/glow}}}}
  - {{id: light.beacon, name: Beacon, aliases: [the lighthouse], type: light, area: loft, mqtt: {{topic: z/b}}}}
""")
    (tmp_path / "garden.yaml").write_text("""
lists:
  zone: {values: [{in: "(front|front lawn)", out: front_lawn}, {in: "(back|back lawn)", out: back_lawn}]}
intents:
  water_zone:
    targets: none
    data:
      - sentences: ["water [the] {zone}"]
    action: {topic: garden/water, payload: '{zone}'}
""")
    config = load_config(cfg)
    ex = own_home(config, 120, 3, phrases)
    texts = " | ".join(e.text for e in ex)
    assert "glowworm" in texts and "beacon" in texts
    assert any(e.answer[0] == "water zone" for e in ex), "custom intents are taught too"


def test_shipped_adapter_has_a_manifest_that_matches_it():
    from agent.slm.models import ADAPTERS, SHIPPED
    from agent.training.train import sha256

    path = ADAPTERS / SHIPPED["smollm2-135m"]
    manifest = json.loads((ADAPTERS / "manifest.json").read_text())
    assert path.stat().st_size < 25_000_000
    assert manifest["adapter"] == path.name
    assert manifest["adapter_sha256"] == sha256(path)
    from agent.slm.models import find_gguf
    assert manifest["base_sha256"] == sha256(find_gguf("smollm2-135m"))
    assert manifest["command"].startswith("voice-agent train")
    assert 0 < manifest["validation"]["exact"] <= 1


@pytest.mark.slow
def test_train_a_tiny_adapter_end_to_end_and_llama_cpp_loads_it(tmp_path):
    """`voice-agent train` for a few steps with real torch, then llama.cpp loads the GGUF
    adapter on the real model, and it changes the model's answer scores."""
    out = tmp_path / "adapter"
    run = subprocess.run([sys.executable, "-m", "agent", "train", "--homes", "4", "--per-home", "12",
                          "--val-homes", "1", "--steps", "3", "--batch", "4", "--eval-every", "3",
                          "--threads", "1", "-o", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "step 3/3" in run.stdout and "ETA" in run.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    adapter = out / manifest["adapter"]
    assert manifest["steps"] == 3 and adapter.stat().st_size > 100_000

    from agent.slm.backend import LlamaBackend
    from agent.slm.models import find_gguf
    from agent.slm.prompt import trained_prefix, utterance_tokens

    def logits(lora):
        b = LlamaBackend(find_gguf("smollm2-135m"), threads=1, n_ctx=256, lora=lora)
        b.set_prefix(trained_prefix(b), reserve=64)
        out = b.eval(utterance_tokens(b, "turn off kitchen light")).copy()
        b.close()
        return out

    bare, tuned = logits(None), logits(adapter)
    assert abs(bare - tuned).max() > 1e-3, "the adapter must change what the model computes"


def test_train_resumes_after_an_interruption(tmp_path):
    """A checkpoint from an interrupted run is picked up by the same command."""
    import torch

    from agent.slm.models import find_gguf
    from agent.training.train import TrainSettings, train

    ex = list(build(2, 2, 10))
    s = TrainSettings(out=tmp_path, base=find_gguf("smollm2-135m"), batch=4, max_steps=4, eval_every=2,
                      threads=1)  # one thread: two wait on each other when the machine is busy
    lines: list[str] = []
    state = {"calls": 0}

    def log(line: str) -> None:
        lines.append(line)
        if line.startswith("validation at step 2"):
            import os
            import signal
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would, after the first checkpoint

    assert train(s, ex[:16], ex[16:20], log=log) == {}
    assert (tmp_path / "checkpoint.pt").exists()
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=False)["step"] >= 2
    lines.clear()
    manifest = train(s, ex[:16], ex[16:20], log=lines.append)
    assert any(line.startswith("resuming at step") for line in lines)
    assert manifest["steps"] == 4 and not (tmp_path / "checkpoint.pt").exists()


def test_a_name_is_said_next_to_its_kind_word():
    """'back' names a door in other homes ('lock the back door'), but in 'pull back the
    drapes' it is how the drapes move; a word apart from the kind word is not its name."""
    from agent.normalize import tokens
    from agent.slm.router import unknown_name

    engine = TemplateEngine(load_config(ROOT / "config" / "demo.yaml"))
    kinds = engine.registry.kind_index
    elsewhere = frozenset({"back"})

    def name(text):
        return unknown_name(engine.words(text), engine.known, kinds, elsewhere,
                            said=tokens(text, keep_fillers=True))

    assert name("lock the back door") == "back door"
    assert name("open the pod bay doors") == "pod bay doors"
    assert name("pull back the drapes") == ""
    assert name("go back a song on the speaker") == ""
    assert name("nudge the heating up") == ""
