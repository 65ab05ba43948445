"""The foundation: the wheel, loading the library, the prototype table, struct layouts."""

from __future__ import annotations

import typing
import ctypes
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

import ctypes_cares
from ctypes_cares import _cdefs, _lib, _loader

REPO = Path(__file__).resolve().parent.parent
VENDORED_INCLUDE = REPO / "c-ares" / "include"
CC = shutil.which("cc") or shutil.which("gcc")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("CARES_LIBRARY", None)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def compile_shared(tmp_path: Path, source: str, name: str = "libfake.so") -> Path:
    if CC is None:
        pytest.skip("no C compiler")
    src = tmp_path / "fake.c"
    src.write_text(source)
    out = tmp_path / name
    subprocess.run([CC, "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    return out


# -- which library ----------------------------------------------------------------


def test_bundled_library_is_the_one_loaded() -> None:
    assert "CARES_LIBRARY" not in os.environ or os.environ["CARES_LIBRARY"] == _lib.caps.path
    if "CARES_LIBRARY" not in os.environ:
        # The package's own, or (imported from a source tree) the installed distribution's.
        assert _lib.caps.path in _loader.candidate_paths()
        assert Path(_lib.caps.path).parent.name == "ctypes_cares"


# -- module facts ------------------------------------------------------------------


def test_versions_are_exposed() -> None:
    assert re.match(r"^\d+\.\d+\.\d+$", ctypes_cares.ARES_VERSION)
    assert ctypes_cares.ARES_VERSION == _lib.caps.version_str
    assert tuple(int(x) for x in ctypes_cares.ARES_VERSION.split(".")) == _lib.caps.version
    assert ctypes_cares.__version__.startswith("5.")
    assert _lib.caps.version >= _lib.MIN_VERSION


def test_capabilities_describe_every_fact() -> None:
    text = ctypes_cares.capabilities.describe()
    assert ctypes_cares.ARES_VERSION in text
    for field in _lib.Capabilities._fields[3:]:
        assert f"{field}: " in text


def test_bundled_library_has_every_capability() -> None:
    if os.environ.get("CARES_LIBRARY"):
        pytest.skip("testing another libcares")
    caps = _lib.caps
    assert caps.version == (1, 34, 9)
    assert all(getattr(caps, f) for f in _lib.Capabilities._fields[3:]), caps


# -- the security floor -----------------------------------------------------------


def test_an_outdated_library_gets_a_runtime_warning_naming_the_fixed_version() -> None:
    old = _lib.caps._replace(version=(1, 34, 8), version_str="1.34.8", path="/opt/libcares.so")
    with pytest.warns(RuntimeWarning) as record:
        _lib.warn_if_outdated(old)
    (warning,) = record
    message = str(warning.message)
    assert message.startswith(_lib.OUTDATED_WARNING)
    assert "1.34.9" in message and "/opt/libcares.so is c-ares 1.34.8" in message
    assert "CARES_LIBRARY" in message


@pytest.mark.parametrize("version", [(1, 34, 9), (1, 35, 0), (2, 0, 0)])
def test_a_current_library_gets_no_warning(version: tuple) -> None:
    _lib.warn_if_outdated(_lib.caps._replace(version=version))  # warnings are errors here


def test_the_security_floor_is_the_newest_known_and_the_bundled_meets_it() -> None:
    assert _lib.SECURITY_RELEASE >= (1, 34, 9)  # 1.34.9 (October 2026) fixes 9 advisories
    header = REPO / "c-ares" / "include" / "ares_version.h"
    if header.exists():
        match = re.search(r'define ARES_VERSION_STR\s+"([0-9.]+)"', header.read_text())
        assert match is not None
        assert tuple(map(int, match.group(1).split("."))) >= _lib.SECURITY_RELEASE


def test_import_warns_exactly_when_the_loaded_library_is_outdated() -> None:
    env = {"PYTHONWARNINGS": "default"}
    if os.environ.get("CARES_LIBRARY"):
        env["CARES_LIBRARY"] = os.environ["CARES_LIBRARY"]
    proc = run_python("import ctypes_cares", **env)
    assert proc.returncode == 0, proc.stderr
    if _lib.caps.version < _lib.SECURITY_RELEASE:
        assert "RuntimeWarning: " + _lib.OUTDATED_WARNING in proc.stderr, proc.stderr
        assert _lib.caps.version_str in proc.stderr
    else:
        assert proc.stderr == ""


# -- the prototype table -------------------------------------------------------------


def test_typed_functions_match_the_prototype_table() -> None:
    # The type checker sees lib's functions through Functions' annotations: the same
    # names in the same order as the table, each with the table's number of arguments.
    hints = typing.get_type_hints(_lib.Functions)
    assert list(hints) == [p.name for p in _lib.PROTOTYPES]
    for proto in _lib.PROTOTYPES:
        params, result = typing.get_args(hints[proto.name])
        assert len(params) == len(proto.argtypes), proto.name
        assert (result is type(None)) == (proto.restype is None), proto.name


def test_prototype_table_against_loaded_library() -> None:
    names = [p.name for p in _lib.PROTOTYPES]
    assert len(names) == len(set(names)), "a C function is declared twice"
    for proto in _lib.PROTOTYPES:
        fn = getattr(_lib.lib, proto.name)
        present = hasattr(_lib.dll, proto.name)
        if proto.since is None:
            assert fn is not None, proto.name
        if present:
            assert fn is not None, proto.name
            assert fn.restype is proto.restype, proto.name
            assert list(fn.argtypes) == list(proto.argtypes), proto.name
        else:
            assert fn is None, proto.name
            assert proto.since is not None and _lib.caps.version < proto.since, proto.name
        if proto.since is not None and _lib.caps.version >= proto.since:
            assert present, f"{proto.name} should exist since {proto.since}"


def test_every_pointer_returning_function_has_a_pointer_restype() -> None:
    # The default int restype would truncate pointers on 64-bit platforms.
    for proto in _lib.PROTOTYPES:
        assert proto.restype is not ctypes.c_int or not proto.name.startswith(
            ("ares_get_servers_csv", "ares_timeout", "ares_dns_rr_get_bin", "ares_dns_rr_get_abin")
        )


def test_bind_reports_every_missing_symbol_at_once() -> None:
    table = (
        _lib.Proto("ares_version", ctypes.c_char_p, [ctypes.POINTER(ctypes.c_int)]),
        _lib.Proto("ares_no_such_function_a", None, []),
        _lib.Proto("ares_no_such_function_b", None, []),
        _lib.Proto("ares_optional_missing", None, [], (9, 0, 0)),
    )
    with pytest.raises(ImportError) as info:
        _lib.bind(_lib.dll, table)
    assert "ares_no_such_function_a" in str(info.value)
    assert "ares_no_such_function_b" in str(info.value)
    assert "ares_optional_missing" not in str(info.value)


# -- loading through CARES_LIBRARY -------------------------------------------------


def test_cares_library_good_path() -> None:
    proc = run_python(
        "import ctypes_cares as c; print(c.capabilities.path); print(c.ARES_VERSION)",
        CARES_LIBRARY=_lib.caps.path,
    )
    assert proc.returncode == 0, proc.stderr
    path, version = proc.stdout.split()
    assert path == _lib.caps.path
    assert version == ctypes_cares.ARES_VERSION


def import_error(**env: str) -> str:
    proc = run_python(
        """
        try:
            import ctypes_cares
        except ImportError as exc:
            print(exc)
        else:
            print('IMPORTED')
        """,
        **env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED" not in proc.stdout
    return proc.stdout


def test_cares_library_missing_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope" / "libcares.so")
    message = import_error(CARES_LIBRARY=missing)
    assert missing in message
    assert "CARES_LIBRARY" in message
    assert "No such file" in message or "cannot open" in message


def test_cares_library_not_a_library(tmp_path: Path) -> None:
    bogus = tmp_path / "libcares.so"
    bogus.write_text("this is not an ELF file\n")
    message = import_error(CARES_LIBRARY=str(bogus))
    assert str(bogus) in message
    assert "CARES_LIBRARY" in message


def test_cares_library_missing_symbols(tmp_path: Path) -> None:
    fake = compile_shared(
        tmp_path,
        """
        const char *ares_version(int *v) { if (v) *v = 0x012209; return "1.34.9"; }
        int ares_library_init(int flags) { return 0; }
        """,
    )
    message = import_error(CARES_LIBRARY=str(fake))
    assert "ares_init_options" in message and "ares_destroy" in message
    assert "ares_version" not in message.split("lacks", 1)[1]


def test_cares_library_too_old(tmp_path: Path) -> None:
    # Every required symbol present, but the version is 1.16.1.
    required = [p.name for p in _lib.PROTOTYPES if p.since is None]
    stubs = "\n".join(
        f"void {name}(void) {{}}" for name in required if name not in ("ares_version",)
    )
    fake = compile_shared(
        tmp_path,
        'const char *ares_version(int *v) { if (v) *v = 0x011001; return "1.16.1"; }\n' + stubs,
    )
    message = import_error(CARES_LIBRARY=str(fake))
    assert "1.16.1" in message
    assert "1.17.0" in message


def test_load_library_lists_every_path_tried(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a.so"), str(tmp_path / "b.so")
    with pytest.raises(ImportError) as info:
        _loader.load_library([a, b])
    assert a in str(info.value) and b in str(info.value)


# -- struct layouts against the vendored headers -------------------------------------


def render_ares_build_h() -> str:
    """ares_build.h as CMake would configure it on this POSIX platform."""
    text = (VENDORED_INCLUDE / "ares_build.h.cmake").read_text()
    text = text.replace("@CARES_TYPEOF_ARES_SOCKLEN_T@", "socklen_t")
    text = text.replace("@CARES_TYPEOF_ARES_SSIZE_T@", "ssize_t")
    posix = ("CARES_HAVE_SYS_TYPES_H", "CARES_HAVE_SYS_SOCKET_H", "CARES_HAVE_SYS_SELECT_H")

    def define(match: "re.Match[str]") -> str:
        name = match.group(1)
        return f"#define {name} 1" if name in posix else f"/* #undef {name} */"

    return re.sub(r"#cmakedefine (\w+)", define, text)


LAYOUTS: Dict[str, tuple] = {
    # C struct name: (ctypes struct, [fields])
    "struct ares_options": (_cdefs.ares_options, [f[0] for f in _cdefs.ares_options._fields_]),
    "struct ares_server_failover_options": (
        _cdefs.ares_server_failover_options,
        ["retry_chance", "retry_delay"],
    ),
    "struct ares_addrinfo_node": (
        _cdefs.ares_addrinfo_node,
        [f[0] for f in _cdefs.ares_addrinfo_node._fields_],
    ),
    "struct ares_addrinfo_cname": (
        _cdefs.ares_addrinfo_cname,
        [f[0] for f in _cdefs.ares_addrinfo_cname._fields_],
    ),
    "struct ares_addrinfo_hints": (
        _cdefs.ares_addrinfo_hints,
        [f[0] for f in _cdefs.ares_addrinfo_hints._fields_],
    ),
    "struct ares_addr_port_node": (
        _cdefs.ares_addr_port_node,
        [f[0] for f in _cdefs.ares_addr_port_node._fields_],
    ),
    "struct ares_in6_addr": (_cdefs.ares_in6_addr, []),
    "struct hostent": (_cdefs.hostent, [f[0] for f in _cdefs.hostent._fields_]),
    "struct sockaddr_in": (_cdefs.sockaddr_in, ["sin_family", "sin_port", "sin_addr"]),
    "struct sockaddr_in6": (
        _cdefs.sockaddr_in6,
        ["sin6_family", "sin6_port", "sin6_flowinfo", "sin6_addr", "sin6_scope_id"],
    ),
    "struct timeval": (_cdefs.timeval, ["tv_sec", "tv_usec"]),
}


def header_dirs(tmp_path: Path) -> List[str]:
    """Include directories for the library under test.

    CARES_INCLUDE names the headers of a CARES_LIBRARY (configured ares_build.h included);
    otherwise the vendored headers are used, with ares_build.h rendered as CMake would.
    """
    if CC is None:
        pytest.skip("no C compiler")
    if os.environ.get("CARES_INCLUDE"):
        return [os.environ["CARES_INCLUDE"]]
    if os.environ.get("CARES_LIBRARY"):
        pytest.skip("CARES_LIBRARY is set without CARES_INCLUDE (its headers)")
    if not VENDORED_INCLUDE.is_dir():
        pytest.skip("the vendored c-ares headers are not next to the tests")
    (tmp_path / "ares_build.h").write_text(render_ares_build_h())
    return [str(tmp_path), str(VENDORED_INCLUDE)]


def declared_fields(include: List[str], cname: str, fields: List[str]) -> List[str]:
    """The fields of ``cname`` that this version of ares.h declares (older ones lack some)."""
    if not cname.startswith("struct ares_"):
        return fields
    header = next(Path(d) / "ares.h" for d in include if (Path(d) / "ares.h").exists()).read_text()
    match = re.search(re.escape(cname) + r"\s*\{(.*?)\n\};", header, re.S)
    if match is None:
        return []
    body = match.group(1)
    return [f for f in fields if re.search(r"[\s*]" + re.escape(f) + r"\s*(;|\[)", body)]


def probe_layouts(tmp_path: Path) -> Dict[str, int]:
    include = header_dirs(tmp_path)
    lines: List[str] = []
    for cname, (_, fields) in LAYOUTS.items():
        key = cname.split()[-1]
        present = declared_fields(include, cname, fields)
        if cname != "struct ares_in6_addr" and not present:
            continue  # this version has no such struct
        lines.append(f'printf("{key} %zu\\n", sizeof({cname}));')
        for field in present:
            lines.append(f'printf("{key}.{field} %zu\\n", offsetof({cname}, {field}));')
    source = (
        "#include <stddef.h>\n#include <stdio.h>\n#include <netdb.h>\n"
        "#include <netinet/in.h>\n#include <sys/time.h>\n#include <ares.h>\n"
        "int main(void) {\n" + "\n".join(lines) + "\nreturn 0; }\n"
    )
    (tmp_path / "probe.c").write_text(source)
    exe = tmp_path / "probe"
    flags = [arg for d in include for arg in ("-I", d)]
    subprocess.run(
        [CC, *flags, "-o", str(exe), str(tmp_path / "probe.c")], check=True, capture_output=True
    )
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


def test_struct_layouts_match_vendored_headers(tmp_path: Path) -> None:
    measured = probe_layouts(tmp_path)
    for cname, (ctype, fields) in LAYOUTS.items():
        key = cname.split()[-1]
        present = [f for f in fields if f"{key}.{f}" in measured]
        if key not in measured:
            continue
        if present == fields:  # an older, shorter struct is a prefix of ours
            assert ctypes.sizeof(ctype) == measured[key], cname
        for field in present:
            assert getattr(ctype, field).offset == measured[f"{key}.{field}"], f"{cname}.{field}"
    assert "ares_addrinfo_node.ai_addr" in measured and "ares_options.sock_state_cb" in measured


def test_addrinfo_prefix_layout(tmp_path: Path) -> None:
    # struct ares_addrinfo is declared as its 1.16-compatible prefix (cnames, nodes).
    include = header_dirs(tmp_path)
    (tmp_path / "p.c").write_text(
        "#include <stddef.h>\n#include <stdio.h>\n#include <ares.h>\nint main(void){"
        'printf("%zu %zu\\n", offsetof(struct ares_addrinfo, cnames),'
        " offsetof(struct ares_addrinfo, nodes)); return 0; }\n"
    )
    flags = [arg for d in include for arg in ("-I", d)]
    subprocess.run(
        [CC, *flags, "-o", str(tmp_path / "p"), str(tmp_path / "p.c")], check=True, capture_output=True
    )
    out = subprocess.run([str(tmp_path / "p")], check=True, capture_output=True, text=True).stdout
    cnames, nodes = map(int, out.split())
    assert _cdefs.ares_addrinfo.cnames.offset == cnames
    assert _cdefs.ares_addrinfo.nodes.offset == nodes


# -- one real query --------------------------------------------------------------------


def test_one_real_a_query(dns_server) -> None:  # type: ignore[no-untyped-def]
    dns_server.add("foundation.test", "A", "192.0.2.7", ttl=123)
    channel = ctypes_cares.Channel(servers=[dns_server.address], timeout=2.0, tries=1)
    results: List[tuple] = []
    channel.query("foundation.test", ctypes_cares.QUERY_TYPE_A, callback=lambda r, e: results.append((r, e)))
    assert channel.wait(10)
    channel.close()
    (result, error), = results
    assert error is None
    (record,) = result.answer
    assert (record.name, record.type, record.record_class, record.ttl) == ("foundation.test", 1, 1, 123)
    assert record.data.addr == "192.0.2.7"
    assert [q.name for q in dns_server.queries] == ["foundation.test"]



# -- helpers outside pycares 5's __all__ ------------------------------------------------


def test_reverse_address_and_threadsafety() -> None:
    assert ctypes_cares.reverse_address("192.0.2.1") == "1.2.0.192.in-addr.arpa"
    assert ctypes_cares.reverse_address("2001:db8::1") == (
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    )
    for bad in ("192.0.2", "nope", "1.2.3.4\x00"):
        with pytest.raises(ValueError, match="invalid IP address"):
            ctypes_cares.reverse_address(bad)
    assert ctypes_cares.ares_threadsafety() is _lib.caps.threadsafe
    assert "reverse_address" not in ctypes_cares.__all__


def test_copy_bytes_reads_c_memory_every_way_it_is_given() -> None:
    data = bytes(range(256)) * 4
    buffer = ctypes.create_string_buffer(data, len(data))
    address = ctypes.addressof(buffer)
    assert _lib.copy_bytes(address, len(data)) == data  # the fast path
    assert _lib.copy_bytes(address + 7, 3) == data[7:10]
    assert _lib.copy_bytes(ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ubyte)), 5) == data[:5]
    assert _lib.copy_bytes(address + 1) == data[1:256]  # NUL-terminated
    layout = struct.Struct("@iPH")
    packed = ctypes.create_string_buffer(layout.pack(-5, address, 65535), layout.size)
    assert _lib.read_struct(layout, ctypes.addressof(packed)) == (-5, address, 65535)


def test_copy_bytes_past_the_fast_window_takes_the_slow_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # A window that ends before the address (as on a platform whose addresses lie above
    # it) gives a short slice: the copy must still be whole.
    data = b"answer bytes"
    buffer = ctypes.create_string_buffer(data, len(data))
    if _lib._MEMORY is not None:
        monkeypatch.setattr(_lib, "_MEMORY", (ctypes.c_char * 16).from_address(0))
    assert _lib.copy_bytes(ctypes.addressof(buffer), len(data)) == data
