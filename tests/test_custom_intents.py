"""A user's own intent with its own slot list and action, next to the built-in ones."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_custom_intent_list_and_action(tmp_path):
    (tmp_path / "garden.yaml").write_text(textwrap.dedent("""
        language: en
        lists:
          zone:
            values:
              - {in: "(front|front lawn|lawn)", out: front_lawn}
              - {in: "(vegetable|veggie) (patch|garden|beds)", out: vegetables}
        intents:
          water_zone:
            targets: none
            data:
              - sentences:
                  - "water [the] {zone} [for {duration}]"
                  - "(start|turn on) [the] (sprinkler|sprinklers) (on|for) [the] {zone} [for {duration}]"
            action:
              topic: garden/irrigation/set
              payload: '{{"zone": "{zone}", "seconds": {duration}}}'
        """))
    cfg = tmp_path / "home.yaml"
    cfg.write_text(textwrap.dedent(f"""
        site: garden
        intents: [{ROOT}/intents/home.yaml, garden.yaml]
        areas: [{{id: kitchen, name: Kitchen}}]
        devices:
          - {{id: light.k, name: Kitchen Light, type: light, area: kitchen, mqtt: {{style: tasmota, topic: k}}}}
        """))
    r = subprocess.run([sys.executable, "-m", "agent", "parse", "-c", str(cfg),
                        "water the veggie patch for ten minutes", "turn on the kitchen light",
                        "water the roof"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    water, light, roof = (json.loads(l) for l in r.stdout.splitlines())
    assert water["intent"] == "water_zone" and water["targets"] == []
    assert water["slots"] == {"zone": "vegetables", "duration": 600}
    assert water["actions"] == [{"topic": "garden/irrigation/set",
                                 "payload": '{"zone": "vegetables", "seconds": 600}', "qos": 1, "retain": False}]
    assert light["actions"] == [{"topic": "cmnd/k/POWER", "payload": "ON", "qos": 1, "retain": False}]
    assert roof["intent"] is None and roof["actions"] == []
