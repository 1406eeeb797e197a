"""Silero VAD v6 on onnxruntime, streamed one 32 ms window at a time.

The network (Silero VAD v6, MIT) is the ONNX file faster-whisper ships for its own VAD
filter (``faster_whisper/assets/silero_vad_v6.onnx``); onnxruntime (MIT) runs it, as it
runs the Piper voices. Neither bundles a ggml, so the detector shares a process with
llama.cpp. The file is found without importing faster_whisper (that would load
ctranslate2 for nothing).

The graph takes ``input`` [N, 576]: each 512-sample window at 16 kHz preceded by the last
64 samples of the window before it, and the LSTM state ``h`` and ``c`` [1, 1, 128]; it
returns one speech probability per window and the new state. :class:`SileroVad` feeds it
one window per call and carries the state and the 64 samples of context between calls.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

WINDOW = 512
"""Samples per window: 32 ms at 16 kHz."""
CONTEXT = 64
"""Samples of the previous window the network sees before each window."""
STATE = (1, 1, 128)
MODEL_FILE = Path("assets") / "silero_vad_v6.onnx"
"""Where the model sits inside the faster_whisper package."""


def model_path() -> Path | None:
    """faster-whisper's copy of the Silero VAD v6 model, or None when it is not installed."""
    spec = importlib.util.find_spec("faster_whisper")  # a top-level name: nothing is imported
    folders = spec.submodule_search_locations if spec is not None else None
    for folder in folders or ():
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    return None


def unavailable() -> str | None:
    """Why the detector cannot run on this machine, naming the fix; None when it can."""
    if importlib.util.find_spec("onnxruntime") is None:
        return ("the Silero voice activity detector needs onnxruntime: pip install 'voice-agent[audio]' "
                "(or set audio.vad.model: energy)")
    if model_path() is None:
        return (f"the Silero voice activity detector needs the model faster-whisper ships "
                f"(faster_whisper/{MODEL_FILE.as_posix()}): pip install 'voice-agent[whisper]' "
                f"(or set audio.vad.model: energy)")
    return None


class SileroVad:
    """Speech probability of each successive 512-sample window (float samples in [-1, 1]).

    Windows must be fed in order, without gaps: the network remembers what came before.
    :meth:`reset` forgets it, for audio that does not follow on.
    """

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        path = path if path is not None else model_path()
        if path is None:
            raise FileNotFoundError(unavailable() or "silero_vad_v6.onnx not found")
        options = onnxruntime.SessionOptions()
        # one window is a few thousand multiply-adds per layer: threads would cost more than
        # they save, and the board's other core belongs to the recogniser
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self._input = np.zeros((1, CONTEXT + WINDOW), np.float32)
        self._h = np.zeros(STATE, np.float32)
        self._c = np.zeros(STATE, np.float32)

    def reset(self) -> None:
        self._input[:] = 0.0
        self._h = np.zeros(STATE, np.float32)
        self._c = np.zeros(STATE, np.float32)

    def __call__(self, window: np.ndarray) -> float:
        if window.shape != (WINDOW,):
            raise ValueError(f"a Silero VAD window is {WINDOW} samples, not {window.shape}")
        self._input[0, CONTEXT:] = window
        probability, self._h, self._c = self.session.run(None, {"input": self._input, "h": self._h, "c": self._c})
        self._input[0, :CONTEXT] = self._input[0, -CONTEXT:]  # this window's tail: the next one's context
        return float(probability.reshape(-1)[0])
