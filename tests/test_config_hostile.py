"""Hostile configs (issue 12, defects 1, 3, 4, 5): ``check`` exits 78 naming the problem,
never a traceback and never an OK for what ``run`` cannot do; no secret in any message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from agent.cli import main
from agent.errors import EX_CONFIG

ROOT = Path(__file__).resolve().parents[1]

LOCK = {"id": "lock.front", "name": "Front Door", "type": "lock", "confirm": True,
        "mqtt": {"style": "homeassistant", "topic": "ha/front/set"}}
LAMP = {"id": "light.desk", "name": "Desk Lamp", "type": "light",
        "mqtt": {"style": "zigbee2mqtt", "topic": "z2m/Desk Lamp"}}


def home(tmp_path: Path, *, mqtt: dict | None = None, devices: list | None = None, extra: dict | None = None,
         raw: str | None = None) -> Path:
    path = tmp_path / "home.yaml"
    if raw is not None:
        path.write_text(textwrap.dedent(raw).lstrip())
        return path
    doc = {"site": "hub", "mqtt": {"host": "127.0.0.1", "port": 1883, **(mqtt or {})},
           "intents": [str(ROOT / "intents" / "home.yaml")], "devices": devices or [LAMP], **(extra or {})}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=False))
    return path


def check(path: Path, capsys) -> tuple[int, str]:
    status = main(["check", "-c", str(path)])
    out = capsys.readouterr()
    return status, out.out + out.err


def refused(path: Path, capsys, *words: str) -> str:
    status, text = check(path, capsys)
    assert status == EX_CONFIG, text
    assert "Traceback" not in text
    for word in words:
        assert word in text, text
    return text


# ----------------------------------------------------------------- defect 3: secrets

def test_a_numeric_password_is_refused_without_quoting_it(tmp_path, capsys):
    text = refused(home(tmp_path, mqtt={"username": "u", "password": 31415926535}), capsys,
                   "mqtt.password", "quotes")
    assert "31415926535" not in text and "3141592" not in text


@pytest.mark.parametrize("value", [["s3cretlist"], {"k": "s3cretmap"}, 3.14159265, True])
def test_no_password_of_any_type_is_quoted(tmp_path, capsys, value):
    text = refused(home(tmp_path, mqtt={"username": "u", "password": value}), capsys, "mqtt.password")
    for secret in ("s3cret", "3.14159"):
        assert secret not in text


# ----------------------------------------------------------------- defect 4: numbers and topics

@pytest.mark.parametrize("where", ["ttl", "confirm_window", "reconnect_max", "reconnect_min", "ack_timeout"])
@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_not_a_number_is_refused_in_mqtt(tmp_path, capsys, where, value):
    path = home(tmp_path, raw=f"""
        site: hub
        mqtt: {{{where}: {value}}}
        intents: [{ROOT / "intents" / "home.yaml"}]
        """)
    refused(path, capsys, f"mqtt.{where}", "finite")


@pytest.mark.parametrize("key", ["ttl", "max", "min", "rate_limit"])
def test_not_a_number_is_refused_on_a_device(tmp_path, capsys, key):
    path = home(tmp_path, raw=f"""
        site: hub
        intents: [{ROOT / "intents" / "home.yaml"}]
        devices:
          - {{id: climate.h, name: Heater, type: climate, {key}: .nan,
              mqtt: {{style: homeassistant, topic: ha/heater/set}}}}
        """)
    refused(path, capsys, f"devices[0].{key}", "finite")


def test_fuzzy_nan_is_refused(tmp_path, capsys):
    refused(home(tmp_path, extra={"understanding": {"fuzzy": float("nan")}}), capsys,
            "understanding.fuzzy", "finite")


def test_reconnect_bounds_must_be_ordered_and_capped(tmp_path, capsys):
    refused(home(tmp_path, mqtt={"reconnect_min": 10, "reconnect_max": 1}), capsys, "reconnect_min")
    refused(home(tmp_path, mqtt={"reconnect_max": 1e300}), capsys, "reconnect_max", "out of range")


@pytest.mark.parametrize("prefix", ["#", "a/+/b", "ha\x00x", "x\ud800"])
def test_an_invalid_prefix_is_refused(tmp_path, capsys, prefix):
    path = tmp_path / "home.yaml"
    escaped = prefix.encode("unicode_escape").decode()
    path.write_text(f'site: hub\nmqtt: {{prefix: "{escaped}"}}\nintents: [{ROOT / "intents" / "home.yaml"}]\n')
    refused(path, capsys, "mqtt.prefix")


def test_a_huge_or_broken_client_id_is_refused(tmp_path, capsys):
    refused(home(tmp_path, mqtt={"client_id": "x" * 70_000}), capsys, "mqtt.client_id", "65535")
    path = tmp_path / "home.yaml"
    path.write_text(f'site: hub\nmqtt: {{client_id: "a\\ud800"}}\nintents: [{ROOT / "intents" / "home.yaml"}]\n')
    refused(path, capsys, "mqtt.client_id", "surrogate")


@pytest.mark.parametrize("topic,words", [
    ("z2m/\ud800", ["surrogate"]),
    ("z2m/" + "t" * 70_000, ["65535"]),
    ("z2m/#", ["wildcard"]),
    ("z2m/a\x01b", ["control character"]),
])
def test_an_invalid_device_topic_is_refused(tmp_path, capsys, topic, words):
    path = tmp_path / "home.yaml"
    escaped = topic.encode("unicode_escape").decode()
    path.write_text(textwrap.dedent(f"""\
        site: hub
        intents: [{ROOT / "intents" / "home.yaml"}]
        devices:
          - {{id: light.desk, name: Desk Lamp, type: light, mqtt: {{style: zigbee2mqtt, topic: "{escaped}"}}}}
        """))
    refused(path, capsys, "MQTT topic", *words)


def test_a_payload_template_that_cannot_be_published_is_refused(tmp_path, capsys):
    device = {"id": "switch.pump", "name": "Pump", "type": "switch",
              "mqtt": {"style": "template", "actions": {"*": {"topic": "pump/cmd", "payload": "{intent:>999999999}"}}}}
    refused(home(tmp_path, devices=[device]), capsys, "devices[switch.pump].mqtt.actions.*", "width")


# ----------------------------------------------------------------- defect 5: crashes -> 78

def test_deeply_nested_yaml_exits_78(tmp_path, capsys):
    path = home(tmp_path, raw="site: hub\nextra: " + "[" * 5000 + "]" * 5000 + "\n")
    refused(path, capsys, "nested")


def test_a_5000_digit_integer_exits_78(tmp_path, capsys):
    path = home(tmp_path, raw="site: hub\nmqtt: {port: " + "9" * 5000 + "}\n")
    refused(path, capsys, "home.yaml")


def test_a_5000_digit_integer_where_a_number_goes_exits_78(tmp_path, capsys):
    path = home(tmp_path, raw="site: hub\nmqtt: {ttl: " + "9" * 400 + "}\n")
    refused(path, capsys, "mqtt.ttl")


def test_a_tasmota_relay_that_is_not_a_number_exits_78(tmp_path, capsys):
    device = {"id": "switch.k", "name": "Kettle", "type": "switch",
              "mqtt": {"style": "tasmota", "topic": "kettle", "relay": "#"}}
    refused(home(tmp_path, devices=[device]), capsys, "devices[0].mqtt.relay", "integer")


def test_yaml_sets_exit_78(tmp_path, capsys):
    path = home(tmp_path, raw="site: hub\nfloors: !!set {a, b}\n")
    refused(path, capsys, "!!set", "not supported")


def test_an_intent_file_that_never_ends_exits_78(tmp_path, capsys):
    path = home(tmp_path, raw="site: hub\nintents: [/dev/zero]\n")
    refused(path, capsys, "/dev/zero", "regular file")
    path = home(tmp_path, raw="site: hub\nmqtt: {username: u, password_file: /dev/zero}\n"
                              f"intents: [{ROOT / 'intents' / 'home.yaml'}]\n")
    refused(path, capsys, "password_file", "regular file")


def test_the_password_is_not_in_the_configs_repr(tmp_path):
    from agent.config import load_config
    config = load_config(home(tmp_path, mqtt={"username": "u", "password": "pa55-w0rd-xyz"}))
    assert config.mqtt.password == "pa55-w0rd-xyz"
    assert "pa55-w0rd-xyz" not in repr(config) and "pa55-w0rd-xyz" not in repr(config.mqtt)
