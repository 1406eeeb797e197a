"""Import a Picovoice Rhino context (``.yml``) as an intent file of this project.

For people leaving Picovoice (its engines check an online access key): the context's
grammar carries over unchanged in meaning.

Rhino expression syntax -> template syntax:

* ``[a, b, c]`` a choice of one          -> ``(a|b|c)``
* ``(a, b)`` an optional choice          -> ``[a|b]``
* ``$type:name`` a slot of type ``type`` -> ``{type:name}``
* ``@macro`` a macro (a phrase list)     -> ``<macro>``

Slot types become lists whose canonical values are the context's own phrases, so
``orderDrink`` with ``size: "twelve ounce"`` comes out exactly as Rhino reports it.
Choice groups repeated across expressions become rules, which keeps big contexts
readable. Intents get ``targets: none``: a Rhino intent acts on no device of ours.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..yamlsrc import load_yaml

_TOKEN = re.compile(r"\[[^\[\]()]*\]|\([^\[\]()]*\)|\$[A-Za-z0-9_.]+:[A-Za-z0-9_]+|@[A-Za-z0-9_]+|[^\s\[\]()$@]+")


def _group(inner: str) -> list[str]:
    return [p.strip() for p in inner.split(",") if p.strip()]


def convert_expression(expr: str, where: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(items, problems): items are ("word"|"choice"|"optional"|"slot"|"macro", text)."""
    items: list[tuple[str, str]] = []
    problems: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(expr):
        gap = expr[pos:m.start()]
        if gap.strip():
            problems.append(f"{where}: cannot read {gap.strip()!r} in {expr!r}")
        pos = m.end()
        tok = m.group(0)
        if tok.startswith("["):
            items.append(("choice", "|".join(_group(tok[1:-1]))))
        elif tok.startswith("("):
            items.append(("optional", "|".join(_group(tok[1:-1]))))
        elif tok.startswith("$"):
            stype, _, name = tok[1:].partition(":")
            items.append(("slot", f"{stype}:{name}" if stype != name else stype))
        elif tok.startswith("@"):
            items.append(("macro", tok[1:]))
        else:
            items.append(("word", tok))
    if expr[pos:].strip():
        problems.append(f"{where}: cannot read {expr[pos:].strip()!r} in {expr!r}")
    return items, problems


def _slug(words: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", words.split("|")[0].lower()).strip("_")[:20] or "choice"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def import_context(path: Path | str) -> dict[str, Any]:
    """The intent-file document (a dict) equivalent to a Rhino context file."""
    path = Path(path)
    data = load_yaml(path)
    ctx = data.get("context") if isinstance(data, dict) else None
    if not isinstance(ctx, dict) or not isinstance(ctx.get("expressions"), dict):
        raise ConfigError([f"{path}:1: not a Rhino context: expected 'context:' with 'expressions:'"])
    problems: list[str] = []
    parsed: dict[str, list[list[tuple[str, str]]]] = {}
    for intent, exprs in ctx["expressions"].items():
        for i, expr in enumerate(exprs or []):
            line = exprs.line_of(i) if hasattr(exprs, "line_of") else 0
            items, probs = convert_expression(str(expr), f"{path}:{line}: expressions.{intent}[{i}]")
            problems.extend(probs)
            parsed.setdefault(str(intent), []).append(items)
    slots = ctx.get("slots") or {}
    macros = ctx.get("macros") or {}
    used_types = {it[1].split(":")[0] for exprs in parsed.values() for e in exprs for it in e if it[0] == "slot"}
    for t in sorted(used_types - set(slots)):
        problems.append(f"{path}: slot type ${t} is used but not defined under 'slots'")
    if problems:
        raise ConfigError(problems)

    # choice groups used in more than one expression become rules
    counts = Counter(text for exprs in parsed.values() for e in exprs for kind, text in e
                     if kind in ("choice", "optional") and "|" in text)
    taken = set(macros)
    rules: dict[str, str] = {}
    rule_of: dict[str, str] = {}
    for text, n in counts.most_common():
        if n > 1:
            name = _slug(text, taken)
            rules[name] = f"({text})"
            rule_of[text] = name
    for name, phrases in macros.items():
        rules[str(name)] = "(" + "|".join(str(p) for p in phrases) + ")"

    def render(items: list[tuple[str, str]]) -> str:
        out = []
        for kind, text in items:
            if kind == "word":
                out.append(text)
            elif kind in ("choice", "optional"):
                inner = f"<{rule_of[text]}>" if text in rule_of else text
                out.append(f"[{inner}]" if kind == "optional" else (inner if inner.startswith("<") else f"({inner})"))
            elif kind == "slot":
                out.append("{" + text + "}")
            else:
                out.append(f"<{text}>")
        return " ".join(out)

    intents = {name: {"targets": "none", "data": [{"sentences": [render(e) for e in exprs]}]}
               for name, exprs in parsed.items()}
    lists = {str(t): {"values": [str(v) for v in values]} for t, values in slots.items()}
    return {"language": "en", "rules": rules, "lists": lists, "intents": intents}


def dump(doc: dict[str, Any], source: Path | str) -> str:
    head = (f"# Imported from the Rhino context {Path(source).name} by `voice-agent import-rhino`.\n"
            "# Rhino [a, b] (a choice) became (a|b); (a) (optional) became [a]; $type:name became\n"
            "# {type:name}. Slot values are the context's phrases, reported as canonical values.\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=200)
