"""What the daemon keeps resident: a home's templates once each, and no library a text-only
daemon never uses (benchmarks/slm_rss.py measures the megabytes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agent.config import load_config
from agent.understanding import Dialogue, TemplateEngine
from tests.support.agent_proc import ROOT, AgentProc
from tests.support.mqtt_home import write_home


def _nodes(tree, seen: dict) -> dict:
    seen[id(tree)] = tree
    for child in getattr(tree, "items", ()) + getattr(tree, "options", ()):
        _nodes(child, seen)
    return seen


def test_the_shipped_templates_hold_each_distinct_subtree_once():
    engine = TemplateEngine(load_config(ROOT / "config" / "demo.yaml"))
    Dialogue(engine)  # builds what "it"/"them" need, over the same trees
    nodes: dict = {}
    for sentence in engine.sentences:
        _nodes(sentence.tree, nodes)
    assert len(nodes) == len(set(nodes.values()))   # equal subtrees are one object
    assert len(nodes) < 8 * len(engine.sentences)    # rules are not copied into each (44 per sentence were)
    for first in (*engine._first.values(), *engine._first_ref.values()):  # noqa: SLF001
        assert len(first.info) == len(nodes)
        sets = [f for f, _ in first.info.values() if f is not None]
        assert len({id(f) for f in sets}) == len(set(sets))  # equal FIRST sets are one object


def test_looking_for_a_speaker_leaves_portaudio_out_of_the_daemon():
    probe = ("import sys; from agent.voice.talkback import _has_speaker; print(_has_speaker(), "
             "'sounddevice' in sys.modules)")
    got = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    direct = subprocess.run([sys.executable, "-c", "import sounddevice as s; print(any("
                             "d['max_output_channels'] > 0 for d in s.query_devices()))"],
                            capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert got == [direct[0], "False"]   # the same answer as asking in the process itself


def test_a_text_daemon_maps_neither_numpy_nor_portaudio(broker, tmp_path):
    config = write_home(tmp_path / "home", broker.port)
    agent = AgentProc(config, "--silent")
    try:
        agent.send("turn on the desk lamp")
        agent.wait_event("intent", timeout=60)
        maps = Path(f"/proc/{agent.proc.pid}/maps").read_text()
    finally:
        agent.finish(timeout=60)
    assert "/numpy/" not in maps, "something in the text daemon imports numpy"
    assert "libportaudio" not in maps
