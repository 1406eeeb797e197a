"""Run a command under the unit file's kernel-level restrictions, without systemd.

systemd turns ``SystemCallFilter=``, ``SystemCallErrorNumber=``,
``MemoryDenyWriteExecute=`` and ``RestrictAddressFamilies=`` into seccomp filters and
``NoNewPrivileges=``/``CapabilityBoundingSet=`` into prctl calls. These are the settings
that can break a C library (llama.cpp, PortAudio, cffi callbacks), and none needs
systemd to apply: :func:`wrap` builds the same filters from the unit file (group names
expanded by ``systemd-analyze syscall-filter``) and applies them with libseccomp before
exec'ing the command, after ``setpriv`` dropped every capability.

Run as a script (``python tests/support/sandbox.py SPEC.json -- CMD...``) it is the
exec wrapper itself.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def unit_settings(unit: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    section = ""
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


@lru_cache(maxsize=None)
def expand_group(name: str) -> frozenset[str]:
    """The system calls in ``@group`` (nested groups expanded), as systemd knows them."""
    done = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True,
                          check=True)
    calls: set[str] = set()
    for line in done.stdout.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        calls |= expand_group(item) if item.startswith("@") else {item}
    return frozenset(calls)


def _names(words: str) -> set[str]:
    out: set[str] = set()
    for word in words.split():
        out |= set(expand_group(word)) if word.startswith("@") else {word}
    return out


def spec_from_unit(unit: Path) -> dict:
    """What the unit asks the kernel to enforce."""
    s = unit_settings(unit)
    allow: set[str] | None = None
    for value in s.get("SystemCallFilter", []):
        if value.startswith("~"):
            if allow is not None:
                allow -= _names(value[1:])
        else:
            allow = (allow or set()) | _names(value)
    err = s.get("SystemCallErrorNumber", ["EPERM"])[-1]
    families = None
    for value in s.get("RestrictAddressFamilies", []):
        families = [getattr(socket, f) for f in value.split()]
    return {
        "allow": sorted(allow) if allow is not None else None,
        "errno": getattr(errno, err),
        "mdwe": s.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes",
        "families": families,
        "no_caps": s.get("CapabilityBoundingSet", [None])[-1] == "",
    }


def wrap(argv: list[str], unit: Path, spec_dir: Path) -> list[str]:
    """``argv`` run under the unit's restrictions."""
    spec = spec_from_unit(unit)
    path = spec_dir / "sandbox-spec.json"
    path.write_text(json.dumps(spec))
    inner = [sys.executable, str(Path(__file__).resolve()), str(path), "--", *argv]
    if not spec["no_caps"]:
        return inner
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("setpriv (util-linux) is needed to drop capabilities")
    return [setpriv, "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", *inner]


# --------------------------------------------------------------------------- libseccomp

ACT_ALLOW = 0x7FFF0000
ACT_ERRNO = 0x00050000
CMP_EQ, CMP_MASKED_EQ = 4, 7
PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class _Seccomp:
    def __init__(self) -> None:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                               ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        self.lib = lib

    def filter(self, default: int, rules: list[tuple[str, int, list[tuple[int, int, int, int]]]]) -> None:
        """Load one filter: ``default`` action, then (syscall, action, comparisons) rules."""
        ctx = self.lib.seccomp_init(default)
        if not ctx:
            raise OSError("seccomp_init failed")
        try:
            for name, action, cmps in rules:
                nr = self.lib.seccomp_syscall_resolve_name(name.encode())
                if nr < 0:  # not a system call on this architecture
                    continue
                arr = (_ArgCmp * max(1, len(cmps)))(*[_ArgCmp(*c) for c in cmps])
                rc = self.lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr)
                if rc < 0 and rc != -errno.EEXIST:
                    raise OSError(-rc, f"seccomp_rule_add({name}) failed")
            rc = self.lib.seccomp_load(ctx)
            if rc < 0:
                raise OSError(-rc, "seccomp_load failed")
        finally:
            self.lib.seccomp_release(ctx)


def apply(spec: dict) -> None:
    sc = _Seccomp()
    if spec["mdwe"]:  # as systemd's seccomp_memory_deny_write_execute()
        eperm = ACT_ERRNO | errno.EPERM
        wx = PROT_WRITE | PROT_EXEC
        sc.filter(ACT_ALLOW, [
            ("mmap", eperm, [(2, CMP_MASKED_EQ, wx, wx)]),
            ("mmap2", eperm, [(2, CMP_MASKED_EQ, wx, wx)]),
            ("mprotect", eperm, [(2, CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
            ("pkey_mprotect", eperm, [(2, CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
            ("shmat", eperm, [(2, CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)]),
        ])
    if spec["families"] is not None:
        allowed = set(spec["families"])
        eafns = ACT_ERRNO | errno.EAFNOSUPPORT
        sc.filter(ACT_ALLOW, [("socket", eafns, [(0, CMP_EQ, fam, 0)])
                              for fam in range(0, 64) if fam not in allowed])
    if spec["allow"] is not None:  # last, like systemd: it may forbid seccomp() itself
        sc.filter(ACT_ERRNO | spec["errno"], [(n, ACT_ALLOW, []) for n in spec["allow"]])


def main(argv: list[str]) -> None:
    spec_path, sep, *cmd = argv
    if sep != "--" or not cmd:
        raise SystemExit("usage: python sandbox.py SPEC.json -- CMD...")
    apply(json.loads(Path(spec_path).read_text()))
    os.execvp(cmd[0], cmd)


def sandbox_works_here() -> str | None:
    """None when this kernel lets an unprivileged process load seccomp filters, else why not."""
    status = Path("/proc/self/status").read_text()
    if not re.search(r"^Seccomp:\s", status, re.M):
        return "the kernel has no seccomp"
    return None


if __name__ == "__main__":
    main(sys.argv[1:])

