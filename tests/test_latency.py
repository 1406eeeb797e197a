"""End of speech -> action figures: the utterance timeline, the last hour's window, and how
``voice-agent status`` prints them (pure; fed times)."""

from __future__ import annotations

import pytest

from agent.commands.status import speech_to_action
from agent.health import Health
from agent.latency import LatencyWindow, Timing, percentile


def test_timing_dates_the_end_of_speech_from_the_transcript():
    t = Timing.of(received=100.0, eos_ms=250.0)
    assert t.speech_end == pytest.approx(99.75) and t.speech_to_ack_ms is None
    t.intent, t.acked = 100.001, 100.05
    doc = t.as_json(lambda mono: 1_700_000_000.0 + mono)
    assert doc["speech_end"] == pytest.approx(1_700_000_099.75)
    assert doc["speech_to_ack_ms"] == pytest.approx(300.0)
    typed = Timing.of(received=5.0, eos_ms=None)
    assert typed.speech_end is None and "speech_end" not in typed.as_json(lambda m: m)


def test_the_window_keeps_one_hour_and_gives_p50_p95():
    w = LatencyWindow()
    for i in range(100):
        w.add(float(i), float(i + 1))  # 1..100 ms
    s = w.summary(100.0)
    assert s["n"] == 100 and s["p50_ms"] == pytest.approx(50.5) and s["p95_ms"] == pytest.approx(95.05, abs=0.1)
    s = w.summary(3600.0 + 50.0)  # the first fifty are older than an hour
    assert s["n"] == 50 and s["p50_ms"] == pytest.approx(75.5)
    assert w.summary(10_000.0) == {"window_s": 3600.0, "n": 0}
    assert percentile([3.0], 95) == 3.0


def test_health_counts_only_spoken_commands_first_actions():
    h = Health(site="s", config="c.yaml", started=0.0)
    h.event("action", {"timing": {"speech_to_ack_ms": 310.0}}, 1.0)
    h.event("action", {"timing": {"acked": 5.0}}, 1.0)  # typed text, or a second action
    h.event("action", {}, 1.0)
    assert h.doc(2.0)["speech_to_action"] == {"window_s": 3600.0, "n": 1, "p50_ms": 310.0, "p95_ms": 310.0}


def test_status_line():
    assert speech_to_action({"window_s": 3600.0, "n": 12, "p50_ms": 301.4, "p95_ms": 655.0}) == \
        "end of speech -> action, last hour: p50 301 ms, p95 655 ms (12 spoken commands)"
    assert "no spoken command" in speech_to_action({"window_s": 3600.0, "n": 0})
    assert "not reported" in speech_to_action(None)
