"""``voice-agent check``: validate config and intent files; print a summary."""

from __future__ import annotations

import argparse
import collections
import importlib.util
from pathlib import Path

from ..acting.planner import ActionPlanner
from ..acting.state import StateStore
from ..config import Config
from ..errors import AgentError, ConfigError
from ..mqtt import read_password
from ..service import read_service_config
from ..understanding.intents import IntentSet, load_intents
from ..understanding.template_engine import TemplateEngine
from ._common import add_config_arg, config_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate the config and intent files and print a summary")
    add_config_arg(p)
    p.add_argument("--offline", action="store_true",
                   help="with discovery: do not ask the broker what it would add now")
    p.set_defaults(func=run)


def runtime_problems(config: Config, intents: IntentSet, engine: TemplateEngine) -> list[str]:
    """What ``run`` would refuse at start beyond the config's own shape: action and topic
    templates, broker credentials and certificates, the audio, speech, activation and
    service sections, the reply templates and the voice, and the models they name (found,
    never loaded)."""
    problems: list[str] = []

    def attempt(step) -> None:
        try:
            step()
        except AgentError as exc:
            problems.extend(exc.problems if isinstance(exc, ConfigError) else [f"[{exc.code}] {exc}"])

    attempt(lambda: ActionPlanner(config, StateStore(config), intents))
    attempt(lambda: read_password(config.mqtt))
    tls = config.mqtt.tls
    if tls is not None:
        problems += [f"mqtt.tls.{k}: {p} not found; fix the path"
                     for k, p in (("ca", tls.ca), ("cert", tls.cert), ("key", tls.key)) if p and not Path(p).is_file()]
    attempt(lambda: read_service_config(config))
    sections = config.sections
    if "asr" in sections and "audio" not in sections:
        problems.append(f"{config.path}: asr: is set but there is no 'audio:' section, so nothing is ever "
                        "heard (only text over MQTT); add 'audio: {input: mic}' or remove 'asr:'")
    if "activation" in sections:
        from ..activation import read_activation
        attempt(lambda: read_activation(config))
    if "audio" in sections or "asr" in sections:
        from ..asr import build_asr, read_asr
        from ..audio.settings import read_audio
        attempt(lambda: read_audio(config))
        attempt(lambda: need_package(*{"whisper": ("faster_whisper", "asr.engine: whisper", "whisper")}.get(
            read_asr(config).engine, ("vosk", "asr.engine: vosk", "audio"))))
        attempt(lambda: build_asr(config, read_asr(config), engine))
        attempt(lambda: wake_model(config))
    if "discovery" in sections or "homeassistant" in sections:
        from ..discovery.settings import read_announce, read_discovery
        attempt(lambda: read_discovery(config))
        attempt(lambda: read_announce(config))
    from ..voice.replies import ReplyBook
    attempt(lambda: ReplyBook(intents, config.language))
    if "voice" in sections:
        from ..voice.settings import read_voice
        from ..voice.voices import check_voice
        attempt(lambda: check_voice(read_voice(config)))
    if config.understanding.slm.enabled:
        from ..slm.models import find_adapter, find_gguf
        slm = config.understanding.slm
        attempt(lambda: need_package("llama_cpp", "understanding.slm.enabled: true", "slm"))
        attempt(lambda: find_gguf(slm.model))
        attempt(lambda: find_adapter(slm.model, slm.adapter))
    return list(dict.fromkeys(problems))


def need_package(module: str, what: str, extra: str) -> None:
    """:class:`ConfigError` when the Python package ``run`` would import for ``what`` is not
    installed (found without importing it)."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError([f"{what} needs the Python package {module!r}, which is not installed; install "
                           f"it with ./install.sh (or .venv/bin/pip install -e '.[{extra}]')"])


def wake_model(config: Config) -> Path | None:
    """The Vosk model that spots the wake phrase, found (never loaded); None without one."""
    from ..activation import read_activation
    from ..asr import read_asr
    from ..models import resolve
    activation = read_activation(config)
    if activation.mode != "wake":
        return None
    asr = read_asr(config)
    model = activation.wake_model or (asr.model_name if asr.engine == "vosk" else "")
    if not model:
        raise ConfigError([f"{config.path}: activation: the wake phrase is spotted by a Vosk model, and "
                           f"asr uses {asr.engine}; set activation.wake_model (e.g. vosk-small-en-us, "
                           "fetched with: voice-agent models download vosk-small-en-us)"])
    return resolve(model, "vosk", asr.models_dir)


def check_all(config: Config) -> tuple[IntentSet, TemplateEngine]:
    """Everything ``check`` refuses, raised as one :class:`ConfigError` (``install-service``
    runs the same before it installs anything)."""
    intents = load_intents(config.intents)
    engine = TemplateEngine(config, intents)  # compiles every template against the registry
    problems = runtime_problems(config, intents, engine)
    if problems:
        raise ConfigError(problems)
    return intents, engine


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    intents, _ = check_all(config)
    types = collections.Counter(d.type for d in config.devices)
    confirm = [d.id for d in config.devices if d.confirm]
    no_mqtt = [d.id for d in config.devices if d.mqtt is None and d.type not in ("sensor", "binary_sensor", "person")]
    print(f"config {config.path}: OK")
    print(f"  site: {config.site}" + (f" (in area {config.area})" if config.area else ""))
    print(f"  broker: {config.mqtt.host}:{config.mqtt.port}  events: {config.mqtt.prefix}/{config.site}/...")
    print(f"  floors: {len(config.floors)}  areas: {len(config.areas)}  devices: {len(config.devices)} "
          f"({', '.join(f'{n} {t}' for t, n in types.most_common())})")
    print(f"  intent files: {len(intents.files)}  intents: {len(intents.intents)}  "
          f"templates: {intents.template_count}  lists: {len(intents.lists)}")
    if confirm:
        print(f"  confirmation required for: {', '.join(confirm)}")
    if no_mqtt:
        print(f"  note: no mqtt settings (understood but nothing is published) for: {', '.join(no_mqtt)}")
    from ..discovery.preview import check_lines
    for line in check_lines(config, broker=not getattr(args, "offline", False)):
        print(line)
    return 0
