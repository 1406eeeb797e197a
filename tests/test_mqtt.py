"""The daemon against a real Mosquitto broker: payload styles, state, TLS, MQTT 5,
text/in, availability, confirmations, rate limits, a killed broker, malformed state."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from agent.acting.confirm import REACTION
from tests.support.agent_proc import ROOT, AgentProc
from tests.support.broker import Broker, Recorder, agent_command, make_ca, wait_for
from tests.support.mqtt_home import write_home

pytestmark = pytest.mark.slow

AGENT = "voice-agent/test/"


def parse_actions(config, lines: list[str]) -> list[list[tuple[str, str]]]:
    """What ``voice-agent parse`` predicts for each line."""
    out = subprocess.run(agent_command("parse", "-c", str(config), "--stdin"), cwd=ROOT, check=True,
                         input="\n".join(lines).encode(), capture_output=True, timeout=120).stdout
    return [[(a["topic"], a["payload"]) for a in json.loads(l)["actions"]] for l in out.splitlines()]


def commands(rec: Recorder) -> list[tuple[str, str]]:
    """Everything published outside the agent's own topics."""
    return [(m.topic, m.text) for m in rec.unique() if not m.topic.startswith("voice-agent/")]


STYLE_LINES = [
    "turn on the desk lamp", "set the desk lamp to 30 percent", "make the desk lamp red",   # zigbee2mqtt
    "turn on the shelf light", "set the shelf light to 40 percent", "make the shelf light blue",  # tasmota
    "make the ceiling light blue", "set the floor lamp to 30 percent", "open the blind",     # HA json/plain
    "set the blind to 25 percent", "set the heater to 20 degrees celsius",
    "open the driver window", "set the driver window to 40 percent",                        # template
    "set the radio volume to 30", "next song on the radio", "make me a flat white",
]


def test_every_payload_style_round_trips(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port)
    expected = [a for acts in parse_actions(config, STYLE_LINES) for a in acts]
    assert len(expected) == len(STYLE_LINES)
    agent = AgentProc(config)
    assert agent.finish(STYLE_LINES) == 0, agent.log
    recorder.barrier()  # the agent has exited: everything it published is here now
    assert commands(recorder) == expected
    assert [(e["topic"], e["payload"]) for e in agent.of("action")] == expected
    assert {e["kind"] for e in agent.events} >= {"transcript", "intent", "action"}
    assert all(e["id"] and e["ts"] > 1e9 and e["site"] == "test" for e in agent.events)
    # the same events went out on <prefix>/<site>/<kind>
    assert len(recorder.on(AGENT + "action")) == len(expected)


def test_mqtt5_round_trip(broker, tmp_path):
    rec = Recorder(broker, v5=True).start()
    config = write_home(tmp_path / "home", broker.port, mqtt={"protocol": "5"})
    agent = AgentProc(config)
    assert agent.finish(["turn on the desk lamp", "set the blind to 25 percent"]) == 0, agent.log
    wait_for(lambda: len(commands(rec)) >= 2, 10, "two actions")
    assert commands(rec) == [("z2m/Desk Lamp/set", '{"state":"ON"}'), ("ha/blind/position/set", "25")]
    rec.stop()


def test_state_topics_drive_relative_commands_and_answers(broker, recorder, tmp_path):
    recorder.publish("z2m/Desk Lamp", '{"state":"ON","brightness":102}', retain=True)  # 40 %
    recorder.publish("ha/front/state", "LOCKED", retain=True)
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config)
    wait_for(lambda: recorder.on(AGENT + "availability"), 15, "agent online")
    time.sleep(0.3)  # the retained state arrives right after the subscription
    assert agent.finish(["make the desk lamp brighter", "make the desk lamp brighter",
                         "is the front door locked"]) == 0, agent.log
    # from 40 %: 60 % then 80 % (the second steps from the first, before the lamp reports)
    assert [p for t, p in commands(recorder) if t == "z2m/Desk Lamp/set"] == [
        '{"state":"ON","brightness":153}', '{"state":"ON","brightness":204}']
    answer = agent.of("answer")[0]
    assert answer["answer"] == "yes" and answer["matching"] == ["lock.front"]


def test_malformed_state_payloads_are_ignored(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config)
    wait_for(lambda: recorder.on(AGENT + "availability"), 15, "agent online")
    for payload in (b"not json", b"\x00\xff\x10binary\x00", b"{" * 300_000, b"x" * 2_000_000,
                    b'{"brightness": "bright"}', b"[1,2]", b"\xc3\x28"):
        recorder.publish("z2m/Desk Lamp", payload)
        recorder.publish("stat/shelf/RESULT", payload)
        recorder.publish("ha/floor/brightness", payload)
    recorder.publish("stat/shelf/RESULT", '{"POWER":"ON","Dimmer":30}')
    time.sleep(0.5)
    assert agent.proc.poll() is None, agent.log
    assert agent.finish(["make the shelf light brighter"]) == 0, agent.log
    assert [c for c in commands(recorder) if c[0].startswith("cmnd/")] == [("cmnd/shelf/Dimmer", "50")]
    assert "ignored state message on 'z2m/Desk Lamp'" in agent.log
    assert "ignored state message on 'stat/shelf/RESULT'" in agent.log


def test_text_in_topic_and_retained_text_is_refused(broker, recorder, tmp_path):
    # a retained command would replay on every restart: refused when it arrives as retained
    recorder.publish(AGENT + "text/in", "set the blind to 10 percent", retain=True)
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config, text=False)
    wait_for(lambda: recorder.on(AGENT + "availability"), 15, "agent online")
    recorder.publish(AGENT + "text/in", "turn on the shelf light")
    recorder.publish(AGENT + "text/in", json.dumps({"text": "turn off the lights", "area": "office"}))
    recorder.publish(AGENT + "text/in", b"\xff\xfe")
    wait_for(lambda: len(commands(recorder)) >= 3, 10, "three actions")
    agent.wait_event("error", code="input-rejected", count=2)
    agent.terminate()
    assert agent.wait(20) == 0, agent.log
    assert commands(recorder) == [("cmnd/shelf/POWER", "ON"), ("z2m/Desk Lamp/set", '{"state":"OFF"}'),
                                  ("cmnd/shelf/POWER", "OFF")]
    assert all(e["source"] == "mqtt" for e in agent.of("transcript"))


def test_availability_online_offline_and_last_will(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config, text=False)
    wait_for(lambda: [m for m in recorder.on(AGENT + "availability") if m.text == "online"], 15, "online")
    agent.terminate()  # SIGTERM: offline, exit 0
    assert agent.wait(20) == 0, agent.log
    wait_for(lambda: recorder.on(AGENT + "availability")[-1].text == "offline", 5, "offline")
    # a retained "offline" is what a new subscriber sees
    late = Recorder(broker, topics=(AGENT + "availability",)).start()
    wait_for(lambda: late.messages, 5, "retained availability")
    assert late.messages[-1].text == "offline" and late.messages[-1].retain
    late.stop()
    # killed without a goodbye: the broker publishes the last will
    agent = AgentProc(config, text=False)
    wait_for(lambda: recorder.on(AGENT + "availability")[-1].text == "online", 15, "online again")
    agent.kill()
    wait_for(lambda: recorder.on(AGENT + "availability")[-1].text == "offline", 10, "last will")


def test_sigterm_finishes_the_current_utterance(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config)
    wait_for(lambda: recorder.on(AGENT + "availability"), 15, "agent online")
    agent.send("turn on the desk lamp")
    agent.wait_event("intent")
    agent.terminate()
    assert agent.wait(20) == 0, agent.log
    assert commands(recorder) == [("z2m/Desk Lamp/set", '{"state":"ON"}')]
    assert recorder.on(AGENT + "availability")[-1].text == "offline"


def test_confirm_devices_need_a_yes_in_time(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port, mqtt={"confirm_window": 1})
    agent = AgentProc(config)

    def asked(n: int) -> None:
        agent.wait_event("confirm", result="asking", count=n)
        time.sleep(REACTION)  # a person takes at least this long to answer (a faster "yes" is refused)

    agent.send("unlock the front door")
    asked(1)
    agent.send("yes")                                             # confirmed
    agent.send("unlock the front door")
    asked(2)
    agent.send("no")                                              # cancelled
    agent.send("lock the front door")
    asked(3)
    agent.send("turn on the desk lamp")                           # superseded by something else
    agent.send("lock the front door")                             # nobody answers
    agent.wait_event("error", code="confirm-timeout", timeout=10)
    agent.send("yes")                                             # too late: nothing to confirm
    assert agent.finish() == 0, agent.log
    assert commands(recorder) == [("ha/front/set", "UNLOCK"), ("z2m/Desk Lamp/set", '{"state":"ON"}')]
    codes = [e["code"] for e in agent.of("error")]
    assert codes == ["confirm-cancelled", "confirm-superseded", "confirm-timeout"]
    assert [e["result"] for e in agent.of("confirm")] == [
        "asking", "confirmed", "asking", "cancelled", "asking", "superseded", "asking", "timeout"]
    assert agent.of("not_understood")[-1]["reason"] == 'nothing is waiting for a "yes"'


def test_a_yes_from_another_room_does_not_confirm(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port, mqtt={"confirm_window": 5})
    agent = AgentProc(config)
    wait_for(lambda: recorder.on(AGENT + "availability"), 15, "agent online")
    agent.send("unlock the front door")  # asked by the hub itself (its own area)
    agent.wait_event("confirm", result="asking")
    time.sleep(REACTION)  # a person takes at least this long to answer
    recorder.publish(AGENT + "text/in", json.dumps({"text": "yes", "area": "office"}))
    agent.wait_event("not_understood")
    assert not commands(recorder)
    agent.send("yes")  # the same place that was asked
    assert agent.finish() == 0, agent.log
    assert commands(recorder) == [("ha/front/set", "UNLOCK")]
    assert agent.of("not_understood")[0]["reason"] == "the question was asked in another room; answer it there"


def test_after_end_of_stdin_a_yes_can_still_come_over_mqtt(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port, mqtt={"confirm_window": 5})
    agent = AgentProc(config)
    wait_for(lambda: recorder.on(AGENT + "availability"), 15, "agent online")
    agent.send("unlock the front door")
    agent.close()  # stdin ends while the question is open
    agent.wait_event("confirm", result="asking")
    time.sleep(REACTION)  # a person takes at least this long to answer
    recorder.publish(AGENT + "text/in", "yes")
    assert agent.wait(20) == 0, agent.log
    assert commands(recorder) == [("ha/front/set", "UNLOCK")]


def test_rate_limited_device_drops_the_second_command(broker, recorder, tmp_path):
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config)
    assert agent.finish(["turn on the kettle", "turn off the kettle", "turn on the desk lamp"]) == 0
    assert commands(recorder) == [("cmnd/kettle/POWER2", "ON"), ("z2m/Desk Lamp/set", '{"state":"ON"}')]
    assert [e["device"] for e in agent.of("error", code="rate-limited")] == ["switch.kettle"]


def test_broker_killed_and_restarted_mid_stream(broker, tmp_path):
    rec = Recorder(broker, client_id="killed-recorder").start()  # a persistent session
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config)
    wait_for(lambda: rec.on(AGENT + "availability"), 15, "agent online")
    agent.send(*[f"set the shelf light to {n} percent" for n in range(1, 11)])
    wait_for(lambda: len(commands(rec)) >= 10, 10, "first ten")
    # the recorder's session must be on disk with all ten acknowledged before the SIGKILL,
    # or the restarted broker sends some again: wait for a save that began after they
    # arrived (Mosquitto's "every second" is checked in whole seconds, so up to two)
    db, arrived = broker.dir / "mosquitto.db", time.time()
    wait_for(lambda: db.exists() and db.stat().st_mtime > arrived + 0.05, 10, "the broker to save its sessions")
    broker.kill()  # SIGKILL: no goodbye
    agent.send(*[f"set the shelf light to {n} percent" for n in range(11, 16)])
    time.sleep(1.0)
    broker.start()
    agent.send(*[f"set the shelf light to {n} percent" for n in range(16, 21)])
    assert agent.finish() == 0, agent.log
    rec.barrier()  # the agent has exited: all twenty (and nothing more) are here now
    got = [int(p) for t, p in commands(rec) if t == "cmnd/shelf/Dimmer"]
    assert got == list(range(1, 21))  # in order, each once, nothing lost across the kill
    assert len(agent.of("action")) == 20 and not agent.of("error")
    rec.stop()


def _tls_home(tmp_path, broker, tls, password="s3cret", **mqtt):
    pw = tmp_path / "secret"
    pw.write_text(password + "\n")
    return write_home(tmp_path / "home", broker.port, mqtt={
        "username": "agent", "password_file": str(pw), "tls": {"ca": str(tls.ca), **mqtt}, "ttl": 2})


def test_tls_with_username_and_password(tmp_path):
    tls = make_ca(tmp_path / "ca")
    broker = Broker(tmp_path / "broker", tls=tls, users={"agent": "s3cret", "rec": "r"}).start()
    try:
        rec = Recorder(broker, username="rec", password="r", tls=tls).start()
        agent = AgentProc(_tls_home(tmp_path, broker, tls))
        assert agent.finish(["turn on the desk lamp"]) == 0, agent.log
        wait_for(lambda: commands(rec), 10, "action over TLS")
        assert commands(rec) == [("z2m/Desk Lamp/set", '{"state":"ON"}')]
        # a wrong password: refused, nothing published, the action goes stale and is reported
        agent = AgentProc(_tls_home(tmp_path, broker, tls, password="wrong"))
        assert agent.finish(["turn off the desk lamp"], timeout=30) == 0, agent.log
        assert commands(rec) == [("z2m/Desk Lamp/set", '{"state":"ON"}')]
        assert agent.of("error", code="action-stale")
        assert "refused" in agent.log.lower()
        rec.stop()
    finally:
        broker.kill()


def test_tls_with_a_client_certificate(tmp_path):
    tls = make_ca(tmp_path / "ca")
    broker = Broker(tmp_path / "broker", tls=tls, users={"agent": "s3cret", "rec": "r"},
                    require_certificate=True).start()
    try:
        rec = Recorder(broker, username="rec", password="r", tls=tls).start()
        config = _tls_home(tmp_path, broker, tls, cert=str(tls.client_cert), key=str(tls.client_key))
        agent = AgentProc(config)
        assert agent.finish(["set the blind to 25 percent"]) == 0, agent.log
        wait_for(lambda: commands(rec), 10, "action over mutual TLS")
        assert commands(rec) == [("ha/blind/position/set", "25")]
        rec.stop()
    finally:
        broker.kill()


def test_missing_password_file_is_a_config_error(tmp_path):
    config = write_home(tmp_path / "home", 1, mqtt={"username": "u", "password_file": str(tmp_path / "nope")})
    out = subprocess.run(agent_command("run", "-c", str(config), "--text"), cwd=ROOT, input=b"",
                         capture_output=True, timeout=60)
    assert out.returncode == 78
    assert b"password_file" in out.stderr and b"create it" in out.stderr
