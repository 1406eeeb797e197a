"""The Silero VAD and the small language model in one process, as the daemon runs them with
``understanding.slm`` on: the real model (SmolLM2-135M with the shipped adapter, which
install.sh installs) and the real detector, each loaded before the other in turn, both
asked something afterwards. (Until the VAD moved to onnxruntime, both bundled a ggml
under the same library name and whichever loaded second failed.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import wave
from pathlib import Path

from agent.audio.settings import read_audio
from agent.audio.vad import Endpointer, NeuralVad, SpeechEnd, SpeechStart
from agent.config import load_config
from agent.slm.router import Router
from tests.support.speech import BARISTA, ROOT, pcm, say

SLURP_HOME = ROOT / "benchmarks" / "slurp_home.yaml"
COMMAND = "my eyes hurt, tone down the office light"  # no template reads it; the model does


def home_with_silero(folder: Path) -> Path:
    """benchmarks/slurp_home.yaml (the model on) with a microphone and Silero asked for."""
    text = SLURP_HOME.read_text().replace("- ../intents/home.yaml", f"- {ROOT / 'intents' / 'home.yaml'}")
    # what is tested is that both load and answer, not how fast on a loaded machine
    text = text.replace("slm: {enabled: true}", "slm: {enabled: true, timeout_ms: 120000}")
    path = folder / "home.yaml"
    path.write_text(text + textwrap.dedent("""
        audio:
          input: mic
          vad: {model: silero}
        """))
    return path


def hear(ep: Endpointer, audio: bytes) -> tuple[int, list[SpeechEnd]]:
    events = []
    for i in range(0, len(audio), 640):
        events += ep.feed((i + 640) / 32000, audio[i:i + 640])
    return sum(isinstance(e, SpeechStart) for e in events), [e for e in events if isinstance(e, SpeechEnd)]


def understand_and_listen(folder: Path, silero_first: bool) -> None:
    """Load the two in the order asked, then run each; raise if anything is off."""
    config = load_config(home_with_silero(folder))
    assert config.understanding.slm.enabled and config.understanding.slm.timeout_ms == 120000
    vad = read_audio(config).vad  # with the model on, silero is accepted as asked
    assert vad.model == "silero"
    voice = b"\0\0" * 16000 + pcm(say(COMMAND, folder / "command.wav")) + b"\0\0" * 24000
    with wave.open(str(BARISTA / "kitchen_noise.wav")) as w:
        kitchen = w.readframes(16000 * 20)
    router = Router(config)
    if silero_first:
        ep = Endpointer(vad)
        router.warm_up()
    else:  # as the daemon does: the model first (READY means loaded), then the microphone
        router.warm_up()
        ep = Endpointer(vad)
    assert isinstance(ep.vad, NeuralVad)
    for _ in range(2):  # the network keeps working with the model loaded and used
        starts, ends = hear(ep, voice)
        assert starts == 1 and [e.reason for e in ends] == ["silence"], (starts, ends)
        assert ep.vad.windows > 0
        got = router.understand(COMMAND)
        assert (got.engine, got.name, got.targets) == ("slm", "brightness_down", ("light.office",)), got
    assert hear(ep, kitchen)[0] == 0  # and still tells a voice from a kitchen
    router.close()


def test_silero_runs_beside_the_language_model_in_the_daemons_order(tmp_path):
    understand_and_listen(tmp_path, silero_first=False)


def test_silero_loaded_before_the_language_model_lets_it_load(tmp_path):
    """The other order, in a fresh process (this one may have loaded llama.cpp already)."""
    code = ("import sys\nfrom pathlib import Path\n"
            "from tests.test_vad_with_slm import understand_and_listen\n"
            "understand_and_listen(Path(sys.argv[1]), silero_first=True)\n"
            "print('llama_cpp' in sys.modules, 'onnxruntime' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=280)
    assert done.returncode == 0 and done.stdout.split() == ["True", "True"], done.stdout + done.stderr[-3000:]
