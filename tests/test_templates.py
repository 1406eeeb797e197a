import pytest

from agent.understanding.templates import (Alt, FirstSets, Seq, Slot, TemplateSyntaxError, Word, expand_rules,
                                           match, parse_template, required_words, share)


def words(*ws):
    return tuple(ws)


def test_parse_alternatives_optional_slots_rules():
    tree = parse_template("(turn|switch) on [the] {device} <where>")
    assert isinstance(tree, Seq)
    assert tree.items[0] == Alt((Seq((Word("turn"),)), Seq((Word("switch"),))))
    assert tree.items[1] == Word("on")
    # "the" is a filler: "[the]" normalises to nothing and disappears
    assert tree.items[2] == Slot("device", "device")
    assert len(tree.items) == 4


@pytest.mark.parametrize("bad,where", [
    ("turn on (the light", "never closed"),
    ("turn on the light)", "unexpected ')'"),
    ("turn on {device", "without '}'"),
    ("turn | on", "outside"),
    ("set {} to 5", "bad name"),
    ("[a|b", "never closed"),
])
def test_syntax_errors_say_where(bad, where):
    with pytest.raises(TemplateSyntaxError, match="column") as err:
        parse_template(bad)
    assert where in str(err.value)


def test_rules_expand_and_detect_recursion():
    rules = {"x": parse_template("a <y>"), "y": parse_template("b <x>")}
    with pytest.raises(TemplateSyntaxError, match="refers to itself"):
        expand_rules(parse_template("<x>"), rules)
    with pytest.raises(TemplateSyntaxError, match="unknown rule <nope>"):
        expand_rules(parse_template("<nope>"), {})


def number_slot(toks, start):
    return [(start + 1, int(toks[start]), 1.0)] if toks[start].isdigit() else []


def color_slot(toks, start):
    out = []
    if toks[start] == "red":
        out.append((start + 1, "red", 1.0))
    if toks[start:start + 2] == ("sky", "blue"):
        out.append((start + 2, "sky blue", 1.0))
    return out


def test_match_captures_slots_and_counts_literals():
    tree = parse_template("set [the] (light|lamp) to {color} [and] [{number:brightness} percent]")
    slots = {"color": color_slot, "number": number_slot}
    got = list(match(tree, words("set", "lamp", "to", "sky", "blue", "and", "40", "percent"), slots))
    assert len(got) == 1
    caps, literals = got[0]
    assert [(c[0], c[1]) for c in caps] == [("color", "sky blue"), ("brightness", 40)]
    assert literals == 5
    assert list(match(tree, words("set", "lamp", "to", "green"), slots)) == []
    assert list(match(tree, words("set", "lamp", "to", "red", "extra"), slots)) == []


def test_required_words_prefilter():
    tree = parse_template("(turn|switch) on [all] {device}")
    assert required_words(tree) == {"on"}
    assert required_words(parse_template("[a] (b c|b d)")) == {"b"}


def test_first_sets_prune_but_never_lose_a_match():
    tree = parse_template("(open|close) {device} [now]")
    first = FirstSets({"device": frozenset({"garage"})})
    slots = {"device": lambda toks, s: [(s + 2, "g", 1.0)] if toks[s:s + 2] == ("garage", "door") else []}
    assert len(list(match(tree, words("open", "garage", "door"), slots, first))) == 1
    assert list(match(tree, words("lock", "garage", "door"), slots, first)) == []


def _nodes(tree, seen):
    seen[id(tree)] = tree
    for child in getattr(tree, "items", ()) + getattr(tree, "options", ()):
        _nodes(child, seen)
    return seen


def test_shared_subtrees_are_one_object_and_match_as_before():
    rules = {"turn": parse_template("(turn|switch) [the]"), "where": parse_template("[in the] {area}")}
    table = {}
    texts = ("<turn> on {device} <where>", "<turn> off {device} <where>", "<turn> on {device} <where>")
    plain = [expand_rules(parse_template(t), rules) for t in texts]
    shared = [share(t, table) for t in plain]
    assert shared == plain  # the same values
    assert shared[0] is shared[2]  # the same sentence twice is one tree
    assert shared[0].items[0] is shared[1].items[0]  # "(turn|switch)" once for both
    everything = {}
    for tree in shared:
        _nodes(tree, everything)
    assert len(everything) == len(set(everything.values()))  # no two equal nodes left
    slots = {"device": lambda toks, s: [(s + 1, toks[s], 1.0)] if toks[s] == "fan" else [],
             "area": lambda toks, s: [(s + 1, toks[s], 1.0)] if toks[s] == "hall" else []}
    first = FirstSets({"device": frozenset({"fan"}), "area": frozenset({"hall"})})
    for toks in (words("switch", "off", "fan", "hall"), words("turn", "on", "fan", "in", "hall"),
                 words("turn", "on", "hall", "fan")):
        for before, after in zip(plain, shared):
            assert list(match(before, toks, slots)) == list(match(after, toks, slots, first))


def test_first_sets_keep_one_object_per_distinct_set():
    first = FirstSets({"device": frozenset({"fan", "lamp"})})
    a = parse_template("(turn|switch) on {device}")
    b = parse_template("(switch|turn) off {device}")  # other objects, the same starting words
    assert first.of(a)[0] == {"turn", "switch"}
    assert first.of(a)[0] is first.of(b)[0]
    assert first.of(Seq((Slot("device", "device"),)))[0] is first.slot_first["device"]
