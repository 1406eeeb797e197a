"""The daemon's pure parts: outbox TTL, confirmations, rate limits, backoff, yes/no words."""

from __future__ import annotations

import random

from agent.acting.confirm import Confirmations, Pending, answer_word
from agent.acting.outbox import Outbox
from agent.acting.rate_limit import RateLimiter
from agent.messages import Action
from agent.mqtt import backoff


def act(n: int, device: str = "d") -> Action:
    return Action(f"t/{n}", str(n), 1, False, device)


def test_nothing_is_handed_over_past_its_ttl():
    box = Outbox(capacity=10)
    box.put(act(1), "u1", now=0.0, ttl=10)
    box.put(act(2), "u2", now=4.0, ttl=2)
    assert [e.action.payload for e in box.expire(7.0)] == ["2"]  # 3 s old, ttl 2
    entry = box.take(7.0)
    assert entry.action.payload == "1"
    box.sent(entry, 11, 7.0)
    assert box.take(7.0) is None and not box.idle
    assert box.acked(11) is entry and box.idle


def test_a_turn_on_from_five_minutes_ago_never_fires():
    box = Outbox()
    box.put(act(1), "u", now=0.0, ttl=10)
    assert box.take(300.0) is None  # even without expire(): take refuses stale entries
    assert [e.action.payload for e in box.expire(300.0)] == ["1"] and box.idle


def test_ttl_counts_from_when_the_utterance_arrived():
    box = Outbox()
    box.put(act(1), "u", now=5.0, ttl=10, received=0.0)
    assert box.queued[0].deadline == 10.0


def test_lost_connection_requeues_unacknowledged_in_order():
    box = Outbox()
    for i in range(1, 5):
        box.put(act(i), f"u{i}", now=0.0, ttl=10)
    for mid in (101, 102):
        box.sent(box.take(0.0), mid, 0.0)
    box.acked(101)
    box.lost()
    assert [e.action.payload for e in box.queued] == ["2", "3", "4"] and not box.inflight
    assert box.queued[0].attempts == 1 and box.queued[0].mid is None


def test_a_toggle_whose_ack_was_lost_is_not_sent_twice():
    box = Outbox()
    box.put(act(1), "u1", now=0.0, ttl=10, once=True)   # toggle: twice would undo it
    box.put(act(2), "u2", now=0.0, ttl=10)              # "on": harmless to repeat
    box.put(act(3), "u3", now=0.0, ttl=10, once=True)   # not sent yet: sent normally later
    for mid in (101, 102):
        box.sent(box.take(0.0), mid, 0.0)
    unsure = box.lost()
    assert [e.action.payload for e in unsure] == ["1"]
    assert [e.action.payload for e in box.queued] == ["2", "3"]


def test_a_full_queue_drops_the_oldest():
    box = Outbox(capacity=3)
    dropped = [e.action.payload for i in range(1, 6) for e in box.put(act(i), "u", now=0.0, ttl=10)]
    assert dropped == ["1", "2"] and [e.action.payload for e in box.queued] == ["3", "4", "5"]


def test_cancel_drops_only_what_was_not_sent():
    box = Outbox()
    box.put(act(1), "u", 0.0, 10)
    box.put(act(2), "u", 0.0, 10)
    box.sent(box.take(0.0), 7, 0.0)
    assert [e.action.payload for e in box.cancel()] == ["2"] and list(box.inflight) == [7]


def test_inflight_is_bounded():
    box = Outbox(max_inflight=2)
    for i in range(3):
        box.put(act(i), "u", 0.0, 10)
    box.sent(box.take(0.0), 1, 0.0)
    box.sent(box.take(0.0), 2, 0.0)
    assert box.take(0.0) is None
    box.acked(1)
    assert box.take(0.0) is not None


def test_confirmations_time_out_and_are_replaced():
    c = Confirmations(window=5)
    first = Pending("u1", "unlock the door", "unlock", [act(1, "lock")], deadline=5)
    assert c.ask(first) is None
    assert c.expire(4.0) is None and c.expire(6.0) is first and c.pending is None
    c.ask(first)
    second = Pending("u2", "open the garage", "open", [act(2, "garage")], deadline=9)
    assert c.ask(second) is first
    assert c.take(8.0) == (second, None)
    c.ask(first)
    assert c.take(6.0) == (None, first)  # too late: reported as expired, never confirmed


def test_rate_limit_per_device():
    r = RateLimiter()
    assert r.allow("kettle", 30, 0.0)
    assert not r.allow("kettle", 30, 10.0)
    assert r.allow("lamp", 30, 10.0)
    assert r.allow("kettle", 30, 30.5)
    assert all(r.allow("free", 0, float(t)) for t in range(5))
    # a command that was never sent (stale, cancelled) does not hold the device back
    r.release("kettle")
    assert r.allow("kettle", 30, 31.0)


def test_device_state_numbers_must_be_finite():
    import pytest

    from agent.payloads.common import number
    assert number("21.5", "setpoint") == 21.5
    for junk in ("nan", "inf", "-inf", float("nan"), "warm", None, True):
        with pytest.raises(ValueError):
            number(junk, "setpoint")


def test_yes_and_no_words():
    for text in ("yes", "Yes please", "yeah", "OK", "do it", "go ahead", "Yes. Yes. Yes.", "yes, yes please"):
        assert answer_word(text) == "yes", text
    for text in ("no", "No!", "cancel", "never mind", "don't", "stop", "no, no"):
        assert answer_word(text) == "no", text
    for text in ("yes turn on the light", "unlock the door", "", "yes no", "no yes yes"):
        assert answer_word(text) is None


def test_backoff_doubles_caps_and_jitters():
    rand = random.Random(1)
    delays = [backoff(n, 0.5, 30, rand) for n in range(1, 10)]
    for n, d in enumerate(delays, start=1):
        step = min(30, 0.5 * 2 ** (n - 1))
        assert step / 2 <= d <= step
    assert len({round(backoff(3, 0.5, 30, rand), 6) for _ in range(20)}) > 1  # jittered


def test_a_held_device_waits_while_others_go_ahead_in_order():
    box = Outbox()
    box.put(Action("k", "OFF", 1, False, "kettle"), "u1", now=0.0, ttl=10)
    box.put(Action("k2", "x", 1, False, "kettle"), "u1", now=0.0, ttl=10)
    box.put(Action("l", "ON", 1, False, "lamp"), "u2", now=0.0, ttl=10)
    kettle_waits = lambda e: e.action.device == "kettle"  # noqa: E731
    assert box.take(0.0, kettle_waits).action.device == "lamp"
    assert box.take(0.0, kettle_waits) is None  # the kettle's actions stay in their order
    assert [box.take(1.0).action.topic for _ in range(2)] == ["k", "k2"]
