"""Reading one YAML mapping of the config: keys, types, ranges and choices checked, every
problem collected (not raised) with its file, line and key path, and a suggestion where a
close match exists."""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterator

from ..yamlsrc import Node, NodeList

_MISSING = object()


def suggest(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Reader:
    """Reads one YAML mapping, checking keys and types, collecting problems."""

    def __init__(self, node: Any, path: str, problems: list[str], file: str = "?", line: int = 0):
        self.node = node if isinstance(node, dict) else Node()
        self.path = path
        self.problems = problems
        self.file = getattr(node, "file", file)
        self.line = getattr(node, "line", line)
        self.used: set[str] = set()
        if node is not None and not isinstance(node, dict):
            self.problem(f"expected a mapping (key: value), got {_kind(node)}")

    # -- reporting ---------------------------------------------------------
    def where(self, key: str | None = None) -> str:
        line = self.node.line_of(key) if key is not None and isinstance(self.node, Node) else self.line
        path = self.path if key is None else (f"{self.path}.{key}" if self.path else key)
        return f"{self.file}:{line}: {path}" if path else f"{self.file}:{line}"

    def problem(self, message: str, key: str | None = None) -> None:
        self.problems.append(f"{self.where(key)}: {message}")

    # -- access --------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.node

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING, *,
            choices: Any = None, minimum: float | None = None, maximum: float | None = None,
            secret: bool = False) -> Any:
        """``secret``: the value never appears in a message (a password)."""
        self.used.add(key)
        if key not in self.node or self.node[key] is None:
            if default is _MISSING:
                self.problem("required key is missing", key)
                return None
            return default
        value = self.node[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        fail = None if default is _MISSING else default
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                self.problem(f"a {len(str(abs(value)))}-digit number is out of range", key)
                return fail
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            got = _kind(value, hide=secret)
            hint = "; put it in quotes" if secret and isinstance(value, (int, float)) and str in kinds else ""
            self.problem(f"expected {names}, got {got}{hint}", key)
            return fail
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(f"{value} is not a finite number; give one", key)
            return fail
        if choices is not None and value not in choices:
            self.problem(f"unknown value {value!r}{suggest(value, choices)}; "
                         f"one of: {', '.join(map(str, choices))}", key)
            return None if default is _MISSING else default
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            self.problem(f"{value} is out of range [{minimum}, {maximum}]", key)
            return None if default is _MISSING else default
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is accepted as a one-item list)."""
        value = self.get(key, (list, str), [])
        if isinstance(value, str):
            return (value,)
        out = []
        for i, item in enumerate(value or []):
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out.append(str(item))
            else:
                line = value.line_of(i) if isinstance(value, NodeList) else self.line
                self.problems.append(f"{self.file}:{line}: {self.path}.{key}[{i}]: "
                                     f"expected a string, got {_kind(item)}")
        return tuple(out)

    def sub(self, key: str) -> "Reader":
        """The mapping under ``key`` (an empty one when absent)."""
        self.used.add(key)
        value = self.node.get(key)
        path = f"{self.path}.{key}" if self.path else key
        return Reader(value, path, self.problems, self.file, self.node.line_of(key) if isinstance(self.node, Node) else self.line)

    def items(self, key: str) -> Iterator["Reader"]:
        """Readers for each mapping in the list under ``key``."""
        value = self.get(key, list, [])
        path = f"{self.path}.{key}" if self.path else key
        for i, item in enumerate(value or []):
            line = value.line_of(i) if isinstance(value, NodeList) else self.line
            yield Reader(item, f"{path}[{i}]", self.problems, self.file, line)

    def done(self, extra_ok: tuple[str, ...] = ()) -> None:
        """Report keys nobody asked for."""
        known = self.used | set(extra_ok)
        for key in self.node:
            if key not in known:
                self.problem(f"unknown key{suggest(key, sorted(known))}", key)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
               list: "a list", dict: "a mapping"}


def _kind(value: Any, hide: bool = False) -> str:
    if value is None:
        return "nothing"
    for t, name in _TYPE_NAMES.items():
        if isinstance(value, t) and not (t in (int, float) and isinstance(value, bool)):
            if hide and t in (str, int, float):
                return f"{name} (not shown: it is a secret)"
            return f"{name} ({str(value)[:40]!r})" if t in (str, int, float) else name
    return type(value).__name__
