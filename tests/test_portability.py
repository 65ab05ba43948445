"""Portability: capability gaps of older libraries, locked-down hosts."""

from __future__ import annotations

import ctypes.util
import os
import textwrap
from typing import Any

import pytest

import ctypes_cares
from cares_helpers import run_python
from ctypes_cares import _lib, channel as channel_module
from ctypes_cares.errno import ARES_ENOTIMP


def test_missing_entry_point_is_enotimp_naming_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel_module, "caps", _lib.caps._replace(reinit=False))
    channel = ctypes_cares.Channel()
    with pytest.raises(ctypes_cares.AresError) as info:
        channel.reinit()
    channel.close()
    status, message = info.value.args
    assert status == ARES_ENOTIMP
    assert "1.22" in message and _lib.caps.version_str in message


@pytest.mark.skipif(_lib.caps.reinit, reason="the loaded library has ares_reinit")
def test_reinit_on_an_old_library_is_enotimp() -> None:
    channel = ctypes_cares.Channel()
    with pytest.raises(ctypes_cares.AresError) as info:
        channel.reinit()
    channel.close()
    assert info.value.args[0] == ARES_ENOTIMP


def test_servers_round_trip_on_every_library() -> None:
    channel = ctypes_cares.Channel(servers=["192.0.2.1", "[2001:db8::1]:5353", "192.0.2.2:5300"])
    assert channel.servers == ["192.0.2.1:53", "[2001:db8::1]:5353", "192.0.2.2:5300"]
    channel.servers = []
    assert channel.servers == [""]
    channel.close()


# -- locked-down hosts ------------------------------------------------------------------

MDWE_FILTER = """
import ctypes, errno, mmap

class scmp_arg_cmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]

def deny_write_execute():
    # What systemd's MemoryDenyWriteExecute= installs: no mapping that is writable and
    # executable at once, no turning memory executable afterwards.
    sc = ctypes.CDLL(SECCOMP)
    sc.seccomp_init.restype = ctypes.c_void_p
    sc.seccomp_init.argtypes = [ctypes.c_uint32]
    sc.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                          ctypes.c_uint, ctypes.POINTER(scmp_arg_cmp)]
    sc.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    sc.seccomp_load.argtypes = [ctypes.c_void_p]
    allow, deny, masked_eq = 0x7FFF0000, 0x00050000 | errno.EPERM, 7
    ctx = sc.seccomp_init(allow)
    w, x = mmap.PROT_WRITE, mmap.PROT_EXEC
    for name, mask in ((b"mmap", w | x), (b"mprotect", x), (b"pkey_mprotect", x)):
        rule = scmp_arg_cmp(2, masked_eq, mask, mask)
        assert sc.seccomp_rule_add_array(
            ctx, deny, sc.seccomp_syscall_resolve_name(name), 1, ctypes.byref(rule)) == 0
    assert sc.seccomp_load(ctx) == 0
    libc = ctypes.CDLL(None)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    p = libc.mmap(None, 4096, mmap.PROT_READ | w | x,
                  mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if p not in (None, ctypes.c_void_p(-1).value):
        print("FILTER-NOT-ENFORCED")
        raise SystemExit(0)
"""


def test_loads_and_resolves_without_writable_executable_memory(dns_server: Any) -> None:
    seccomp = ctypes.util.find_library("seccomp")
    if seccomp is None:
        pytest.skip("libseccomp is not installed")
    dns_server.add("locked.test", "A", "192.0.2.99")
    code = MDWE_FILTER.replace("SECCOMP", repr(seccomp)) + textwrap.dedent(
        """
        import sys, threading
        deny_write_execute()          # before the package (and its callbacks) exist
        import ctypes_cares
        done = threading.Event()
        out = []
        channel = ctypes_cares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=1)
        channel.query("locked.test", ctypes_cares.QUERY_TYPE_A,
                      callback=lambda r, e: (out.append((r, e)), done.set()))
        assert done.wait(10)
        result, error = out[0]
        print("RESOLVED", error, result.answer[0].data.addr)
        """
    )
    proc = run_python(code, dns_server.address)
    if "FILTER-NOT-ENFORCED" in proc.stdout:
        pytest.skip("this kernel does not enforce seccomp filters")
    assert proc.returncode == 0, proc.stderr
    assert "RESOLVED None 192.0.2.99" in proc.stdout


def test_no_closures_means_a_clear_import_error() -> None:
    # Where libffi cannot make closures, creating a callback raises MemoryError; the
    # package must turn that into an ImportError that says why, at import time.
    proc = run_python(
        """
        import ctypes
        real = ctypes.CFUNCTYPE
        def denied(*types):
            base = real(*types)
            class NoClosure(base):
                _argtypes_, _restype_, _flags_ = base._argtypes_, base._restype_, base._flags_
                def __init__(self, *args):
                    # (A function pointer made from an address needs no closure.)
                    if args and callable(args[0]):
                        raise MemoryError("Cannot allocate write+execute memory for ffi.closure")
            return NoClosure
        ctypes.CFUNCTYPE = denied
        try:
            import ctypes_cares
        except ImportError as exc:
            print("IMPORT-ERROR:", exc)
        else:
            print("IMPORTED")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "IMPORT-ERROR:" in proc.stdout, proc.stdout
    assert "writable+executable" in proc.stdout
    assert "MemoryDenyWriteExecute" in proc.stdout


def test_capability_listing_is_printable() -> None:
    text = ctypes_cares.capabilities.describe()
    assert text.splitlines()[0] == f"library: {_lib.caps.path}"
    assert f"c-ares version: {ctypes_cares.ARES_VERSION}" in text
    assert os.path.exists(_lib.caps.path)
