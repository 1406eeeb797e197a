"""Silero VAD on onnxruntime (agent/audio/silero.py): the streamed windows are the network's
own reading of the recording, the model is found without loading faster-whisper, and `check`
refuses ``vad.model: silero`` on a machine that cannot run it, naming the fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import wave

import numpy as np
import pytest

from agent.audio.silero import CONTEXT, WINDOW, SileroVad, model_path
from tests.support.speech import ROOT

INTENTS = ROOT / "intents" / "home.yaml"


def recording_windows() -> np.ndarray:
    with wave.open(str(ROOT / "tests" / "data" / "demo_commands.wav")) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    n = len(x) // WINDOW
    return x[:n * WINDOW].reshape(n, WINDOW)


def test_one_window_at_a_time_reads_the_recording_as_the_whole_at_once():
    """Carrying the LSTM state and the 64 samples of context from call to call gives what the
    network computes over the whole recording in one run (the way faster-whisper feeds it)."""
    windows = recording_windows()
    vad = SileroVad()
    streamed = np.array([vad(w) for w in windows])
    previous = np.concatenate([np.zeros((1, CONTEXT), np.float32), windows[:-1, -CONTEXT:]])
    state = np.zeros((1, 1, 128), np.float32)
    whole, _, _ = vad.session.run(None, {"input": np.concatenate([previous, windows], axis=1),
                                          "h": state, "c": state})
    assert np.abs(streamed - whole.reshape(-1)).max() < 2e-3
    assert streamed.max() > 0.9 and streamed.min() < 0.1  # the commands and the quiet between them
    # without the context the network reads the same audio differently: the carry matters
    blind = SileroVad()
    alone = []
    for w in windows:
        blind.reset()
        alone.append(blind(w))
    assert np.abs(streamed - np.array(alone)).max() > 0.1


def test_reset_forgets_what_came_before():
    windows = recording_windows()
    vad = SileroVad()
    first = [vad(w) for w in windows[:60]]
    vad.reset()
    assert [vad(w) for w in windows[:60]] == first
    with pytest.raises(ValueError, match="512 samples"):
        vad(windows[0][:480])


def test_the_model_is_found_without_loading_faster_whisper():
    code = ("import sys\nfrom agent.audio.silero import SileroVad, model_path\n"
            "import numpy as np\n"
            "p = SileroVad()(np.zeros(512, np.float32))\n"
            "print(model_path().name, 0 <= p < 0.5, 'faster_whisper' in sys.modules, 'ctranslate2' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["silero_vad_v6.onnx", "True", "False", "False"], done.stderr
    assert model_path() is not None and model_path().parent.name == "assets"


def check_without(tmp_path, missing: str, vad: str) -> subprocess.CompletedProcess:
    """``voice-agent check`` in a process where the package ``missing`` is not installed."""
    config = tmp_path / "home.yaml"
    config.write_text(textwrap.dedent(f"""
        intents: [{INTENTS}]
        areas: [{{id: kitchen, name: Kitchen}}]
        devices: [{{id: light.k, name: Kitchen Light, type: light, area: kitchen}}]
        audio: {{input: mic{vad}}}
        asr: {{engine: whisper, model: whisper-tiny.en}}
        """).lstrip())
    code = (f"import runpy, sys\nsys.modules[{missing!r}] = None\n"  # None: "no such module" to importlib
            f"sys.argv = ['voice-agent', 'check', '-c', {str(config)!r}]\n"
            "runpy.run_module('agent', run_name='__main__')\n")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("missing,fix", [
    ("onnxruntime", "needs onnxruntime: pip install 'voice-agent[audio]'"),
    ("faster_whisper", "needs the model faster-whisper ships (faster_whisper/assets/silero_vad_v6.onnx): "
                       "pip install 'voice-agent[whisper]'"),
])
def test_check_refuses_silero_where_it_cannot_run(tmp_path, missing, fix):
    for vad in ("", ", vad: {model: silero}"):  # the default and the explicit choice alike
        r = check_without(tmp_path, missing, vad)
        assert r.returncode == 78, r.stdout + r.stderr
        assert "home.yaml" in r.stderr and "audio.vad.model" in r.stderr and fix in r.stderr, r.stderr
        assert "or set audio.vad.model: energy" in r.stderr
    r = check_without(tmp_path, missing, ", vad: {model: energy}")
    assert "audio.vad" not in r.stderr and "Silero" not in r.stderr, r.stderr
    if missing == "onnxruntime":  # needed by nothing else in this config
        assert r.returncode == 0, r.stdout + r.stderr
