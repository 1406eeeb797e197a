"""The recogniser stage: utterance audio in, words out.

A :class:`Recogniser` is streaming: :meth:`start` an utterance, :meth:`feed` it audio
(returning the partial transcript when it changed), :meth:`finish` it for the final
words. The C libraries behind it are not thread-safe and block, so each recogniser
owns one worker thread and every call into the library runs there; the event loop
only awaits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Callable, Protocol, TypeVar

T = TypeVar("T")


class Recogniser(Protocol):
    name: str
    """``vosk`` or ``whisper`` (the :class:`~agent.messages.Transcript` ``source``)."""

    async def load(self) -> None:
        """Load the model (slow; done once, before listening starts)."""

    async def start(self) -> None:
        """Begin a new utterance, forgetting any previous one."""

    async def feed(self, pcm: bytes) -> str | None:
        """Add 16 kHz mono s16le audio; the partial transcript if it changed, else None."""

    async def peek(self) -> str:
        """The transcript of the utterance so far, without ending it (intent-aware
        endpointing looks at it after a short pause)."""

    async def finish(self, quiet_since_peek: bool = False) -> str:
        """End the utterance; its final transcript (may be empty). After a :meth:`peek`
        followed only by quiet (``quiet_since_peek``), a recogniser may return the peek's
        words instead of reading the audio again."""

    async def close(self) -> None:
        """Free the model and the worker thread."""


class Worker:
    """One dedicated thread for one C library's objects."""

    def __init__(self, name: str) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
