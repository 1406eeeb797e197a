"""Write a merged config back into the user's YAML text, touching only what changed.

The file is the user's: their comments, order and layout stay. New areas and devices are
appended to their lists; a device whose discovery-owned settings changed gets only its
``type`` / ``mqtt`` value rewritten; a device matched by topic gains a ``source:`` line; a
vanished one gets an end-of-line comment. Positions come from libyaml's parse of the text
(fast even for thousands of devices); the result is parsed again and validated before it is
written.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .()'/-]*$")
_SPECIAL = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as ``value`` (plain when safe, else JSON-quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _SPECIAL and not text.endswith((" ", ":")) \
            and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def block_item(entry: dict[str, Any], dash: int, indent: int, notes: dict[str, str] | None = None) -> str:
    """One ``- key: value`` list item, nested values in flow style, ``# notes`` after keys."""
    notes = notes or {}
    lines = []
    for i, (k, v) in enumerate(entry.items()):
        lead = " " * dash + "-" + " " * (indent - dash - 1) if i == 0 else " " * indent
        line = f"{lead}{scalar(k)}: {flow(v)}"
        if k in notes:
            line += f"  # {notes[k]}"
        lines.append(line)
    return "\n".join(lines)


def _last_end(node: yaml.Node) -> int:
    """Where a node's text really ends (a block collection's own end mark runs on to the next
    token, past comments that belong to what follows)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1])
    return node.end_mark.index


def _key(node: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == name:
            return k, v
    return None


class TextPatch:
    """Edits to one YAML text, applied together (positions refer to the original)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = yaml.compose(text, Loader=Loader)
        self.edits: list[tuple[int, int, int, str]] = []

    def replace(self, start: int, end: int, new: str) -> None:
        self.edits.append((start, end, len(self.edits), new))

    def result(self) -> str:
        """The edited text (edits at one place land in the order they were made)."""
        out = self.text
        for start, end, _, new in sorted(self.edits, reverse=True):
            out = out[:start] + new + out[end:]
        return out

    # ------------------------------------------------------------------ list items
    def items(self, key: str) -> list[yaml.Node]:
        pair = _key(self.root, key) if isinstance(self.root, yaml.MappingNode) else None
        if pair is None or not isinstance(pair[1], yaml.SequenceNode):
            return []
        return list(pair[1].value)

    def append(self, key: str, entries: list[tuple[dict[str, Any], dict[str, str]]], before: str | None = None) -> None:
        """Add mappings to the list under ``key`` (created when missing)."""
        if not entries:
            return
        pair = _key(self.root, key) if isinstance(self.root, yaml.MappingNode) else None
        if pair is None or (isinstance(pair[1], yaml.ScalarNode) and pair[1].value in ("", "~", "null")):
            body = "\n".join(block_item(e, 2, 4, n) for e, n in entries)
            if pair is None:
                at = self._before_key(before) if before else None
                if at is None:
                    tail = "" if self.text.endswith("\n") or not self.text else "\n"
                    self.replace(len(self.text), len(self.text), f"{tail}{key}:\n{body}\n")
                else:
                    self.replace(at, at, f"{key}:\n{body}\n")
            else:
                end = pair[0].end_mark.index
                colon = self.text.index(":", end) + 1
                self.replace(colon, _last_end(pair[1]) if pair[1].value else colon, "\n" + body)
            return
        seq = pair[1]
        if not isinstance(seq, yaml.SequenceNode):
            raise ValueError(f"'{key}' is not a list")
        if seq.flow_style:
            close = self.text.rindex("]", seq.start_mark.index, seq.end_mark.index)
            sep = ", " if seq.value else ""
            self.replace(close, close, sep + ", ".join(flow(e) for e, _ in entries))
            return
        first = seq.value[0]
        dash = seq.start_mark.column
        indent = first.start_mark.column if isinstance(first, yaml.MappingNode) and not first.flow_style else dash + 2
        end = self._line_end(_last_end(seq))
        self.replace(end, end, "\n" + "\n".join(block_item(e, dash, indent, n) for e, n in entries))

    def _line_end(self, index: int) -> int:
        """The end of the line ``index`` is on (after a trailing comment): new lines go there."""
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end

    def _before_key(self, key: str) -> int | None:
        pair = _key(self.root, key) if isinstance(self.root, yaml.MappingNode) else None
        if pair is None:
            return None
        start = pair[0].start_mark.index
        return self.text.rfind("\n", 0, start) + 1

    # ------------------------------------------------------------------ one mapping
    def child(self, item: yaml.Node, key: str) -> yaml.MappingNode | None:
        """The mapping under ``key`` of the mapping ``item`` (None when it is not one)."""
        pair = _key(item, key) if isinstance(item, yaml.MappingNode) else None
        return pair[1] if pair is not None and isinstance(pair[1], yaml.MappingNode) else None

    def set_value(self, item: yaml.Node, key: str, value: Any) -> None:
        """Set ``key`` of the mapping ``item`` (added when missing) to ``value`` in flow style."""
        if not isinstance(item, yaml.MappingNode):
            return
        pair = _key(item, key)
        if pair is not None:
            k, v = pair
            colon = self.text.index(":", k.end_mark.index)
            self.replace(colon, _last_end(v), ": " + flow(value))
            return
        if item.flow_style:
            close = self.text.rindex("}", item.start_mark.index, item.end_mark.index)
            self.replace(close, close, f", {scalar(key)}: {flow(value)}")
            return
        end = self._line_end(_last_end(item))
        self.replace(end, end, f"\n{' ' * item.start_mark.column}{scalar(key)}: {flow(value)}")

    def comment(self, item: yaml.Node, key: str, text: str) -> None:
        """An end-of-line comment after ``key``'s value (block mappings only)."""
        if not isinstance(item, yaml.MappingNode) or item.flow_style:
            return
        pair = _key(item, key)
        if pair is None or not isinstance(pair[1], yaml.ScalarNode):
            return
        end = pair[1].end_mark.index
        line_end = self.text.find("\n", end)
        line_end = len(self.text) if line_end < 0 else line_end
        if "#" in self.text[end:line_end]:
            return  # already commented
        self.replace(end, end, f"  # {text}")
