"""Talking back: reply texts, text to speech, and the speaker.

* :mod:`.replies` - what to say (templates from the intent files), pure;
* :mod:`.phrases` - names, lists, numbers and states as words;
* :mod:`.tts` - the :class:`~.tts.Voice` interface; :mod:`.piper` and :mod:`.espeak` implement it,
  :mod:`.voices` picks one (Piper, else espeak-ng);
* :mod:`.output` - the worker thread that synthesises and plays, with barge-in and mic muting;
* :mod:`.sounds` - the acknowledgement chime; :mod:`.wav` - WAV bytes;
* :mod:`.settings` - the ``voice:`` config section;
* :mod:`.talkback` - the stage wired into the daemon (reply events, speech, muting).

Importing this package loads nothing heavy (``parse`` uses only the replies).
"""

from __future__ import annotations

from typing import Any

from ..config import Config


def replier_for(config: Config, intents: Any = None):
    """A :class:`~.replies.Replier` for ``config`` (its intent files loaded when not given)."""
    from ..understanding.intents import load_intents
    from .replies import Replier
    from .settings import read_voice
    return Replier(config, intents if intents is not None else load_intents(config.intents),
                   acknowledge=read_voice(config).acknowledge)
