"""A private NSD on 127.0.0.1 serving the benchmark zone, for the length of one run.

``NSDServer`` writes its own config and zone into a temporary directory, starts Debian's
``nsd`` binary directly (never through systemctl, so a system NSD service is left alone)
on a free port, waits until it answers, and stops it by pid. No chroot, no privilege
drop, no remote control, one server process.

Stopping is guaranteed three ways: the context manager's ``__exit__`` (exceptions and
Ctrl-C in the runner), an ``atexit`` hook (any other interpreter exit), and NSD runs in a
session of its own, so a Ctrl-C in the terminal reaches only the runner, which then
stops NSD in order instead of NSD dying half-way through a measurement.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from workloads import ZONE, ZONE_RECORDS

# The default TTL of every record. 0 keeps c-ares's query cache (on by default since
# 1.31) from storing anything: it refuses TTL-0 answers. Each query asks a new name, so
# the cache would never hit anyway; with a TTL it would only fill up (about 2 KiB per
# 1-record answer, 5 KiB per 20-record one, in both clients alike) and dominate peak RSS.
DEFAULT_TTL = 0


def find_nsd(install: bool = True) -> str:
    """The path of the ``nsd`` binary; installs Debian's package first if root allows."""
    for candidate in (shutil.which("nsd"), "/usr/sbin/nsd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        print("== nsd not found: apt-get install -y nsd", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        # 'update' first: on a fresh machine the package lists may be empty.
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nsd"], check=True, env=env)
        if os.access("/usr/sbin/nsd", os.X_OK):
            return "/usr/sbin/nsd"
    raise RuntimeError(
        "nsd is not installed; install it (Debian: apt-get install nsd) or run as root "
        "so the runner can install it"
    )


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (NSD binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on 127.0.0.1 for both UDP and TCP")


def zone_text(ttl: int = DEFAULT_TTL) -> str:
    lines = [
        f"$ORIGIN {ZONE}.",
        f"$TTL {ttl}",
        f"@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 900 604800 {ttl}",
        f"@ IN NS ns.{ZONE}.",
    ]
    lines += [f"{owner} IN {rtype} {rdata}" for owner, rtype, rdata in ZONE_RECORDS]
    return "\n".join(lines) + "\n"


def config_text(directory: Path, port: int) -> str:
    d = str(directory)
    return f"""\
server:
    ip-address: 127.0.0.1
    port: {port}
    do-ip4: yes
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    verbosity: 1
    hide-version: yes
    round-robin: no
    reuseport: no
    # Response rate limiting would throttle us: every answer here is synthesised from
    # a few wildcards, so all 20,000 answers fall into one RRL bucket.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "{ZONE}"
    zonefile: "{d}/{ZONE}.zone"
"""


def _probe_query(name: str, query_id: int) -> bytes:
    header = struct.pack("!HHHHHH", query_id, 0x0000, 1, 0, 0, 0)
    qname = b"".join(bytes([len(p)]) + p.encode("ascii") for p in name.split(".")) + b"\0"
    return header + qname + struct.pack("!HH", 1, 1)


def answers(port: int, name: str, timeout: float = 0.5) -> bool:
    """True if the server on 127.0.0.1:port gives a NOERROR answer with records for name."""
    query_id = int.from_bytes(os.urandom(2), "big")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(_probe_query(name, query_id), ("127.0.0.1", port))
            reply = sock.recv(4096)
        except OSError:  # timeout, or ECONNREFUSED while nothing listens yet
            return False
    if len(reply) < 12:
        return False
    reply_id, flags, _qd, ancount = struct.unpack("!HHHH", reply[:8])
    return reply_id == query_id and flags & 0x000F == 0 and ancount > 0


def _become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so nsd's children can be reaped here.

    nsd's server child can outlive the main process by a moment; orphans go to the
    nearest subreaper, else pid 1, and a container's pid 1 often never reaps them.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_group(pgid: int, timeout: float = 5.0) -> None:
    """Wait for the adopted members of process group pgid (nsd's children), no others."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _status = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return  # none left (or we are no subreaper, and pid 1 has them)
        if pid == 0:
            time.sleep(0.02)


class NSDServer:
    """``with NSDServer() as nsd: ... nsd.port ...``: a running NSD, stopped on exit."""

    def __init__(
        self, nsd: str | None = None, ttl: int = DEFAULT_TTL, keep_dir: bool = False,
        port: int | None = None,
    ) -> None:
        self.binary = nsd or find_nsd()
        self.fixed_port = port  # None: a free one (hooks.py needs 53, for the system resolver)
        self.ttl = ttl
        self.keep_dir = keep_dir
        self.directory: Path | None = None
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, attempts: int = 3) -> NSDServer:
        self.directory = Path(tempfile.mkdtemp(prefix="ctypes-cares-bench-nsd-"))
        (self.directory / f"{ZONE}.zone").write_text(zone_text(self.ttl))
        atexit.register(self.stop)
        _become_subreaper()
        for _attempt in range(attempts):
            # The port may be taken between free_port() and nsd's bind: then try another.
            self.port = self.fixed_port or free_port()
            config = self.directory / "nsd.conf"
            config.write_text(config_text(self.directory, self.port))
            out = open(self.directory / "nsd.out", "wb")
            with out:
                self.process = subprocess.Popen(
                    [self.binary, "-d", "-c", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_ready():
                return self
            self._terminate()
        raise RuntimeError(f"nsd did not start after {attempts} attempts:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            if answers(self.port, f"ready.a.{ZONE}"):
                return True
            time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 30) -> str:
        if self.directory is None:
            return ""
        text = []
        for name in ("nsd.out", "nsd.log"):
            path = self.directory / name
            if path.exists():
                text += [f"--- {name}"] + path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text)

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGTERM to the main nsd process: it stops its server and xfrd children itself.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # The session nsd started in is its own process group (pgid == its pid):
            # kill that group, which holds only nsd's own children.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        _reap_group(process.pid)

    def stop(self) -> None:
        self._terminate()
        if self.directory is not None and not self.keep_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> NSDServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
