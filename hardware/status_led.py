#!/usr/bin/env python3
"""Drive a status LED (and a chime) from voice-agent's state events over MQTT.

The agent publishes ``{"state": "idle" | "listening" | "processing"}`` on
``<prefix>/<site>/state`` and audio problems on ``<prefix>/<site>/error``. This script
subscribes and shows them:

* idle       LED off
* listening  LED on, and a short rising chime ("I am listening")
* processing LED blinking (4 Hz) until the command is handled
* error      three fast blinks (e.g. ``audio-device-lost``: the microphone went away)

LED back-ends (``--led``):

* ``led:NAME``  a kernel LED class device, ``/sys/class/leds/NAME/brightness`` (on a
  Raspberry Pi the green activity LED is ``led:ACT``; write access needs root or a udev rule)
* ``gpio:N``    a GPIO line through the legacy sysfs interface ``/sys/class/gpio`` (kernels
  that dropped it have no ``/sys/class/gpio/export``; use an LED class device instead)
* ``file:PATH`` any file that takes ``0``/``1`` (for trying this out without hardware)
* ``print``     no hardware: print what the LED would do (the default when nothing else works)

It never pretends: a back-end that cannot be opened is reported and ``print`` is used.

    python3 hardware/status_led.py --broker 127.0.0.1:1883 --site demo --led led:ACT --chime
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt


class PrintLed:
    name = "print"

    def set(self, on: bool) -> None:
        print(f"LED {'on' if on else 'off'}", flush=True)


class FileLed:
    """Writes 1/0 to a sysfs-style file (LED class brightness, GPIO value, or a plain file)."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.set(False)  # fails here, at start, when the file is not writable

    def set(self, on: bool) -> None:
        self.path.write_text("1" if on else "0")


def gpio_led(line: int) -> FileLed:
    base = Path("/sys/class/gpio")
    if not (base / "export").exists():
        raise OSError("/sys/class/gpio/export does not exist (no sysfs GPIO on this kernel)")
    pin = base / f"gpio{line}"
    if not pin.exists():
        (base / "export").write_text(str(line))
        for _ in range(50):  # udev sets permissions a moment after export
            if (pin / "direction").exists():
                break
            time.sleep(0.02)
    (pin / "direction").write_text("out")
    return FileLed(pin / "value", f"gpio:{line}")


def open_led(spec: str):
    kind, _, arg = spec.partition(":")
    try:
        if kind == "led":
            return FileLed(Path("/sys/class/leds") / arg / "brightness", spec)
        if kind == "gpio":
            return gpio_led(int(arg))
        if kind == "file":
            return FileLed(Path(arg), spec)
        if kind == "print":
            return PrintLed()
        raise ValueError(f"unknown LED back-end {spec!r}; use led:NAME, gpio:N, file:PATH or print")
    except (OSError, ValueError) as exc:
        print(f"status_led: cannot use {spec!r}: {exc}; printing instead", file=sys.stderr, flush=True)
        return PrintLed()


class Chime:
    """A short rising two-tone chime through the default audio output (sounddevice)."""

    def __init__(self) -> None:
        self.play = None
        try:
            import numpy as np
            import sounddevice as sd
            rate = 16000
            t = np.arange(int(rate * 0.12)) / rate
            fade = np.minimum(1, np.minimum(t, t[::-1]) / 0.01)
            tone = np.concatenate([np.sin(2 * np.pi * 660 * t), np.sin(2 * np.pi * 880 * t)]) * 0.3
            self.sound = (tone * np.concatenate([fade, fade])).astype("float32")
            sd.query_devices(kind="output")  # raises when there is no output device
            self.play = lambda: sd.play(self.sound, rate)
        except Exception as exc:  # noqa: BLE001 - no numpy/sounddevice/PortAudio/output device
            print(f"status_led: no chime ({exc}); printing instead", file=sys.stderr, flush=True)

    def ring(self) -> None:
        if self.play is None:
            print("chime", flush=True)
        else:
            self.play()


class Indicator:
    """What the LED does in each state; blinking runs in a small thread."""

    def __init__(self, led, chime: Chime | None) -> None:
        self.led, self.chime = led, chime
        self.state = "idle"
        self._blink: threading.Event | None = None
        self._lock = threading.Lock()
        """Held for every write to the LED: a blink that was stopped never writes after the
        state that stopped it (else the LED could stay lit after "idle")."""

    def _set(self, on: bool) -> None:
        with self._lock:
            self.led.set(on)

    def _stop_blink(self) -> None:
        if self._blink is not None:
            with self._lock:
                self._blink.set()
            self._blink = None

    def _start_blink(self, period: float, times: int | None = None, then: bool = False) -> None:
        self._stop_blink()
        stop = self._blink = threading.Event()

        def run() -> None:
            n, on = 0, True
            while times is None or n < 2 * times:
                with self._lock:
                    if stop.is_set():
                        return
                    self.led.set(on)
                on, n = not on, n + 1
                stop.wait(period / 2)
            with self._lock:
                if not stop.is_set():
                    self.led.set(then)
        threading.Thread(target=run, daemon=True).start()

    def show(self, state: str) -> None:
        self.state = state
        if state == "listening":
            self._stop_blink()
            self._set(True)
            if self.chime:
                self.chime.ring()
        elif state == "processing":
            self._start_blink(0.25)
        else:
            self._stop_blink()
            self._set(False)

    def error(self, code: str) -> None:
        print(f"error: {code}", flush=True)
        self._start_blink(0.1, times=3, then=self.state == "listening")


def main() -> int:
    ap = argparse.ArgumentParser(description="status LED / chime from voice-agent state events")
    ap.add_argument("--broker", default="127.0.0.1:1883", help="HOST:PORT of the MQTT broker")
    ap.add_argument("--prefix", default="voice-agent")
    ap.add_argument("--site", required=True, help="the agent's site (config 'site:')")
    ap.add_argument("--led", default="print", help="led:NAME, gpio:N, file:PATH or print")
    ap.add_argument("--chime", action="store_true", help="play a chime when the agent starts listening")
    ap.add_argument("--username")
    ap.add_argument("--password")
    args = ap.parse_args()

    host, _, port = args.broker.rpartition(":")
    indicator = Indicator(open_led(args.led), Chime() if args.chime else None)
    base = f"{args.prefix}/{args.site}" if args.prefix else args.site

    def on_connect(client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            print(f"status_led: broker refused: {reason}", file=sys.stderr, flush=True)
            return
        client.subscribe([(f"{base}/state", 0), (f"{base}/error", 0)])
        print(f"status_led: watching {base}/state", flush=True)

    def on_message(client, userdata, msg) -> None:
        try:
            doc = json.loads(msg.payload)
        except ValueError:
            return
        if msg.topic.endswith("/state") and doc.get("state") in ("idle", "listening", "processing"):
            indicator.show(doc["state"])
        elif msg.topic.endswith("/error") and str(doc.get("code", "")).startswith("audio"):
            indicator.error(doc["code"])

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"status-led-{args.site}")
    if args.username:
        client.username_pw_set(args.username, args.password)
    client.on_connect = on_connect
    client.on_message = on_message
    client.reconnect_delay_set(1, 30)
    client.connect_async(host or "127.0.0.1", int(port or 1883), 30)
    try:
        client.loop_forever(retry_first_connection=True)
    except KeyboardInterrupt:
        pass
    indicator.led.set(False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
