"""Log routing: structured journal fields under systemd, readable stderr elsewhere."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from agent import logging_setup
from agent.logging_setup import FieldsFormatter, JournalFieldsHandler, configure_logging


def _record(level=logging.INFO, msg="turned on %s", args=("Kitchen Light",), **extra):
    record = logging.LogRecord("agent.daemon", level, __file__, 42, msg, args, None, func="act")
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_journal_handler_sends_structured_fields():
    sent = []
    handler = JournalFieldsHandler(site="demo", send=lambda msg, **f: sent.append((msg, f)))
    handler.emit(_record(intent="turn_on", device="light.kitchen", engine="template"))
    msg, fields = sent[0]
    assert msg == "turned on Kitchen Light"
    assert fields["SITE"] == "demo"
    assert fields["INTENT"] == "turn_on"
    assert fields["DEVICE"] == "light.kitchen"
    assert fields["ENGINE"] == "template"
    assert fields["PRIORITY"] == "6"
    assert fields["SYSLOG_IDENTIFIER"] == "voice-agent"
    assert fields["LOGGER"] == "agent.daemon"
    assert fields["CODE_LINE"] == 42
    assert "ERROR_CODE" not in fields
    # journald drops lower-case field names: none may be sent
    assert all(k == k.upper() for k in fields)


def test_journal_handler_error_code_priority_and_traceback():
    sent = []
    handler = JournalFieldsHandler(site="demo", send=lambda msg, **f: sent.append((msg, f)))
    try:
        raise OSError("connection refused")
    except OSError:
        record = _record(logging.ERROR, "broker unreachable", (), error_code="mqtt-unreachable",
                         site="garage")
        record.exc_info = sys.exc_info()
    handler.emit(record)
    _, fields = sent[0]
    assert fields["ERROR_CODE"] == "mqtt-unreachable"
    assert fields["SITE"] == "garage"          # a record's own site wins
    assert fields["PRIORITY"] == "3"
    assert "OSError: connection refused" in fields["EXCEPTION_TEXT"]


def test_journal_handler_uses_systemd_python():
    from systemd import journal
    assert JournalFieldsHandler().send is journal.send


def test_stderr_format_appends_fields():
    line = FieldsFormatter().format(_record(intent="turn_on", device="light.kitchen"))
    assert line == "INFO agent.daemon: turned on Kitchen Light [intent=turn_on device=light.kitchen]"


def test_stderr_to_journal_stream_gets_priority_prefixes():
    line = FieldsFormatter(prefix_priority=True).format(_record(logging.WARNING, "a\nb", ()))
    assert line == "<4>WARNING agent.daemon: a\n<4>b"


@pytest.mark.parametrize("env,expected", [
    ({}, False),
    ({"INVOCATION_ID": "0123456789abcdef0123456789abcdef"}, True),
    ({"JOURNAL_STREAM": "1:2"}, False),     # not our stderr
])
def test_under_systemd(env, expected):
    assert logging_setup.under_systemd(env) is expected


def _run_logging(tmp_path, env_extra, target="auto"):
    """Configure logging in a fresh interpreter whose stderr is a file; return the file's text."""
    err = tmp_path / "stderr.txt"
    code = ("import logging; from agent.logging_setup import configure_logging;"
            f"print(configure_logging(site='demo', target={target!r}, level='info'));"
            "logging.getLogger('agent.x').info('hello', extra={'intent': 'turn_on'})")
    with open(err, "wb") as fh:
        st = os.fstat(fh.fileno())
        env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
        env.update({k: v.replace("@self", f"{st.st_dev}:{st.st_ino}") for k, v in env_extra.items()})
        out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=fh,
                             env=env, cwd=os.path.dirname(os.path.dirname(__file__)), check=True)
    return out.stdout.decode().strip(), err.read_text()


def test_plain_stderr_outside_systemd(tmp_path):
    chosen, text = _run_logging(tmp_path, {})
    assert chosen == "stderr"
    assert text == "INFO agent.x: hello [intent=turn_on]\n"


@pytest.mark.skipif(logging_setup.JOURNAL_SOCKET.exists(), reason="journald runs here: logs go to it")
def test_journal_stream_without_journald_falls_back_with_priorities(tmp_path):
    chosen, text = _run_logging(tmp_path, {"JOURNAL_STREAM": "@self", "INVOCATION_ID": "ab" * 16})
    assert chosen == "stderr"
    assert "<4>WARNING agent.logging: logging to stderr:" in text
    assert "journald is not running" in text
    assert "<6>INFO agent.x: hello [intent=turn_on]" in text


def test_forced_stderr_under_systemd(tmp_path):
    chosen, text = _run_logging(tmp_path, {"INVOCATION_ID": "ab" * 16}, target="stderr")
    assert chosen == "stderr"
    assert "INFO agent.x: hello [intent=turn_on]" in text


def test_configure_logging_levels():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        assert configure_logging(target="stderr", level="warning", env={}) == "stderr"
        assert root.level == logging.WARNING
        configure_logging(target="stderr", level="info", verbose=1, env={})
        assert root.level == logging.DEBUG
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
