"""Recogniser bias and post-processing, one stage at a time: the domain grammar and
prompt, the corrector, the asr: section, models (download over a real local HTTP
server, sha256 checks) and the Rhino importer."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

from agent.asr import domain
from agent.asr.correct import Corrector, word_cost
from agent.asr.settings import read_asr
from agent.config import load_config, parse_config
from agent.errors import ConfigError, ModelMissing
from agent.models import KNOWN, KnownModel, download, resolve, verify
from agent.understanding.rhino import import_context
from agent.understanding.template_engine import TemplateEngine
from agent.yamlsrc import load_yaml

ROOT = Path(__file__).resolve().parents[1]
BARISTA_CONFIG = ROOT / "benchmarks" / "barista_config.yaml"


@pytest.fixture(scope="module")
def barista():
    return TemplateEngine(load_config(BARISTA_CONFIG))


@pytest.fixture(scope="module")
def home(demo_engine):
    return demo_engine


# ------------------------------------------------------------------ domain bias

def test_spoken_forms_undo_number_normalisation():
    assert domain.spoken("12") == "twelve"
    assert domain.spoken("21.5") == "twenty one point five"
    assert domain.spoken("100") == "one hundred"
    assert domain.spoken("ounce") == "ounce"


def test_grammar_holds_the_domain_words_as_spoken(barista, home):
    phrases = domain.grammar_phrases(barista.intents, barista.registry)
    words = domain.vocabulary(phrases)
    assert {"twelve", "ounce", "americano", "almond", "brew", "with"} <= words
    assert "12" not in words  # recognisers hear words, not digits
    assert "kitchen" not in words
    home_words = domain.vocabulary(domain.grammar_phrases(home.intents, home.registry))
    assert {"kitchen", "light", "bedroom", "lamp", "fifty", "percent", "the"} <= home_words
    assert "americano" not in home_words


def test_whisper_prompt_names_the_menu_once_each(barista):
    prompt = domain.prompt(barista.intents, barista.registry)
    for word in ("americano", "cappuccino", "twelve ounce", "light roast", "almond milk", "sweetener"):
        assert word in prompt
    assert prompt.count("almond") == 1 and len(prompt) <= 600


# ------------------------------------------------------------------ corrector

def test_word_cost_is_sound_aware_and_strict_for_short_words_and_numbers():
    assert word_cost("lite", "light") == 0.0
    assert word_cost("of", "off") < 0.2
    assert word_cost("it", "light") == 1.0
    assert word_cost("12", "20") == 1.0
    assert 0 < word_cost("rose", "roast") < 0.4


@pytest.mark.parametrize("heard, want", [
    ("can I get a light rose ice mocha", "can i get light roast iced mocha"),
    ("give me a small double shot maricano", "give me small double shot americano"),
    ("make me a latte with some whole melk", "make me latte with some whole milk"),
])
def test_corrector_snaps_near_misses_to_the_menu(barista, heard, want):
    c = Corrector(barista.intents, barista.registry).correct(heard)
    assert c.snapped and c.text == want and c.intent == "orderDrink"
    assert barista.understand(c.text).understood


@pytest.mark.parametrize("heard", ["what time is it", "play some jazz", "turn on the walrus", "a small"])
def test_corrector_leaves_out_of_domain_speech_alone(barista, home, heard):
    for engine in (barista, home):
        c = Corrector(engine.intents, engine.registry).correct(heard)
        assert not c.snapped and c.text == c.heard


def test_corrector_never_invents_a_slot_value(home):
    # "to" with no number: set_brightness would need one; snapping must not make one up
    c = Corrector(home.intents, home.registry).correct("set the kitchen light to")
    assert not c.snapped or not any(t.isdigit() for t in c.text.split())


def test_corrector_rejoins_split_and_joined_words(home):
    k = Corrector(home.intents, home.registry)
    assert k.correct("switch off the bed room lamp").text == "switch off bedroom lamp"
    assert k.correct("set the livingroom lights to fifty").text == "set living room lights to 50"


# ------------------------------------------------------------------ config and models

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text("site: t\n" + text + f"intents: [{ROOT / 'intents' / 'home.yaml'}]\n")  # a config needs intents
    return path


def test_asr_section_problems_name_file_line_and_key(tmp_path):
    path = write(tmp_path, "asr:\n  engine: whisper\n  mode: limited\n  beam: 2\n")
    with pytest.raises(ConfigError) as exc:
        read_asr(parse_config(load_yaml(path), path))
    text = str(exc.value)
    assert f"{path}:4: asr.mode: 'limited' needs a grammar, which only Vosk takes" in text
    assert f"{path}:5: asr.beam: unknown key (did you mean 'beam_size'?)" in text


def test_defaults_per_engine(tmp_path):
    vosk = read_asr(parse_config(load_yaml(write(tmp_path, "")), tmp_path / "c.yaml"))
    assert (vosk.engine, vosk.mode, vosk.model_name) == ("vosk", "limited", "vosk-small-en-us")
    path = write(tmp_path, "asr: {engine: whisper}\n")
    whisper = read_asr(parse_config(load_yaml(path), path))
    assert (whisper.mode, whisper.model_name) == ("corrected", "whisper-tiny.en")


def test_missing_models_say_which_command_fetches_them(tmp_path):
    with pytest.raises(ModelMissing, match=r"voice-agent models download vosk-small-en-us") as exc:
        resolve("vosk-small-en-us", "vosk", tmp_path)
    assert exc.value.code == "asr-model-missing"
    with pytest.raises(ModelMissing, match=r"unknown vosk model 'vosk-smal-en-us' \(did you mean 'vosk-small-en-us'\?\)"):
        resolve("vosk-smal-en-us", "vosk", tmp_path)
    with pytest.raises(ModelMissing, match="is a whisper model"):
        resolve("whisper-tiny.en", "vosk", tmp_path)
    with pytest.raises(ModelMissing, match="does not exist"):
        resolve("./no/such/model", "vosk", tmp_path)


def test_package_models_resolve_and_verify_against_the_wheel_record(tmp_path):
    for name in ("whisper-tiny.en", "vosk-ko"):
        path = resolve(name, KNOWN[name].engine, tmp_path)
        assert path.is_dir()
        ok, why = verify(KNOWN[name], tmp_path)
        assert ok, why
        assert "RECORD" in why


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def model_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("tiny-model/conf/model.conf", "--beam=10\n")
        z.writestr("tiny-model/am/final.mdl", b"\0" * 1000)
    return buf.getvalue()


def test_download_checks_sha256_unpacks_and_verify_catches_tampering(web, tmp_path):
    data = model_zip()
    _Files.files = {"/m.zip": data}
    good = KnownModel("tiny", "vosk", "en", "test", 1, url=web + "/m.zip", root="tiny-model",
                      sha256=hashlib.sha256(data).hexdigest())
    seen = []
    path = download(good, tmp_path, progress=lambda label, total: seen.append)
    assert (path / "conf" / "model.conf").read_text() == "--beam=10\n"
    assert verify(good, tmp_path)[0]
    (path / "am" / "final.mdl").write_bytes(b"\1" * 1000)
    ok, why = verify(good, tmp_path)
    assert not ok and "am/final.mdl" in why and "download --force tiny" in why

    bad = KnownModel("tiny2", "vosk", "en", "test", 1, url=web + "/m.zip", root="tiny-model", sha256="0" * 64)
    with pytest.raises(ModelMissing, match="sha256 of the download is .*not installed"):
        download(bad, tmp_path)
    assert not (tmp_path / "tiny2").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


# ------------------------------------------------------------------ Rhino importer

def test_rhino_syntax_maps_to_templates(tmp_path):
    ctx = tmp_path / "lights.yml"
    ctx.write_text(yaml.safe_dump({"context": {
        "expressions": {"changeColor": ["[turn, make] (all) the $location:room lights $color:color",
                                        "[turn, make] the lights $color:color (please)"]},
        "slots": {"location": ["kitchen", "living room"], "color": ["red", "blue"]}}}))
    doc = import_context(ctx)
    assert doc["rules"] == {"turn": "(turn|make)"}
    assert doc["intents"]["changeColor"]["data"][0]["sentences"] == [
        "<turn> [all] the {location:room} lights {color}", "<turn> the lights {color} [please]"]
    assert doc["intents"]["changeColor"]["targets"] == "none"
    assert doc["lists"]["location"] == {"values": ["kitchen", "living room"]}


def test_rhino_importer_reports_undefined_slot_types(tmp_path):
    ctx = tmp_path / "bad.yml"
    ctx.write_text("context:\n  expressions:\n    x:\n      - \"order $drink:drink\"\n")
    with pytest.raises(ConfigError, match=r"slot type \$drink is used but not defined"):
        import_context(ctx)


def test_barista_intents_are_the_imported_coffee_maker_context(barista):
    from tests.support.speech import BARISTA
    src = BARISTA / "coffee_maker.yaml"
    assert src.is_file(), f"{src} missing: the barista-dev data set is part of the test environment"
    assert yaml.safe_load((ROOT / "benchmarks" / "barista.yaml").read_text()) == import_context(src)
    intent = barista.understand("can I get a twelve ounce dark roast double shot latte with lots of soy milk")
    assert intent.name == "orderDrink"
    assert intent.slots == {"size": "twelve ounce", "roast": "dark roast", "numberOfShots": "double shot",
                            "coffeeDrink": "latte", "milkAmount": "lots of soy milk"}


def test_non_speech_transcripts_are_dropped():
    from agent.asr import Asr
    from agent.asr.settings import AsrSettings

    class Prompted:
        prompt = "kitchen light, reading lamp, bedroom fan, front door."

    asr = Asr(AsrSettings(), Prompted())
    assert asr.clean(".") == "" and asr.clean(" ... ") == ""  # Whisper's output for a clatter
    assert asr.clean("Reading lamp, bedroom fan.") == ""  # the prompt recited over noise
    assert asr.clean("turn on the reading lamp") == "turn on the reading lamp"
    assert asr.clean("front door") == "front door"  # short names are real answers
