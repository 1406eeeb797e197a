"""Where audio comes from when it is not a live microphone: files and stdin.

Every source yields :class:`~agent.messages.AudioChunk` blocks of 16 kHz mono
16-bit audio (``block_ms`` long) from an async iterator, whatever format it read.

* :class:`FileSource` - a WAV file (PCM 8/16/24/32-bit or float, any rate, any channel
  count) or raw 16 kHz mono s16le (``.raw``/``.pcm``/``.s16``), read as fast as the
  consumer takes it or paced in real time (``realtime=True``: a recording standing in
  for a microphone). Timestamps follow the audio's own clock (seconds from the file's
  start) unless paced, when they are the loop's monotonic clock.
* :class:`StdinSource` - raw s16le 16 kHz mono (or a WAV stream) on standard input,
  read by a thread so the event loop never blocks on a pipe.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import AsyncIterator, BinaryIO, Protocol

import numpy as np

from ..errors import AudioError
from ..messages import AudioChunk
from .resample import TARGET_RATE, Resampler

RAW_SUFFIXES = (".raw", ".pcm", ".s16", ".s16le")
BYTES_PER_SECOND = TARGET_RATE * 2
CONVERT_HINT = "convert with: sox IN -r 16000 -c 1 -b 16 OUT.wav"


class AudioSource(Protocol):
    """Something that produces the pipeline's audio."""

    name: str

    def chunks(self) -> AsyncIterator[AudioChunk]:
        """Blocks of 16 kHz mono s16le audio until the source ends (a microphone never does)."""


class AudioFileError(AudioError):
    code = "audio-file-invalid"


class Decoder:
    """Bytes of one PCM format in, 16 kHz mono s16le out (streaming)."""

    def __init__(self, rate: int, channels: int, width: int, is_float: bool = False) -> None:
        if width not in (1, 2, 3, 4) or (is_float and width != 4):
            raise AudioFileError(f"{width * 8}-bit {'float ' if is_float else ''}samples are not "
                                 f"supported; {CONVERT_HINT}")
        self.rate, self.channels, self.width, self.is_float = rate, channels, width, is_float
        self.frame_bytes = channels * width
        self.resampler = Resampler(rate, channels)
        self._rest = b""

    def decode(self, data: bytes) -> bytes:
        data = self._rest + data
        usable = len(data) - len(data) % self.frame_bytes
        data, self._rest = data[:usable], data[usable:]
        if not data:
            return b""
        if self.width == 2 and self.rate == TARGET_RATE and self.channels == 1:
            return data
        if self.width == 1:  # WAV 8-bit is unsigned
            samples = (np.frombuffer(data, np.uint8).astype(np.float32) - 128.0) / 128.0
        elif self.width == 2:
            samples = np.frombuffer(data, "<i2")
        elif self.width == 3:
            b = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
            ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
            ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
            samples = ints.astype(np.float32) / float(1 << 23)
        elif self.is_float:
            samples = np.frombuffer(data, "<f4")
        else:
            samples = np.frombuffer(data, "<i4")
        return self.resampler.pcm(samples)


def read_wav_header(fh: BinaryIO, path: Path) -> tuple[int, int, int, bool, int]:
    """Parse RIFF/WAVE chunks up to ``data``: (rate, channels, width, is_float, data bytes).

    Handles PCM, IEEE float and WAVE_FORMAT_EXTENSIBLE (what sox writes for 24-bit or
    multi-channel files). A streamed WAV's unknown length (0 or 0xFFFFFFFF) gives -1.
    """
    def need(n: int) -> bytes:
        data = fh.read(n)
        if len(data) < n:
            raise AudioFileError(f"{path}: WAV file ends inside its header")
        return data

    need(12)
    fmt = None
    while True:
        head = fh.read(8)
        if len(head) < 8:
            raise AudioFileError(f"{path}: WAV file has no 'data' chunk")
        cid, size = head[:4], int.from_bytes(head[4:], "little")
        if cid == b"fmt ":
            body = need(size + (size & 1))
            tag = int.from_bytes(body[0:2], "little")
            channels = int.from_bytes(body[2:4], "little")
            rate = int.from_bytes(body[4:8], "little")
            bits = int.from_bytes(body[14:16], "little")
            if tag == 0xFFFE and size >= 26:
                tag = int.from_bytes(body[24:26], "little")  # the sub-format GUID starts with it
            if tag not in (1, 3) or not channels or not rate or bits % 8:
                raise AudioFileError(f"{path}: unsupported WAV encoding (format {tag}, {bits} bits); "
                                     f"{CONVERT_HINT}")
            fmt = (rate, channels, bits // 8, tag == 3)
        elif cid == b"data":
            if fmt is None:
                raise AudioFileError(f"{path}: WAV 'data' chunk comes before 'fmt '")
            return (*fmt, -1 if size in (0, 0xFFFFFFFF) else size)
        else:
            skip = size + (size & 1)
            while skip > 0:
                got = fh.read(min(skip, 65536))
                if not got:
                    raise AudioFileError(f"{path}: WAV file ends inside a {cid!r} chunk")
                skip -= len(got)


class _Limited:
    """Reads at most ``size`` bytes (-1: to the end), then reports EOF."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh, self.left = fh, size

    def read(self, n: int) -> bytes:
        if self.left == 0:
            return b""
        data = self.fh.read(n if self.left < 0 else min(n, self.left))
        if self.left > 0:
            self.left -= len(data)
        return data

    def close(self) -> None:
        self.fh.close()


class _Prefixed:
    """A non-seekable stream whose first bytes were already read."""

    def __init__(self, head: bytes, fh: BinaryIO) -> None:
        self.head, self.fh = head, fh

    def read(self, n: int) -> bytes:
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            return out + (self.fh.read(n - len(out)) if n > len(out) else b"")
        return self.fh.read(n)

    def close(self) -> None:
        self.fh.close()


def open_audio(path: Path, fh: BinaryIO | None = None) -> tuple[_Limited, Decoder, float]:
    """Open a WAV or raw file; return (reader positioned at the samples, decoder, seconds)."""
    if fh is None:
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            raise AudioFileError(f"audio file {str(path)!r} does not exist") from None
        except OSError as exc:
            raise AudioFileError(f"cannot read audio file {str(path)!r}: {exc.strerror}") from None
    seekable = fh.seekable()
    head = fh.read(12)
    if seekable:
        fh.seek(0)
    src = fh if seekable else _Prefixed(head, fh)
    try:
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            rate, channels, width, is_float, size = read_wav_header(src, path)  # type: ignore[arg-type]
            seconds = size / (rate * channels * width) if size >= 0 else 0.0
            return _Limited(src, size), Decoder(rate, channels, width, is_float), seconds  # type: ignore[arg-type]
        if str(path).lower().endswith(RAW_SUFFIXES) or str(path) == "-":
            size = os.fstat(fh.fileno()).st_size if seekable else 0
            return _Limited(src, -1), Decoder(TARGET_RATE, 1, 2), size / BYTES_PER_SECOND  # type: ignore[arg-type]
    except BaseException:
        fh.close()
        raise
    fh.close()
    raise AudioFileError(f"{path}: not a WAV file (no RIFF/WAVE header); give a .wav, or raw "
                         f"16 kHz mono s16le named {'/'.join(RAW_SUFFIXES)}")


def split_blocks(pcm: bytes, block_bytes: int, rest: bytes = b"") -> tuple[list[bytes], bytes]:
    data = rest + pcm
    n = len(data) // block_bytes
    return [data[i * block_bytes:(i + 1) * block_bytes] for i in range(n)], data[n * block_bytes:]


def read_pcm16k(path: Path | str) -> bytes:
    """A whole audio file as 16 kHz mono s16le (for tests and benchmarks)."""
    reader, decoder, _ = open_audio(Path(path))
    try:
        out = []
        while raw := reader.read(1 << 16):
            out.append(decoder.decode(raw))
        return b"".join(out)
    finally:
        reader.close()


class FileSource:
    """A recorded file as the audio input."""

    def __init__(self, path: Path | str, *, realtime: bool = False, block_ms: int = 20) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path.name}"
        self.realtime = realtime
        self.block_bytes = TARGET_RATE * block_ms // 1000 * 2
        self.duration = 0.0

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        reader, decoder, self.duration = await asyncio.to_thread(open_audio, self.path)
        loop = asyncio.get_running_loop()
        start = loop.time()
        played = 0  # bytes of 16 kHz audio handed out
        rest = b""
        try:
            while True:
                raw = await asyncio.to_thread(reader.read, decoder.frame_bytes * decoder.rate // 2)
                blocks, rest = split_blocks(decoder.decode(raw), self.block_bytes, rest)
                if not raw and rest:  # the last, partial block
                    blocks, rest = blocks + [rest], b""
                for block in blocks:
                    played += len(block)
                    t = played / BYTES_PER_SECOND
                    if self.realtime:
                        delay = start + t - loop.time()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        yield AudioChunk(block, loop.time())
                    else:
                        yield AudioChunk(block, t)
                if not raw:
                    return
        finally:
            reader.close()


class _Pipe:
    """A binary stream as a non-seekable reader that fills each read when it can."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def seekable(self) -> bool:
        return False

    def read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            part = self.stream.read(n - len(out))
            if not part:
                break
            out += part
        return out

    def close(self) -> None:
        pass


class StdinSource:
    """Raw s16le 16 kHz mono (or WAV) on standard input, read by a thread."""

    def __init__(self, *, block_ms: int = 20, stream: BinaryIO | None = None, max_blocks: int = 100) -> None:
        self.name = "stdin"
        self.stream = stream
        self.block_bytes = TARGET_RATE * block_ms // 1000 * 2
        self.max_blocks = max_blocks

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        import sys
        stream = self.stream or sys.stdin.buffer
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(self.max_blocks)
        stop = threading.Event()

        def put(item: bytes | BaseException | None) -> None:
            # back-pressure, not loss: batch input waits for the consumer
            fut = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
            while not stop.is_set():
                try:
                    fut.result(timeout=0.5)
                    return
                except TimeoutError:
                    continue

        def reader() -> None:
            try:
                fh, decoder, _ = open_audio(Path("-"), _Pipe(stream))  # type: ignore[arg-type]
                rest = b""
                while not stop.is_set():
                    raw = fh.read(self.block_bytes)
                    if not raw:
                        break
                    blocks, rest = split_blocks(decoder.decode(raw), self.block_bytes, rest)
                    for b in blocks:
                        put(b)
                if rest:
                    put(rest)
                put(None)
            except Exception as exc:  # noqa: BLE001 - handed to the loop and raised there
                put(exc if isinstance(exc, AudioError) else AudioFileError(f"stdin: {exc}"))

        threading.Thread(target=reader, name="stdin-audio", daemon=True).start()
        played = 0
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                played += len(item)
                yield AudioChunk(item, played / BYTES_PER_SECOND)
        finally:
            stop.set()
