"""Audio stages one at a time: resampler, VAD/endpointer (fed times, no sleeping),
sources, capture with a stand-in PortAudio, and the ``audio:`` section's validation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import wave

import numpy as np
import pytest

from agent.audio.capture import DeviceMissing, MicSource, find_device
from agent.audio.resample import Resampler
from agent.audio.settings import AudioSettings, read_audio
from agent.audio.sources import AudioFileError, FileSource, StdinSource
from agent.audio.vad import (TAIL_MS, Endpointer, NeuralVad, SpeechAudio, SpeechEnd, SpeechLull, SpeechPause, SpeechStart,
                             VadSettings)
from agent.config import parse_config
from agent.errors import ConfigError
from agent.yamlsrc import load_yaml

from tests.support.speech import ROOT, need, tone, write_wav

HOME_INTENTS = f"intents: [{ROOT / 'intents' / 'home.yaml'}]\n"  # a config needs intents


def dominant_hz(x: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


# ------------------------------------------------------------------ resampling

@pytest.mark.parametrize("rate", [48000, 44100, 22050, 8000])
def test_resampler_keeps_speech_band_tones_at_any_rate(rate):
    t = np.arange(rate) / rate
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 1000 * t)] * 2, axis=1).astype(np.float32)
    r = Resampler(rate, channels=2)
    out = np.concatenate([r.process(stereo[i:i + 441]) for i in range(0, len(stereo), 441)])
    assert abs(len(out) - 16000) <= 4
    assert dominant_hz(out[2000:14000]) == pytest.approx(1000, abs=2)
    assert np.sqrt(np.mean(out[2000:14000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)  # linear interpolation when upsampling


def test_resampler_filters_what_would_alias():
    rate = 48000
    t = np.arange(rate) / rate
    hiss = (0.5 * np.sin(2 * np.pi * 11000 * t)).astype(np.float32)  # above 8 kHz: must not fold down
    out = Resampler(rate).process(hiss)
    assert np.sqrt(np.mean(out[1000:] ** 2)) < 0.01


def test_resampler_block_size_does_not_change_the_result():
    rate = 44100
    x = np.random.default_rng(1).standard_normal(rate).astype(np.float32) * 0.1
    whole = Resampler(rate).process(x)
    pieces = np.concatenate([Resampler(rate).process(x)[:0]] +
                            [r for r in _stream(Resampler(rate), x, [7, 441, 1000, 3])])
    n = min(len(whole), len(pieces))
    assert n > 15900
    assert np.max(np.abs(whole[:n] - pieces[:n])) < 1e-5


def _stream(r, x, sizes):
    i, k = 0, 0
    while i < len(x):
        step = sizes[k % len(sizes)]
        yield r.process(x[i:i + step])
        i, k = i + step, k + 1


# ------------------------------------------------------------------ endpointing

def chunks_of(signal: np.ndarray, ms: int = 20):
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes()
    step = 16 * ms * 2
    for i in range(0, len(pcm), step):
        yield (i + step) / 32000, pcm[i:i + step]


def burst(seconds: float) -> np.ndarray:
    """Speech-like: a tone with a syllable rhythm."""
    x = tone(seconds, 300, 0.3)
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * np.arange(len(x)) / 16000)
    return x * env


def quiet(seconds: float, level: float = 0.001) -> np.ndarray:
    return (np.random.default_rng(2).standard_normal(int(16000 * seconds)) * level).astype(np.float32)


def run_endpointer(signal, settings=VadSettings(model="energy")):
    ep = Endpointer(settings)
    events = []
    for now, pcm in chunks_of(signal):
        events += ep.feed(now, pcm)
    events += ep.flush(len(signal) / 16000)
    return events


def test_endpointer_finds_one_utterance_with_preroll_and_end_of_speech():
    signal = np.concatenate([quiet(1.0), burst(1.0), quiet(1.5)])
    events = run_endpointer(signal)
    starts = [e for e in events if isinstance(e, SpeechStart)]
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    assert len(starts) == 1 and len(ends) == 1
    assert starts[0].time == pytest.approx(1.12, abs=0.03)  # 120 ms of speech confirms a start
    assert ends[0].reason == "silence"
    assert ends[0].speech_end == pytest.approx(2.0, abs=0.03)
    assert ends[0].time == pytest.approx(2.7, abs=0.03)  # after 700 ms of quiet
    # the utterance's audio: 300 ms pre-roll + speech + trailing quiet, each frame once
    audio = starts[0].audio + b"".join(e.audio for e in events if isinstance(e, SpeechAudio))
    assert len(audio) / 32000 == pytest.approx(0.3 + 1.0 + 0.7, abs=0.03)


def test_endpointer_cuts_an_endless_utterance():
    events = run_endpointer(np.concatenate([quiet(0.5), burst(5.0)]),
                            VadSettings(model="energy", max_utterance_s=2.0))
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    assert ends[0].reason == "max_length"
    assert ends[0].time == pytest.approx(2.5, abs=0.05)
    assert ends[-1].reason in ("max_length", "flush")


def test_endpointer_flushes_an_utterance_the_input_cut_off():
    ends = [e for e in run_endpointer(np.concatenate([quiet(0.5), burst(1.0)])) if isinstance(e, SpeechEnd)]
    assert [e.reason for e in ends] == ["flush"]


def test_steady_noise_raises_the_floor_instead_of_counting_as_speech():
    hum = quiet(6.0, level=0.05)  # a loud steady fan, then someone speaks over it
    signal = np.concatenate([hum, hum[:16000] + burst(1.0) * 3, hum[:16000 * 2]])
    events = run_endpointer(signal)
    starts = [e.time for e in events if isinstance(e, SpeechStart)]
    assert len(starts) == 1 and starts[0] > 6.0


# ------------------------------------------------------------------ sources

def collect(source) -> bytes:
    async def go():
        return b"".join([c.pcm async for c in source.chunks()])
    return asyncio.run(go())


def test_file_source_reads_any_pcm_wav_as_16k_mono(tmp_path):
    base = write_wav(tmp_path / "base.wav", (tone(1.5, 500) * 32767).astype("<i2").tobytes())
    sox = need("sox")
    for opts in (["-r", "44100", "-c", "2", "-b", "24"], ["-r", "48000", "-c", "1", "-e", "floating-point", "-b", "32"],
                 ["-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned"]):
        out = tmp_path / f"x{'_'.join(opts)}.wav"
        subprocess.run([sox, "-q", str(base), *opts, str(out)], check=True)
        data = collect(FileSource(out))
        x = np.frombuffer(data, "<i2").astype(np.float32) / 32768
        assert len(x) / 16000 == pytest.approx(1.5, abs=0.01), opts
        assert dominant_hz(x[4000:20000]) == pytest.approx(500, abs=3), opts


def test_raw_files_and_bad_files(tmp_path):
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"\1\0" * 16000)
    assert len(collect(FileSource(raw))) == 32000
    junk = tmp_path / "notes.wav"
    junk.write_text("hello")
    with pytest.raises(AudioFileError, match="not a WAV file"):
        collect(FileSource(junk))
    with pytest.raises(AudioFileError, match="does not exist"):
        collect(FileSource(tmp_path / "missing.wav"))
    adpcm = tmp_path / "adpcm.wav"
    subprocess.run([need("sox"), "-q", "-n", "-r", "8000", "-e", "ima-adpcm", str(adpcm), "trim", "0", "0.1"], check=True)
    with pytest.raises(AudioFileError, match="unsupported WAV encoding.*sox"):
        collect(FileSource(adpcm))


def test_stdin_source_reads_a_pipe_until_eof():
    r, w = os.pipe()
    data = (tone(2.0) * 32767).astype("<i2").tobytes()

    def writer():
        with os.fdopen(w, "wb") as fh:
            for i in range(0, len(data), 1000):
                fh.write(data[i:i + 1000])
    threading.Thread(target=writer, daemon=True).start()
    with os.fdopen(r, "rb") as fh:
        got = collect(StdinSource(stream=fh))
    assert got == data


# ------------------------------------------------------------------ capture (stand-in PortAudio)

class FakeStream:
    def __init__(self, sd, device, samplerate, channels, blocksize, callback, finished_callback, **_):
        self.sd, self.callback, self.finished = sd, callback, finished_callback
        self.rate, self.channels, self.block = samplerate, channels, blocksize
        sd.streams.append(self)

    def start(self):
        self.sd.started.set()

    def push(self, seconds: float):
        """PortAudio delivering audio: called from another thread, like the real callback."""
        n = int(self.rate * seconds)
        x = (tone(seconds, 440, 0.2, self.rate) * 32767).astype("<i2")
        x = np.repeat(x[:, None], self.channels, axis=1).reshape(-1).tobytes()
        step = self.block * 2 * self.channels
        for i in range(0, n * 2 * self.channels, step):
            self.callback(x[i:i + step], self.block, None, 0)

    def abort(self):
        pass

    def close(self):
        pass


class FakeSd:
    """Devices appear and disappear; streams are FakeStreams."""

    def __init__(self, devices):
        self.devices = devices
        self.streams: list[FakeStream] = []
        self.started = threading.Event()
        self.default = type("D", (), {"device": [-1, -1]})()

    def query_devices(self):
        return list(self.devices)

    def RawInputStream(self, **kw):  # noqa: N802 - sounddevice's name
        return FakeStream(self, **kw)


USB = {"name": "USB Audio Mic: 1", "max_input_channels": 2, "default_samplerate": 48000.0}
SPEAKER = {"name": "HDMI out", "max_input_channels": 0, "default_samplerate": 48000.0}


def test_find_device_by_index_name_or_default_and_says_what_exists():
    sd = FakeSd([SPEAKER, USB])
    assert find_device(sd, None)[0] == 1
    assert find_device(sd, "usb audio")[0] == 1
    assert find_device(sd, 1)[0] == 1
    with pytest.raises(DeviceMissing, match=r"named like 'respeaker'.*1: USB Audio Mic"):
        find_device(sd, "respeaker")
    with pytest.raises(DeviceMissing, match="index 0"):
        find_device(sd, "0")  # an output-only device is no microphone


def test_missing_device_reports_and_retries_with_backoff_until_it_appears():
    sd = FakeSd([SPEAKER])
    errors, waits = [], []

    async def fake_sleep(seconds):
        waits.append(seconds)
        if len(waits) == 4:
            sd.devices.append(USB)  # plugged in
        await asyncio.sleep(0)

    settings = AudioSettings(retry_min_s=0.5, retry_max_s=2.0)
    mic = MicSource(settings, device="USB", sd=sd, on_error=errors.append, sleep=fake_sleep)

    async def go():
        it = mic.chunks().__aiter__()
        task = asyncio.ensure_future(it.__anext__())
        while not sd.streams:
            await asyncio.sleep(0.01)
        threading.Thread(target=sd.streams[0].push, args=(0.1,)).start()
        first = await task
        await it.aclose()
        return first

    first = asyncio.run(go())
    assert [e.code for e in errors] == ["audio-device-missing"] * 4
    assert waits == [0.5, 1.0, 2.0, 2.0]
    assert len(first.pcm) == 640  # 20 ms at 16 kHz mono, resampled from 48 kHz stereo
    assert sd.streams[0].rate == 48000 and sd.streams[0].channels == 1


def test_a_full_queue_drops_the_oldest_blocks_and_counts_them():
    sd = FakeSd([USB])
    mic = MicSource(AudioSettings(queue_blocks=5, block_ms=20), sd=sd)

    async def go():
        it = mic.chunks().__aiter__()
        task = asyncio.ensure_future(it.__anext__())
        while not sd.streams:
            await asyncio.sleep(0.01)
        sd.streams[0].push(0.2)  # 10 blocks while the loop is busy: 5 fit
        await asyncio.sleep(0.05)
        await task
        await it.aclose()

    asyncio.run(go())
    assert mic.dropped == 5


def test_a_device_that_stops_is_reported_and_reopened():
    sd = FakeSd([USB])
    errors = []

    async def no_wait(_):
        await asyncio.sleep(0)

    mic = MicSource(AudioSettings(stall_s=5.0), sd=sd, on_error=errors.append, sleep=no_wait)
    done = asyncio.Event()

    async def consume():
        async for _ in mic.chunks():
            if len(sd.streams) == 1:
                sd.streams[0].finished()  # PortAudio: the stream ended (unplugged)
            else:
                done.set()
                return

    async def feed():  # the device keeps delivering into whichever stream is open
        while not done.is_set():
            if sd.streams:
                sd.streams[-1].push(0.04)
            await asyncio.sleep(0.02)

    async def both():
        await asyncio.wait_for(asyncio.gather(consume(), feed()), 10)

    asyncio.run(both())
    assert [e.code for e in errors] == ["audio-device-lost"] and "stopped" in str(errors[0])
    assert mic.opened == 2


# ------------------------------------------------------------------ config

def test_audio_section_problems_name_file_line_and_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("site: t\naudio:\n  input: micro\n  block_ms: 10\n  vad:\n    end_silence: 500\n" + HOME_INTENTS)
    config = parse_config(load_yaml(path), path)
    with pytest.raises(ConfigError) as exc:
        read_audio(config)
    text = str(exc.value)
    assert f"{path}:3: audio.input: unknown value 'micro' (did you mean 'mic'?)" in text
    assert f"{path}:4: audio.block_ms: 10 is out of range" in text
    assert f"{path}:6: audio.vad.end_silence: unknown key (did you mean 'end_silence_ms'?)" in text


def test_vad_section_defaults_and_problems(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("site: t\naudio: {input: mic}\n" + HOME_INTENTS)
    vad = read_audio(parse_config(load_yaml(path), path)).vad
    assert (vad.model, vad.complete_pause_ms, vad.end_silence_ms, vad.look_ahead_ms) == ("silero", 200, 700, 150)
    # a shorter pause keeps the default look at least 50 ms into the quiet, not a config error
    for pause, ahead in ((120, 70), (40, 0), (0, 0)):
        path.write_text(f"site: t\naudio:\n  vad: {{complete_pause_ms: {pause}}}\n" + HOME_INTENTS)
        assert read_audio(parse_config(load_yaml(path), path)).vad.look_ahead_ms == ahead
    path.write_text("site: t\naudio:\n  vad: {model: neural, complete_pause_ms: 800, end_silence_ms: 700}\n" + HOME_INTENTS)
    with pytest.raises(ConfigError) as exc:
        read_audio(parse_config(load_yaml(path), path))
    text = str(exc.value)
    assert "audio.vad.model: unknown value 'neural'" in text
    assert "audio.vad.complete_pause_ms: complete_pause_ms (800) must be shorter than end_silence_ms (700)" in text
    path.write_text("site: t\naudio:\n  vad: {complete_pause_ms: 150, look_ahead_ms: 150}\n" + HOME_INTENTS)
    with pytest.raises(ConfigError, match=r"audio.vad.look_ahead_ms: look_ahead_ms \(150\) must be shorter than "
                                          r"complete_pause_ms \(150\)"):
        read_audio(parse_config(load_yaml(path), path))


def test_a_short_pause_is_offered_once_and_close_ends_the_utterance_there():
    settings = VadSettings(model="energy", complete_pause_ms=200)
    signal = np.concatenate([quiet(1.0), burst(0.8), quiet(0.1), burst(0.5), quiet(1.0)])
    ep = Endpointer(settings)
    events = []
    for now, pcm in chunks_of(signal):
        events += ep.feed(now, pcm)
    pauses = [e for e in events if isinstance(e, SpeechPause)]
    # the 100 ms gap inside the command is not a pause; the end is offered once, at 200 ms
    assert len(pauses) == 1 and pauses[0].speech_end == pytest.approx(2.4, abs=0.03)
    assert pauses[0].time == pytest.approx(2.6, abs=0.03)
    assert [e.reason for e in events if isinstance(e, SpeechEnd)] == ["silence"]  # nobody closed it

    ep = Endpointer(settings)
    for now, pcm in chunks_of(signal):
        for e in ep.feed(now, pcm):
            if isinstance(e, SpeechPause):
                closed = ep.close(e.time)
                assert closed == [SpeechEnd(e.time, e.speech_end, "complete")]
                assert not ep.in_speech and ep.close(e.time) == []
            assert not isinstance(e, SpeechEnd)  # closed early: no second end


def test_a_lull_comes_look_ahead_ms_before_the_pause_once():
    signal = np.concatenate([quiet(1.0), burst(0.8), quiet(0.15), burst(0.5), quiet(1.0)])
    events = run_endpointer(signal, VadSettings(model="energy", complete_pause_ms=200, look_ahead_ms=100))
    marks = [e for e in events if isinstance(e, (SpeechLull, SpeechPause))]
    # the 150 ms gap gives a lull (the look may start) but no pause; the end gives both
    assert [type(e) for e in marks] == [SpeechLull, SpeechLull, SpeechPause]
    assert marks[0].time - marks[0].speech_end == pytest.approx(0.1, abs=0.015)
    assert marks[1].speech_end == marks[2].speech_end == pytest.approx(2.45, abs=0.03)
    assert marks[2].time - marks[1].time == pytest.approx(0.1, abs=0.015)
    events = run_endpointer(signal, VadSettings(model="energy", complete_pause_ms=200, look_ahead_ms=0))
    assert not [e for e in events if isinstance(e, SpeechLull)]


def test_pause_is_off_at_zero():
    events = run_endpointer(np.concatenate([quiet(1.0), burst(1.0), quiet(1.5)]),
                            VadSettings(model="energy", complete_pause_ms=0))
    assert not [e for e in events if isinstance(e, SpeechPause)]


class CountingDetector:
    """Stands in for the network: says "speech" when the window is loud."""

    def __init__(self):
        self.calls = 0
        self.resets = 0

    def __call__(self, window):
        self.calls += 1
        return 0.9 if np.sqrt(np.mean(window ** 2)) > 0.05 else 0.05

    def reset(self):
        self.resets += 1


def test_neural_vad_sleeps_in_a_quiet_room_and_decides_inside_an_utterance():
    detector = CountingDetector()
    settings = VadSettings(model="silero", look_ahead_ms=100)
    ep = Endpointer(settings, vad=NeuralVad(settings, detector))
    for now, pcm in chunks_of(quiet(3.0)):
        assert ep.feed(now, pcm) == []
    assert detector.calls == 0  # the energy gate never opened: the network cost nothing
    events = []
    for now, pcm in chunks_of(np.concatenate([burst(1.0), quiet(1.0)])):
        events += ep.feed(3.0 + now, pcm)
    assert [type(e) for e in events if not isinstance(e, SpeechAudio)] == [SpeechStart, SpeechLull, SpeechPause,
                                                                           SpeechEnd]
    assert detector.calls > 0 and detector.resets == 1  # back to sleep after the utterance
    # a frame takes the verdict of the latest whole 32 ms window
    assert [e for e in events if isinstance(e, SpeechEnd)][0].speech_end == pytest.approx(4.0, abs=0.07)


class TrailingDetector(CountingDetector):
    """Like the network: still says "speech" for a few windows after the voice stopped."""

    def __init__(self, windows: int):
        super().__init__()
        self.windows, self.left = windows, 0

    def __call__(self, window):
        if super().__call__(window) > 0.5:
            self.left = self.windows
            return 0.9
        self.left -= 1
        return 0.9 if self.left >= 0 else 0.05


def test_the_end_of_speech_is_when_the_voice_stopped_not_when_the_network_noticed():
    signal = np.concatenate([quiet(1.0), burst(1.0), quiet(1.0)])  # the voice stops at 2.0 s
    for detector, lag in ((CountingDetector(), 0.0), (TrailingDetector(4), 0.128)):
        settings = VadSettings(model="silero", complete_pause_ms=200, look_ahead_ms=100)
        vad = NeuralVad(settings, detector)
        ep = Endpointer(settings, vad=vad)
        events = []
        for now, pcm in chunks_of(signal):
            events += ep.feed(now, pcm)
        marks = {type(e).__name__: e for e in events if isinstance(e, (SpeechLull, SpeechPause, SpeechEnd))}
        # whether the network lets go at once or 4 windows late, the pause and the end are
        # counted from the last frame the voice was heard in
        for name in ("SpeechLull", "SpeechPause", "SpeechEnd"):
            assert marks[name].speech_end == pytest.approx(2.0, abs=0.035), (name, lag)
        # the look may start 100 ms into the quiet, or when the network lets go if that is later
        assert 2.1 - 0.035 <= marks["SpeechLull"].time <= 2.1 + lag + 0.07
        assert marks["SpeechPause"].time == pytest.approx(2.2, abs=0.035)
        assert marks["SpeechEnd"].time == pytest.approx(2.7, abs=0.035)
        assert vad.quiet_frames > 50


def test_in_noise_the_network_dates_the_end_of_speech():
    """Where the room is loud a soft voice is under the energy bar as well: the end stays
    where the network put it (no pause is shortened by a guess)."""
    rng = np.random.default_rng(4)
    hum = lambda s: (rng.standard_normal(int(16000 * s)) * 0.01).astype(np.float32)  # about -40 dBFS
    signal = np.concatenate([hum(1.0), burst(1.0) + hum(1.0), hum(1.0)])
    settings = VadSettings(model="silero", complete_pause_ms=200)
    ep = Endpointer(settings, vad=NeuralVad(settings, TrailingDetector(4)))
    events = []
    for now, pcm in chunks_of(signal):
        events += ep.feed(now, pcm)
    end = [e for e in events if isinstance(e, SpeechEnd)][0]
    assert end.speech_end > 2.1  # the network's late date, not the 2.0 s the energy would say


def test_a_voice_the_network_hears_longer_than_the_tail_keeps_the_rest():
    """The end is dated back at most TAIL_MS: a long soft stretch the network calls voice stays voice."""
    signal = np.concatenate([quiet(1.0), burst(1.0), quiet(1.5)])
    ep = Endpointer(VadSettings(model="silero", complete_pause_ms=200),
                    vad=NeuralVad(VadSettings(model="silero"), TrailingDetector(15)))  # ~480 ms late
    events = []
    for now, pcm in chunks_of(signal):
        events += ep.feed(now, pcm)
    end = [e for e in events if isinstance(e, SpeechEnd)][0]
    # the network let go about 0.5 s after the voice; the end is dated TAIL_MS before that
    assert 2.0 + 0.48 - TAIL_MS / 1000 - 0.04 <= end.speech_end <= 2.0 + 0.55 - TAIL_MS / 1000 + 0.04


def test_silero_hears_a_voice_and_not_a_kitchen(tmp_path):
    from tests.support.speech import BARISTA, pcm, say
    voice = pcm(say("turn off the reading lamp", tmp_path / "cmd.wav"))
    with wave.open(str(BARISTA / "kitchen_noise.wav")) as w:
        kitchen = w.readframes(16000 * 60)
    counts = {}
    for model in ("energy", "silero"):
        ep = Endpointer(VadSettings(model=model))
        starts = 0
        for i in range(0, len(kitchen), 640):
            starts += sum(isinstance(e, SpeechStart) for e in ep.feed((i + 640) / 32000, kitchen[i:i + 640]))
        counts[model] = starts
    assert counts["silero"] == 0 and counts["energy"] > 0  # clatter opened the energy VAD, not the network
    ep = Endpointer(VadSettings())
    assert isinstance(ep.vad, NeuralVad)  # the default, whatever else this process has loaded
    signal = b"\0\0" * 16000 + voice + b"\0\0" * 24000
    events = []
    for i in range(0, len(signal), 640):
        events += ep.feed((i + 640) / 32000, signal[i:i + 640])
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    assert len([e for e in events if isinstance(e, SpeechStart)]) == 1 and len(ends) == 1
    x = np.frombuffer(voice, "<i2").astype(np.float64) / 32768
    levels = 10 * np.log10(np.mean(x[:len(x) // 160 * 160].reshape(-1, 160) ** 2, axis=1) + 1e-10)
    last_voiced = 1.0 + (np.nonzero(levels > -45)[0][-1] + 1) * 0.01
    assert ends[0].speech_end == pytest.approx(last_voiced, abs=0.15)
