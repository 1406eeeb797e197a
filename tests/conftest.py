"""Shared test helpers. Stage-specific fixtures live in tests/support/."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def demo_config():
    from agent.config import load_config
    return load_config(ROOT / "config" / "demo.yaml")


@pytest.fixture(scope="session")
def demo_engine(demo_config):
    from agent.understanding.template_engine import TemplateEngine
    return TemplateEngine(demo_config)


@pytest.fixture()
def broker(tmp_path):
    """A real Mosquitto on a free loopback port, for one test."""
    from tests.support.broker import Broker
    b = Broker(tmp_path / "broker").start()
    yield b
    b.kill()


@pytest.fixture()
def recorder(broker):
    """A subscriber on that broker recording everything published."""
    from tests.support.broker import Recorder
    r = Recorder(broker).start()
    yield r
    r.stop()

