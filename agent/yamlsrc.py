"""YAML loading that remembers where every key and item came from.

Mappings load as :class:`Node` dicts and sequences as :class:`NodeList`; both know
their file and the line of each key/item, so config errors can say
``home.yaml:14: devices[3].type: ...``.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


class Node(dict):
    """A YAML mapping with the source line of itself and of each key."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file, self.line, self.key_lines = "?", 0, {}

    def line_of(self, key: str) -> int:
        # an empty Node made in code (a missing section) has no key_lines
        return getattr(self, "key_lines", {}).get(key, self.line)


class NodeList(list):
    """A YAML sequence with the source line of itself and of each item."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file, self.line, self.item_lines = "?", 0, []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


MAX_FILE = 16 * 1024 * 1024
"""Largest config or intent file read (a path such as /dev/zero must not fill the memory)."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists accepted."""


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None, None, f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not supported here; "
        "write a plain value, list or mapping", node.start_mark)


_FAST = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser: about ten times faster on a large home; a document it refuses is read
again by the pure-Python parser, whose messages :func:`explain` turns into plain words."""


def _make_loader(filename: str, base: type = yaml.SafeLoader) -> type[yaml.SafeLoader]:
    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Node:
        loader.flatten_mapping(node)
        out = Node()
        out.file, out.line, out.key_lines = filename, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"unsupported key type {type(key).__name__}", key_node.start_mark
                )
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> NodeList:
        out = NodeList(loader.construct_object(child, deep=True) for child in node.value)
        out.file, out.line = filename, node.start_mark.line + 1
        out.item_lines = [child.start_mark.line + 1 for child in node.value]
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    for tag in ("set", "omap", "pairs", "binary", "timestamp"):  # values the config never takes
        Loader.add_constructor(f"tag:yaml.org,2002:{tag}", _refuse_tag)
    return Loader


def _depth_problem(text: str, name: str) -> str | None:
    """PyYAML recurses once per nesting level: refuse deep documents before parsing them."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FAST or yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1
                    return f"{name}:{line}: nested more than {MAX_DEPTH} levels deep; flatten it"
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # the loader reports the syntax error with its line
    return None


def load_yaml(path: Path | str, *, text: str | None = None) -> Any:
    """Load one YAML document; syntax errors become a :class:`ConfigError`."""
    path = Path(path)
    name = str(path)
    if text is None:
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError([f"{name}: not a regular file; give the path of a YAML file"])
            if info.st_size > MAX_FILE:
                raise ConfigError([f"{name}: {info.st_size} bytes is too big for a YAML file here "
                                   f"(at most {MAX_FILE})"])
            with path.open("rb") as fh:
                raw = fh.read(MAX_FILE + 1)
        except FileNotFoundError:
            raise ConfigError([f"{name}: file not found (check the path)"]) from None
        except OSError as exc:
            raise ConfigError([f"{name}: cannot read: {exc.strerror}"]) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8"]) from None
    deep = _depth_problem(text, name)
    if deep is not None:
        raise ConfigError([deep])
    if _FAST is not None:
        try:
            return yaml.load(text, Loader=_make_loader(name, _FAST))  # noqa: S506 - CSafeLoader subclass
        except yaml.YAMLError:
            pass  # read again below: the pure parser's messages are the ones explained in plain words
        except (ValueError, RecursionError):
            pass
    try:
        return yaml.load(text, Loader=_make_loader(name))  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        line, words = explain(exc, text, line)
        raise ConfigError([f"{name}:{line}: {words}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{name}: YAML error: {exc}"]) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ConfigError([f"{name}: a value cannot be read: {str(exc).split(';')[0]}; shorten it"]) from None
    except RecursionError:
        raise ConfigError([f"{name}: nested too deeply (aliases?); flatten it"]) from None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def explain(exc: yaml.MarkedYAMLError, text: str, line: int) -> tuple[int, str]:
    """A YAML syntax error in plain words: ``(line, what is wrong and how to fix it)``.

    The parser's own words ("expected <block end>, but found '<block mapping start>'")
    describe its state, not the file; these say what the person wrote.
    """
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    above_no = next((n for n in range(line - 1, 0, -1) if lines[n - 1].strip()
                     and not lines[n - 1].lstrip().startswith("#")), 0)
    above = lines[above_no - 1] if above_no else ""
    problem, context = exc.problem or "", exc.context or ""
    if "\\t" in problem or "'\t'" in problem:
        return line, "this line holds a tab; YAML indents with spaces only"
    if "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "?"
        return line, (f"a value cannot start with '{char}'; put the value in quotes "
                      f"(name: \"{char}...\")")
    if "undefined alias" in problem or "while scanning an alias" in context:
        return line, "a value starting with '*' is a YAML alias; put the value in quotes"
    if "quoted scalar" in context:
        start = exc.context_mark.line + 1 if exc.context_mark else line
        return start, "a quote opened on this line is never closed"
    if "flow sequence" in context or "flow mapping" in context:
        start = exc.context_mark.line + 1 if exc.context_mark else line
        close = "]" if "sequence" in context else "}"
        return start, (f"the {'list [' if close == ']' else 'mapping {'}...{close} that starts on this line is "
                       f"not closed, or an item in it holds ',' or ':' and needs quotes")
    if "mapping values are not allowed" in problem:
        if above and ":" not in above.split("#")[0]:
            return above_no, "this line has no ':'; write key: value"
        if here.split("#")[0].count(": ") > 1:
            return line, "the value on this line holds ': '; put the value in quotes (name: \"Lamp: hall\")"
        if _indent(here) > _indent(above):
            return line, "this line is indented more than the one above"
        return line, "the value on this line holds ': '; put the value in quotes (name: \"Lamp: hall\")"
    if "could not find expected ':'" in problem:
        return line, "this line has no ':'; write key: value"
    if "expected <block end>" in problem or "block collection" in context or "block mapping" in context:
        if _indent(here) > _indent(above):
            return line, "this line is indented more than the one above"
        if here.lstrip().startswith("- ") != above.lstrip().startswith("- ") or _indent(here) < _indent(above):
            return line, ("this line's indentation does not match the lines above; keys of one "
                          "mapping (and items of one list) start in the same column")
        return line, "this line's indentation does not match the lines above"
    if "duplicate key" in problem:
        return line, f"{problem}: the key is given twice; keep one"
    return line, f"YAML syntax error: {problem or context or 'cannot be read'}"
