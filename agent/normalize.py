"""Text normalisation shared by templates, names and input.

Both sides of every comparison go through :func:`tokens`, so "Turn ON the
Kitchen-Light, please!" and the template ``turn on {device}`` meet as
``turn on kitchen light``. Number words become digits ("twenty one" -> "21"),
"%" becomes "percent", "°" becomes "degrees", and filler words disappear.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_UNITS = {
    "zero": 0, "oh": None, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000}

_CONTRACTIONS = {
    "what's": "what is", "whats": "what is", "it's": "it is", "that's": "that is",
    "there's": "there is", "where's": "where is", "who's": "who is", "how's": "how is",
    "here's": "here is", "let's": "let us", "i'm": "i am", "you're": "you are",
    "we're": "we are", "they're": "they are", "isn't": "is not", "aren't": "are not",
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not",
    "cannot": "can not", "won't": "will not", "i'd": "i would", "i'll": "i will",
    "it'll": "it will", "wasn't": "was not", "weren't": "were not", "haven't": "have not",
    "hasn't": "has not", "we've": "we have", "i've": "i have", "what're": "what are",
}

# Dropped wherever they stand: they never change what a command means.
FILLERS = frozenset({
    "the", "a", "an", "please", "pls", "kindly", "um", "umm", "uh", "uhh", "er", "erm",
    "hmm", "hey", "my", "our", "your", "its", "their", "just", "quickly",
})
# Dropped only at the start of an utterance.
_LEADING = (
    ("i", "would", "like", "you", "to"), ("i", "want", "you", "to"), ("i", "need", "you", "to"),
    ("would", "you", "mind"), ("could", "you"), ("can", "you"), ("would", "you"),
    ("will", "you"), ("help", "me"), ("ok",), ("okay",), ("now",), ("so",), ("and",), ("then",),
)
# "would you mind turning on ...": the verb after such a lead, back to the form templates use
_GERUNDS = {
    "turning": "turn", "switching": "switch", "putting": "put", "setting": "set", "making": "make",
    "opening": "open", "closing": "close", "shutting": "shut", "locking": "lock",
    "unlocking": "unlock", "starting": "start", "stopping": "stop", "pausing": "pause",
    "playing": "play", "dimming": "dim", "raising": "raise", "lowering": "lower",
    "changing": "change", "muting": "mute", "unmuting": "unmute", "sending": "send",
}
# Dropped only at the end.
_TRAILING = (("for", "me"), ("thank", "you"), ("thanks",), ("right", "now"), ("now",),
             ("at", "once"))

_NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")
_SPLIT_RE = re.compile(r"(\d+(?:\.\d+)?)(%|°[cf]?|percent|degrees?)", re.I)
_CLEAN_RE = re.compile(r"[^\w\s.'%°]+")


def is_number(token: str) -> bool:
    return bool(_NUMBER_RE.match(token))


def stems(word: str) -> tuple[str, ...]:
    """What ``word`` may be with a plural or verb ending taken off ("colors" -> "color",
    "changed" -> "change", "dimmed" -> "dim", "brightening" -> "brighten"): for asking whether
    a word is a form of one that is known, never to rewrite what was said."""
    out: list[str] = []
    for end, adds in (("ies", ("y",)), ("es", ("", "e")), ("s", ("",)), ("ed", ("", "e")), ("ing", ("", "e"))):
        if word.endswith(end) and len(word) - len(end) >= 3:
            base = word[:-len(end)]
            out += [base + a for a in adds]
            if end in ("ed", "ing") and len(base) >= 4 and base[-1] == base[-2]:
                out.append(base[:-1])  # "dimmed", "stopping"
    return tuple(dict.fromkeys(out))


def to_number(token: str) -> int | float:
    return float(token) if "." in token else int(token)


def _number_words(words: list[str]) -> list[str]:
    """Replace runs of number words with digits: "twenty one point five" -> "21.5"."""
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        total, current, last, j = 0, 0, None, i
        while j < n:
            t = words[j]
            nxt = words[j + 1] if j + 1 < n else ""
            if t in _UNITS and _UNITS[t] is not None:
                if last not in (None, "scale") and not (last == "tens" and _UNITS[t] < 10):
                    break
                current += _UNITS[t]
                last = "unit" if last != "tens" else "done"
            elif t in _TENS:
                if last not in (None, "scale"):
                    break
                current += _TENS[t]
                last = "tens"
            elif t == "hundred" and last in (None, "unit", "a"):
                current = (current or 1) * 100
                last = "scale"
            elif t == "thousand" and last in (None, "unit", "tens", "done", "scale", "a"):
                total, current, last = total + (current or 1) * 1000, 0, "scale"
            elif t == "a" and last is None and nxt in ("hundred", "thousand"):
                last = "a"
            elif t == "and" and last == "scale" and (nxt in _UNITS or nxt in _TENS):
                pass
            else:
                break
            j += 1
        if last is None or last == "a":
            if _NUMBER_RE.match(words[i]) and i + 2 < n and words[i + 1] == "point" and words[i + 2].isdigit():
                out.append(f"{words[i]}.{words[i + 2]}")
                i += 3
            else:
                out.append(words[i])
                i += 1
            continue
        text = str(total + current)
        if j + 1 < n and words[j] == "point" and _UNITS.get(words[j + 1]) is not None:
            digits = []
            j += 1
            while j < n and _UNITS.get(words[j]) is not None and _UNITS[words[j]] < 10:
                digits.append(str(_UNITS[words[j]]))
                j += 1
            text += "." + "".join(digits)
        out.append(text)
        i = j
    return out


@lru_cache(maxsize=4096)
def tokens(text: str, *, keep_fillers: bool = False, fragment: bool = False,
           names: tuple[tuple[str, ...], ...] = ()) -> tuple[str, ...]:
    """Normalise ``text`` to a tuple of lower-case tokens.

    ``fragment``: the text is a piece of a template, not a whole utterance, so
    leading/trailing politeness ("can you", "for me") is not stripped.
    ``names``: the names the agent answers to (normalised); one said first or last
    ("jarvis turn on the lights", "lights off computer") is only the address.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = _SPLIT_RE.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = text.replace("%", " percent ").replace("°c", " degrees celsius ")
    text = text.replace("°f", " degrees fahrenheit ").replace("°", " degrees ")
    text = _CLEAN_RE.sub(" ", text)
    words: list[str] = []
    for raw in text.split():
        raw = raw.strip(".'")
        if not raw:
            continue
        if raw in _CONTRACTIONS:
            words.extend(_CONTRACTIONS[raw].split())
            continue
        if raw.endswith("'s"):
            raw = raw[:-2]
        raw = raw.replace("'", "")
        if "." in raw and not re.match(r"^\w*\d\.\d\w*$", raw):
            words.extend(p for p in raw.split(".") if p)
        else:
            words.append(raw)
    words = _number_words(words)
    if keep_fillers:
        return tuple(words)
    changed = not fragment
    while changed and words:
        changed = False
        while len(words) > 1 and words[0] in FILLERS:  # "please could you ...": dropped anyway
            words = words[1:]
        for lead in (*_LEADING, *names):
            if tuple(words[: len(lead)]) == lead and len(words) > len(lead):
                words = words[len(lead):]
                if lead == ("would", "you", "mind"):
                    words[0] = _GERUNDS.get(words[0], words[0])
                changed = True
        for trail in (*_TRAILING, *names):
            if len(words) > len(trail) and tuple(words[-len(trail):]) == trail:
                words = words[: -len(trail)]
                changed = True
    return tuple(w for w in words if w not in FILLERS)


def joined(text: str) -> str:
    """Normalised text as one string (for fuzzy comparison and display)."""
    return " ".join(tokens(text))
