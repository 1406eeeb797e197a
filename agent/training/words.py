"""Words the trained model knows as ways of asking, not as names of things.

The router refuses to guess when an utterance names a thing the home does not have ("lock
the back door" in a home with only a front door): unknown words right before a word for a
kind of device are taken as a name. The teacher corpus's own wording ("pop the telly on",
"knock the heating down", "the kitchen needs its lights on") is not a name, so those words
are known to a router whose model was trained on them; words that also make up device or
room names in the corpus's random homes ("back", "desk", "porch") stay names.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .. import vocab
from ..normalize import FILLERS, tokens
from .homes import APPLIANCES, CLIMATE, COVERS, FANS, LIGHT_ALIASES, LIGHTS, LOCKS, PEOPLE, PLUGS, ROOMS, SCENES, SPEAKERS, TVS, VACUUMS

_WORD = re.compile(r"[a-z][a-z']*")


@lru_cache(maxsize=1)
def command_words() -> frozenset[str]:
    """Words of the teacher corpus's patterns that never name a device, room or kind."""
    import yaml

    from .corpus import PHRASES

    try:
        data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return frozenset()
    # the ways of asking only: the negatives' words ("pod bay") are not commands
    patterns = list(data["rules"].values())
    for sections in data["intents"].values():
        patterns += [p for name, pats in sections.items() if name != "values" for p in pats]
    for entry in data["by_name"]:
        patterns += [p for key, pats in entry.items() if key != "name" for p in pats]
    said: set[str] = set()
    for pattern in patterns:
        chunk = re.sub(r"[{<][^}>]*[}>]", " ", pattern)
        said.update(tokens(re.sub(r"[()\[\]|]", " ", chunk), keep_fillers=True))
    names = name_words()
    return frozenset(w for w in said if w not in names and _WORD.fullmatch(w))


@lru_cache(maxsize=1)
def name_words() -> frozenset[str]:
    """Words that make up the names of devices, rooms and scenes in the corpus's random
    homes ("back", "desk", "porch", "morning"), and the words for kinds of device."""
    names: set[str] = set()
    for catalog in _catalogs():
        for name in catalog:
            names.update(_WORD.findall(name.lower()))
    return frozenset(names)


@lru_cache(maxsize=1)
def modifier_words() -> frozenset[str]:
    """Words that tell one device from another of its kind in the corpus's random homes:
    the word right before a kind word in a device name ("back" door, "desk" lamp, "ceiling"
    fan, "big" light), never a filler ("the lamp") or "room"."""
    kinds = {w for phrase in vocab.KINDS for w in phrase.split()}
    out: set[str] = set()
    for catalog in (LIGHTS, LIGHT_ALIASES, PLUGS, APPLIANCES, FANS, LOCKS, CLIMATE, TVS, SPEAKERS,
                    VACUUMS, *COVERS.values()):
        for name in catalog:
            w = _WORD.findall(name.lower())
            out.update(w[i - 1] for i in range(1, len(w)) if w[i] in kinds and w[i - 1] not in kinds)
    return frozenset(out - set(FILLERS) - {"room", "s"})


def _catalogs():
    return (LIGHTS, PLUGS, APPLIANCES, FANS, LOCKS, CLIMATE, TVS, SPEAKERS, VACUUMS, SCENES, PEOPLE,
            tuple(ROOMS), *ROOMS.values(), *COVERS.values(), tuple(vocab.KINDS))
