import pytest

from agent.normalize import tokens


@pytest.mark.parametrize("text,expected", [
    ("Turn ON the Kitchen-Light, please!", "turn on kitchen light"),
    ("set it to twenty one", "set it to 21"),
    ("twenty-one percent", "21 percent"),
    ("21%", "21 percent"),
    ("set to 20.5°", "set to 20.5 degrees"),
    ("72°F", "72 degrees fahrenheit"),
    ("one hundred and five", "105"),
    ("a hundred percent", "100 percent"),
    ("two point five", "2.5"),
    ("what's the PM2.5 level", "what is pm2.5 level"),
    ("can you turn my lights on in our living room?", "turn lights on in living room"),
    ("twelve ounce", "12 ounce"),
    ("each and every light", "each and every light"),
    ("which doors are locked right now?", "which doors are locked"),
    ("   ", ""),
    ("would you mind turning the heating down?", "turn heating down"),
    ("please help me switch off the fan", "switch off fan"),
    ("turning point", "turning point"),  # a gerund elsewhere is left alone
])
def test_tokens(text, expected):
    assert " ".join(tokens(text)) == expected


def test_fragment_keeps_leading_words():
    assert tokens("and every", fragment=True) == ("and", "every")
    assert tokens("and every") == ("every",)
