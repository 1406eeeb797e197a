"""The ``mqtt:`` section: the broker connection, and how actions and events are delivered
(QoS, time-to-live, confirmation window, queue); every string MQTT must carry is checked."""

from __future__ import annotations

from ..mqtt_names import string_problem, topic_problem
from .model import MqttConfig, TlsConfig
from .reader import Reader


def read_mqtt(r: Reader, site: str) -> MqttConfig:
    d = MqttConfig()
    tls = None
    if r.has("tls"):
        t = r.sub("tls")
        tls = TlsConfig(t.get("ca", str, None), t.get("cert", str, None), t.get("key", str, None),
                        t.get("insecure", bool, False))
        t.done()
    protocol = str(r.get("protocol", (str, int, float), "3.1.1"))
    if protocol not in ("3.1.1", "5", "5.0"):
        r.problem(f"unknown MQTT protocol {protocol!r}; use '3.1.1' or '5'", "protocol")
    cfg = MqttConfig(
        host=r.get("host", str, d.host),
        port=r.get("port", int, d.port, minimum=1, maximum=65535),
        keepalive=r.get("keepalive", int, d.keepalive, minimum=5, maximum=3600),
        client_id=r.get("client_id", str, f"voice-agent-{site}"),
        username=r.get("username", str, None),
        password=r.get("password", str, None, secret=True),
        password_file=r.get("password_file", str, None),
        tls=tls,
        protocol="5" if protocol.startswith("5") else "3.1.1",
        prefix=r.get("prefix", str, d.prefix).strip("/"),
        qos=r.get("qos", int, d.qos, choices=(0, 1, 2)),
        ttl=r.get("ttl", float, d.ttl, minimum=0.1, maximum=86400),
        reconnect_min=r.get("reconnect_min", float, d.reconnect_min, minimum=0.05, maximum=3600),
        reconnect_max=r.get("reconnect_max", float, d.reconnect_max, minimum=0.1, maximum=3600),
        ack_timeout=r.get("ack_timeout", float, d.ack_timeout, minimum=0.05, maximum=60),
        intent_ttl=_read_intent_ttl(r.sub("intent_ttl")),
        confirm_window=r.get("confirm_window", float, d.confirm_window, minimum=1.0, maximum=300),
        queue=r.get("queue", int, d.queue, minimum=1, maximum=100000),
    )
    if cfg.password and cfg.password_file:
        r.problem("give either password or password_file, not both", "password_file")
    if cfg.reconnect_min > cfg.reconnect_max:
        r.problem(f"reconnect_min ({cfg.reconnect_min:g}) is above reconnect_max ({cfg.reconnect_max:g})",
                  "reconnect_min")
    for key in ("client_id", "username", "password"):
        value = getattr(cfg, key)
        bad = string_problem(value) if isinstance(value, str) else None
        if bad is not None:
            r.problem(f"the value {bad}" + ("" if key == "password" else "; MQTT cannot send it"), key)
    if cfg.prefix:
        bad = topic_problem(f"{cfg.prefix}/{site}/not_understood")  # the longest event topic
        if bad is not None:
            r.problem(f"the prefix {bad} (it starts every event topic)", "prefix")
    r.done()
    return cfg


def _read_intent_ttl(r: Reader) -> dict[str, float]:
    return {name: r.get(name, float, 10.0, minimum=0.1, maximum=86400) for name in list(r.node)}
