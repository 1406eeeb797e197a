"""The part of Home Assistant's ``value_template`` language a reading needs, and no more.

Discovery configs say where a state is with Jinja: ``{{ value_json.temperature }}``,
``{{ value_json['ENERGY']['Power'] }}``, ``{{ value_json.sensor.temp | float }}``,
``{{ value | int }}``, ``{{ value_json.humidity | round(1) }}``. Those select one key path
of the message (or the plain message) and optionally convert it; this module reads them
into a :class:`ValueTemplate` and applies it. Anything else (conditions, arithmetic,
other filters) raises :class:`ValueError` naming what is not understood: the agent never
guesses at a template it cannot evaluate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .readings import path_get

_WHOLE = re.compile(r"^\s*\{\{\-?\s*(?P<body>.*?)\s*\-?\}\}\s*$", re.S)
_STEP = re.compile(r"""\.(?P<attr>[A-Za-z_][A-Za-z0-9_]*)|\[\s*(?P<q>['"])(?P<key>[^'"\]]*)(?P=q)\s*\]|\[\s*(?P<idx>\d+)\s*\]""")
_FILTER = re.compile(r"^(?P<name>float|int|round|lower|upper|string|trim|default)\s*(\((?P<args>[^()]*)\))?$")


@dataclass(frozen=True, slots=True)
class ValueTemplate:
    json: bool
    """True for ``value_json...``: the message is parsed as JSON first."""
    path: tuple[str, ...]
    """Keys (and list indexes as digits) from the message to the value."""
    filters: tuple[tuple[str, str], ...] = ()
    """``(name, argument text)`` in order: float, int, round(n), lower, upper, string, trim, default(x)."""

    def apply(self, text: str) -> Any:
        """The value this template gives for one message; ValueError when it gives none."""
        value: Any = text
        if self.json:
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError("the value template reads JSON, but the message is not JSON") from None
            try:
                value = path_get(value, self.path)
            except KeyError as exc:
                for name, arg in self.filters:
                    if name == "default":
                        return _literal(arg)
                raise ValueError(f"the message has no {'.'.join(self.path)!r} (missing {exc.args[0]!r})") from None
        for name, arg in self.filters:
            value = _filter(name, arg, value)
        return value


def parse(template: str) -> ValueTemplate:
    """Read a ``value_template``; ValueError says what part is beyond what the agent evaluates."""
    m = _WHOLE.match(template or "")
    if not m:
        raise ValueError(f"value template {template[:60]!r} is not a single {{{{ ... }}}} expression")
    parts = [p.strip() for p in m.group("body").split("|")]
    head, filters = parts[0], parts[1:]
    if head == "value":
        vt_json, path = False, ()
    elif head.startswith("value_json"):
        rest, path_list, pos = head[len("value_json"):], [], 0
        while pos < len(rest):
            step = _STEP.match(rest, pos)
            if not step:
                raise ValueError(f"value template {template[:60]!r}: cannot read {rest[pos:][:30]!r} "
                                 "(only value_json.key, value_json['key'] and value_json[0] are evaluated)")
            path_list.append(step.group("attr") or step.group("key") or step.group("idx"))
            pos = step.end()
        if not path_list:
            raise ValueError("value template uses the whole value_json object; name a key")
        vt_json, path = True, tuple(path_list)
    else:
        raise ValueError(f"value template {template[:60]!r}: only 'value' and 'value_json...' are evaluated")
    out = []
    for f in filters:
        fm = _FILTER.match(f)
        if not fm:
            raise ValueError(f"value template filter {f[:30]!r} is not one the agent evaluates "
                             "(float, int, round, lower, upper, string, trim, default)")
        out.append((fm.group("name"), (fm.group("args") or "").strip()))
    return ValueTemplate(vt_json, path, tuple(out))


def _literal(arg: str) -> Any:
    arg = arg.split(",")[0].strip()
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        return arg[1:-1]
    try:
        return json.loads(arg.lower() if arg in ("True", "False") else arg)
    except ValueError:
        raise ValueError(f"default({arg[:20]}) is not a literal") from None


def _filter(name: str, arg: str, value: Any) -> Any:
    if name in ("float", "int", "round"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            if arg and name != "round":
                return _literal(arg)
            raise ValueError(f"{str(value)[:30]!r} is not a number") from None
        if name == "int":
            return int(number)
        if name == "round":
            digits = int(arg.split(",")[0]) if arg.split(",")[0].strip().isdigit() else 0
            return round(number, digits)
        return number
    if name == "lower":
        return str(value).lower()
    if name == "upper":
        return str(value).upper()
    if name == "trim":
        return str(value).strip()
    if name == "string":
        return str(value)
    return value  # default: applies only when the key is missing (see apply)
