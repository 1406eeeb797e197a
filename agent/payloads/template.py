"""``template`` style: topics and payloads written in the config, for anything else
(vehicle gateways, custom firmware).

    mqtt:
      style: template
      actions:
        open:  {topic: "car/{device}/cmd", payload: '{{"window": "open"}}'}
        set_position: {topic: "car/{device}/cmd", payload: '{{"window": {position}}}'}
        "*":   {topic: "car/{device}/cmd", payload: "{intent}"}
      state_topic: car/windows/state          # plain words or a JSON object

Placeholders: ``{device}`` (id), ``{name}``, ``{area}``, ``{intent}``, ``{site}`` anywhere;
in payloads also every slot and computed value: ``{brightness}`` (percent),
``{brightness_255}``, ``{color}``, ``{r}`` ``{g}`` ``{b}``, ``{hue}`` ``{saturation}``,
``{x}`` ``{y}``, ``{kelvin}``, ``{mired}``, ``{temperature}`` (device unit), ``{position}``,
``{volume}``, ``{power}`` (ON/OFF for toggle), ``{step}``. ``{slot!j}`` inserts a JSON value
(quoted string). Topics may only use the config placeholders: a spoken word never
becomes part of a topic. An entry may be a list of ``{topic, payload, retain}``.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

from ..config import Device
from .wire import Out, Unsupported, loads_object
from .common import word_state
from .json_state import json_state

TOPIC_FIELDS = ("device", "name", "area", "intent", "site")


class _Formatter(string.Formatter):
    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "j":
            return json.dumps(value, ensure_ascii=False)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, float) and value.is_integer() and not format_spec:
            value = int(value)
        return super().format_field(value, format_spec)


FORMATTER = _Formatter()


MAX_WIDTH = 64
"""Largest width or precision a placeholder may ask for (``{intent:>999999999}`` would
build a gigabyte string at every publish)."""
MAX_RENDERED = 65536
"""Longest topic or payload a template may produce."""


def fields(template: str) -> set[str]:
    """Placeholder names used in a template; ValueError for a broken template."""
    out = set()
    for _, name, spec, conversion in FORMATTER.parse(template):
        if name is not None:
            if not name or not name.replace("_", "a").isalnum():
                raise ValueError(f"placeholder {{{name}}} is not a simple name")
            if conversion not in (None, "j", "s", "r"):
                raise ValueError(f"placeholder {{{name}!{conversion}}}: use !j (JSON) or nothing")
            if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec))):
                raise ValueError(f"placeholder {{{name}:{spec[:20]}}}: widths and precisions above "
                                 f"{MAX_WIDTH} (or nested placeholders) are not allowed")
            out.add(name)
    return out


def render(template: str, values: dict[str, Any], *, topic: bool) -> str:
    allowed = {k: values.get(k, "") for k in TOPIC_FIELDS} if topic else values
    try:
        fields(template)
        text = FORMATTER.vformat(template, (), allowed)
    except KeyError as exc:
        raise Unsupported(f"the payload template needs {{{exc.args[0]}}}, which this command "
                          "does not give") from None
    except (ValueError, TypeError, IndexError, AttributeError) as exc:  # a spec that does not fit the value
        raise Unsupported(f"the template {template[:60]!r} cannot be filled in: {exc}") from None
    if len(text) > MAX_RENDERED:
        raise Unsupported(f"the template {template[:60]!r} gives {len(text)} characters; at most "
                          f"{MAX_RENDERED}")
    return text


def entries(spec: Any) -> list[dict[str, Any]]:
    """An action entry (one mapping or a list of them) as a list."""
    return list(spec) if isinstance(spec, list) else [spec]


def check_entry(spec: Any) -> list[str]:
    """Problems with one ``actions`` entry (or an intent file's ``action``)."""
    problems = []
    for item in entries(spec):
        if not isinstance(item, dict) or not isinstance(item.get("topic"), str):
            problems.append("each action needs a 'topic' string (and a 'payload')")
            continue
        extra = set(item) - {"topic", "payload", "retain"}
        if extra:
            problems.append(f"unknown key '{sorted(extra)[0]}' in an action; use topic, payload, retain")
        try:
            spoken = fields(item["topic"]) - set(TOPIC_FIELDS)
            if spoken:
                problems.append(f"topic {item['topic']!r} uses {{{sorted(spoken)[0]}}}: topics may only use "
                                f"{', '.join('{' + f + '}' for f in TOPIC_FIELDS)} (never spoken values)")
            fields(str(item.get("payload", "")))
        except ValueError as exc:
            problems.append(f"bad template: {exc}")
    return problems


def render_entry(spec: Any, values: dict[str, Any]) -> list[Out]:
    return [Out(render(item["topic"], values, topic=True),
                render(str(item.get("payload", "")), values, topic=False),
                bool(item.get("retain", False))) for item in entries(spec)]


def command(device: Device, intent: str, values: dict[str, Any]) -> list[Out]:
    actions = device.mqtt.options.get("actions") or {}
    spec = actions.get(intent, actions.get("*"))
    if spec is None:
        raise Unsupported(f"no template for {intent}; add it (or '*') under mqtt.actions")
    return render_entry(spec, values)


def command_topics(device: Device, intents: tuple[str, ...]) -> set[str]:
    return set()  # computed by the planner, which knows the context values


def state_topics(device: Device) -> tuple[str, ...]:
    return (device.mqtt.state_topic,) if device.mqtt.state_topic else ()


def parse_state(device: Device, topic: str, text: str) -> dict[str, Any]:
    obj = loads_object(text)
    if obj is None:
        return word_state(device, text)
    return json_state(device, obj, brightness_scale=int(device.mqtt.options.get("brightness_scale", 255)))
