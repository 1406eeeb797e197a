"""``voice-agent demo``: the whole loop on built-in defaults, for a first look.

Uses ``config/demo.yaml`` unless told otherwise; connects to the broker the config names
or, when none answers, starts a private Mosquitto on a free loopback port; listens to the
microphone when there is one and otherwise plays the bundled recording; runs the real
daemon (``voice-agent run``) and prints what it heard, understood and delivered.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import DEFAULT_CONFIG, add_config_arg, config_from

RECORDING = Path(__file__).resolve().parents[2] / "tests" / "data" / "demo_commands.wav"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the agent on the demo home (local broker, bundled recording "
                                    "when there is no microphone)")
    add_config_arg(p)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--mic", nargs="?", const="", metavar="DEVICE", help="listen to a microphone")
    src.add_argument("--audio", type=Path, metavar="FILE", help="hear this recording instead")
    src.add_argument("--text", action="store_true", help="type commands instead of speaking")
    p.set_defaults(func=run)


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalBroker:
    """A private Mosquitto on 127.0.0.1, for as long as the demo runs."""

    def __init__(self) -> None:
        binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
        if binary is None:
            raise SystemExit("voice-agent demo: no broker answers and Mosquitto is not installed; "
                             "run ./install.sh (it installs the 'mosquitto' package)")
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="voice-agent-demo-")
        conf = Path(self.dir.name) / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not reachable("127.0.0.1", self.port, 0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.stop()
                raise SystemExit(f"voice-agent demo: could not start Mosquitto: {err.strip()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.dir.cleanup()


def has_microphone() -> bool:
    try:
        import sounddevice
        return any(d.get("max_input_channels", 0) > 0 for d in sounddevice.query_devices())
    except Exception:  # no PortAudio, no devices: there is no microphone to use
        return False


def describe(event: dict) -> str | None:
    kind = event.get("kind")
    if kind == "heard":
        return f"heard      {event.get('text')!r}  (recognised in {event.get('asr_ms', 0):.0f} ms)"
    if kind == "intent":
        slots = event.get("slots") or {}
        extra = f" {slots}" if slots else ""
        return f"understood {event.get('intent')} -> {', '.join(event.get('targets') or []) or '-'}{extra}" \
               f"  [{event.get('engine')}]"
    if kind == "action":
        return f"  published {event.get('topic')}  {event.get('payload')}  ({event.get('latency_ms', 0):.1f} ms)"
    if kind == "not_understood":
        return f"not understood {event.get('text')!r}: {event.get('reason', '')}"
    if kind in ("error", "confirm", "dropped", "answer"):
        body = {k: v for k, v in event.items() if k not in ("kind", "id", "ts", "site")}
        return f"{kind:10} {json.dumps(body, ensure_ascii=False)}"
    return None


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    path = str(args.config or DEFAULT_CONFIG)
    broker = None
    host, port = config.mqtt.host, config.mqtt.port
    if not reachable(host, port):
        broker = LocalBroker()
        host, port = "127.0.0.1", broker.port
        print(f"no broker at {config.mqtt.host}:{config.mqtt.port}; started a private Mosquitto on "
              f"127.0.0.1:{port}", flush=True)
    else:
        print(f"using the broker at {host}:{port}", flush=True)

    cmd = [sys.executable, "-m", "agent", "run", "-c", path, "--mqtt", f"{host}:{port}"]
    if args.text:
        cmd += ["--text", "--no-audio"]
        print("type commands, one per line (Ctrl-D to finish)", flush=True)
    elif args.audio is not None:
        cmd += ["--audio", str(args.audio)]
    elif args.mic is not None or has_microphone():
        cmd += ["--mic"] + ([args.mic] if args.mic else [])
        print("listening to the microphone (Ctrl-C to stop)", flush=True)
    else:
        cmd += ["--audio", str(RECORDING)]
        print(f"no microphone found: playing the bundled recording {RECORDING.name}", flush=True)

    proc = subprocess.Popen(cmd, stdin=None if args.text else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                print(line, end="")
                continue
            text = describe(event)
            if text:
                print(text, flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
    finally:
        if broker is not None:
            broker.stop()
