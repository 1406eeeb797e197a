"""The parse / check / eval commands as a user runs them (a real subprocess)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "config" / "demo.yaml")
KEYS = {"text", "intent", "targets", "slots", "engine", "confidence", "actions", "ms", "commands", "reply"}


def run(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "agent", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=120)


def test_parse_prints_exactly_the_contract_keys():
    r = run("parse", "-c", DEMO, "set the bedroom lamp to 40%", "what is the meaning of life")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [set(l) for l in lines] == [KEYS, KEYS]
    ok, miss = lines
    assert ok["intent"] == "set_brightness" and ok["targets"] == ["light.bedroom"]
    assert ok["slots"] == {"brightness": 40} and ok["engine"] == "template" and ok["confidence"] == 1.0
    assert ok["actions"] == [{"topic": "zigbee2mqtt/Bedroom Lamp/set",
                              "payload": json.dumps({"state": "ON", "brightness": 102}, separators=(",", ":")),
                              "qos": 1, "retain": False}]
    assert isinstance(ok["ms"], float)
    # the bedroom is not where the demo hub stands: the agent says what it does
    assert ok["reply"] == "Setting the bedroom lamp to 40 percent."
    assert miss["intent"] is None and miss["reply"] and "sorry" in miss["reply"].lower() or "catch" in miss["reply"]
    assert miss["intent"] is None and miss["targets"] == [] and miss["actions"] == [] and miss["engine"] is None


def test_parse_area_flag_changes_meaning_of_the_lights():
    r = run("parse", "-c", DEMO, "--area", "bedroom", "turn on the lights")
    assert json.loads(r.stdout)["targets"] == ["light.bedroom"]
    r = run("parse", "-c", DEMO, "--area", "bedrom", "turn on the lights")
    assert r.returncode == 2 and b"did you mean 'bedroom'" in r.stderr


def test_stdin_junk_is_rejected_per_line_and_the_rest_parsed():
    junk = (b"turn on the kitchen light\n" + b"a" * 10_240 + b"\n" + b"\x00\x01\xff\xfe binary\n"
            + b"\xc3\x28 bad utf8\n" + b"\n" + b"mute the tv\n")
    r = run("parse", "-c", DEMO, "--stdin", stdin=junk)
    assert r.returncode == 0
    out = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [o["text"] for o in out] == ["turn on the kitchen light", "mute the tv"]
    err = r.stderr.decode()
    assert "longer than" in err and "binary data" in err and "not UTF-8" in err
    assert "stdin line 2:" in err and "stdin line 3:" in err and "stdin line 4:" in err


def test_paths_that_cannot_be_used_are_named_without_a_traceback(tmp_path):
    r = run("install-service", "--root", "/etc/passwd", "--no-user")
    err = r.stderr.decode()
    assert r.returncode == 74 and "/etc/passwd" in err and "Traceback" not in err
    context = tmp_path / "ctx.yml"
    context.write_text("context:\n  expressions:\n    hello:\n      - hello there\n")
    r = run("import-rhino", str(context), "-o", str(tmp_path))  # a directory, not a file
    assert r.returncode == 74 and "Is a directory" in r.stderr.decode()


def test_the_readme_custom_intent_example_acts(tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("Add your own intent with your own list and action in a file of your own:")[1]
    (tmp_path / "garden.yaml").write_text(block.split("```yaml\n")[1].split("```")[0])
    home = (ROOT / "config" / "demo.yaml").read_text().replace(
        "intents: [../intents/home.yaml]", f"intents: [{ROOT / 'intents' / 'home.yaml'}, garden.yaml]")
    (tmp_path / "home.yaml").write_text(home)
    r = run("parse", "-c", str(tmp_path / "home.yaml"), "water the front lawn", "water the lawn for 5 minutes")
    out = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [o["slots"] for o in out] == [{"duration": 600, "zone": "front_lawn"},
                                         {"zone": "front_lawn", "duration": 300}]
    assert [json.loads(o["actions"][0]["payload"]) for o in out] == [
        {"zone": "front_lawn", "seconds": 600}, {"zone": "front_lawn", "seconds": 300}]


def test_eval_reports_accuracy_and_every_miss(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(textwrap.dedent("""
        area: kitchen
        cases:
          - {text: turn on the lights, intent: turn_on, targets: [light.kitchen, light.counter]}
          - {text: set the bedroom lamp to 30 percent, intent: set_brightness, slots: {brightness: 30}}
          - {text: dim the bedroom lamp, intent: brightness_up}
          - {text: order me a taxi, intent: null}
          - {text: fly me to the moon, intent: turn_on}
        """))
    r = run("eval", "-c", DEMO, str(cases))
    out = r.stdout.decode()
    assert "3/5 correct (60.0%)\ncases: right 3, wrong 1, not understood 1" in out
    assert "'fly me to the moon': missing turn_on" in out
    assert "cases.yaml:6: 'dim the bedroom lamp': intent brightness_down (want brightness_up)" in out
    assert r.returncode == 1


def test_eval_bad_cases_file(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - {txt: hello, intent: null}\n")
    r = run("eval", "-c", DEMO, str(cases))
    assert r.returncode == 78
    assert b"cases[0].text: required key is missing" in r.stderr
    assert b"cases[0].txt: unknown key (did you mean 'text'?)" in r.stderr


def test_check_refuses_what_run_would_refuse(tmp_path):
    """A config that passes check must not stop the service with exit 78 at start."""
    demo = (ROOT / "config" / "demo.yaml").read_text().replace(
        "intents: [../intents/home.yaml]", f"intents: [{ROOT / 'intents' / 'home.yaml'}, garden.yaml]")
    (tmp_path / "garden.yaml").write_text(textwrap.dedent("""
        lists: {zone: {values: [lawn]}}
        intents:
          water_zone:
            targets: none
            data: [{sentences: ["water [the] {zone}"]}]
            action: {topic: garden/irrigation/set, payload: '{{"zone": "{zoen}"}}'}
        """))
    bad = demo + textwrap.dedent(f"""
        service: {{log: syslog}}
        understanding: {{slm: {{enabled: true, model: {tmp_path / 'nope.gguf'}}}}}
        """)
    bad = bad.replace("  # password_file: /etc/voice-agent/mqtt-password", f"  password_file: {tmp_path / 'nopw'}")
    (tmp_path / "home.yaml").write_text(bad)
    r = run("check", "-c", str(tmp_path / "home.yaml"))
    err = r.stderr.decode()
    assert r.returncode == 78, err
    for what in ("{zoen}", "service.log", "password_file", "nope.gguf"):
        assert what in err, (what, err)


def test_eval_names_typos_in_the_cases_instead_of_scoring_them(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - {text: turn on the lights, intent: turn_onn}\n"
                     "  - {text: turn on the kitchen light, intent: turn_on, targets: [light.kitchn]}\n")
    r = run("eval", "-c", DEMO, str(cases))
    err = r.stderr.decode()
    assert r.returncode == 78
    assert f"{cases}:2: unknown intent 'turn_onn' (did you mean 'turn_on'?)" in err
    assert f"{cases}:3: unknown device 'light.kitchn' (did you mean 'light.kitchen'?)" in err


def test_parse_lists_every_command_and_session_reads_follow_ups():
    r = run("parse", "-c", DEMO, "turn off the tv and dim the lights", "turn it off")
    first, alone = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [c["intent"] for c in first["commands"]] == ["turn_off", "brightness_down"]
    assert first["intent"] == "turn_off" and first["targets"] == ["media.tv"]   # the first command
    assert first["actions"] == first["commands"][0]["actions"]
    assert set(first["commands"][1]) == {"intent", "targets", "slots", "engine", "actions"}
    assert alone["intent"] is None and alone["commands"] == []   # without --session: no "it"
    r = run("parse", "-c", DEMO, "--session", "--stdin",
            stdin=b"set the bedroom lamp to 30 percent\nset it to 80 percent\nundo that\n"
                  b"close the blinds and turn off the big light\n")
    lines = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [l["intent"] for l in lines] == ["set_brightness", "set_brightness", "set_brightness", "close"]
    assert lines[2]["actions"] == lines[0]["actions"] and lines[2]["engine"] == "context"
    assert lines[3]["unknown"][0]["text"] == "turn off big light"
    assert b"not understood part 'turn off big light'" in r.stderr


def test_eval_scores_conversations_and_counts_wrong_commands(tmp_path):
    cases = tmp_path / "talk.yaml"
    cases.write_text(textwrap.dedent("""
        area: kitchen
        cases:
          - text: turn off the tv and the lights
            commands:
              - {intent: turn_off, targets: [media.tv]}
              - {intent: turn_off, targets: [light.kitchen, light.counter]}
          - conversation:
              - {text: turn on the bedroom lamp, intent: turn_on}
              - {text: and the hallway light too, commands: [{intent: turn_on, targets: [light.hallway]}]}
              - {text: turn it off, after: 40, intent: null}
          - conversation:
              - {text: turn on the bedroom lamp, intent: turn_on}
              - {text: turn it off, intent: turn_on}
        """))
    r = run("eval", "-c", DEMO, str(cases))
    out = r.stdout.decode()
    assert "2/3 correct (66.7%); 1 wrong command(s)" in out, out
    assert "talk.yaml:14: 'turn it off': intent turn_off (want turn_on)" in out
    assert r.returncode == 1
    cases.write_text("cases:\n  - conversation:\n      - {text: hi, commands: [{targets: [light.kitchen]}]}\n")
    r = run("eval", "-c", DEMO, str(cases))
    assert r.returncode == 78 and b"intent: required key is missing" in r.stderr
