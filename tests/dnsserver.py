"""An in-process authoritative DNS server for the tests: no test ever touches the internet.

One :class:`DNSServer` listens on UDP and TCP on the same port of 127.0.0.1 (or ``::1``)
and answers from zone data the test adds (:meth:`DNSServer.add`), with fault modes
(:meth:`DNSServer.set_fault`) and a log of every query seen (:attr:`DNSServer.queries`).
The message helpers it uses live in ``dnswire``, where tests that build their own,
possibly malformed, replies and decode what they get import them from. Stdlib only.
"""

from __future__ import annotations

import functools
import heapq
import ipaddress
import selectors
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Union

from dnswire import (
    EDNS_DO,
    EDNS_PAYLOAD,
    FAULT_MODES,
    Labels,
    Message,
    NameLike,
    RCODES,
    RR,
    _MAX_CNAME_HOPS,
    _key,
    build_message,
    name_to_text,
    parse_message,
    parse_name,
    patch_id,
    type_code,
)

# --------------------------------------------------------------------------- server

class Query(NamedTuple):
    """One query the server received."""

    name: str  # presentation form, no trailing dot, case as received
    qtype: int
    qclass: int
    transport: str  # "udp" or "tcp"
    id: int
    rd: bool
    edns: bool
    raw: bytes = b""
    udp_size: int = 0  # the payload size the OPT record advertised (0: no OPT)
    dnssec_ok: bool = False  # the OPT record's DO bit
    cd: bool = False
    port: int = 0  # the client's source port


class _Fault:
    def __init__(self, mode: str, name: Optional[NameLike], qtype: Optional[Union[int, str]],
                 transport: Optional[str], count: Optional[int], opts: Dict[str, Any]) -> None:
        self.mode = mode
        self.key = None if name is None else _key(parse_name(name))
        self.qtype = None if qtype is None else type_code(qtype)
        self.transport = "udp" if mode == "truncate" else transport
        self.remaining = count
        self.opts = opts

    def matches(self, key: Labels, qtype: int, transport: str) -> bool:
        return ((self.key is None or self.key == key) and (self.qtype in (None, qtype))
                and self.transport in (None, transport) and self.remaining != 0)


class _Conn:
    """One TCP client: bytes read but not yet framed, bytes not yet sent."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.closed = False


class DNSServer:
    """Authoritative DNS server on UDP and TCP of one port, in a daemon thread.

    ``with DNSServer() as server: server.add("www.example", "A", "10.0.0.1")`` then point
    a resolver at ``server.address``. Everything a test calls is thread-safe.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        self._port = port
        self._lock = threading.RLock()
        self._logged = threading.Condition(self._lock)
        self._thread: Optional[threading.Thread] = None
        self._udp: Optional[socket.socket] = None
        self._tcp: Optional[socket.socket] = None
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None
        self._stopping = False
        self._sync_waiters: List[threading.Event] = []
        self._timers: List[Tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = 0
        self._release = False  # release_delayed() asked: fire every timer now
        self._conns: List[_Conn] = []
        self.errors: List[BaseException] = []  # exceptions raised while serving
        self.died: Optional[BaseException] = None  # what ended the server thread, if anything
        self._zone: Dict[Labels, List[RR]] = {}  # zone and below: set by reset()
        self._attached: Dict[str, Dict[Labels, List[RR]]] = {}
        self._soa: Optional[RR] = None
        self._faults: List[_Fault] = []
        self._log: List[Query] = []
        self._compress = True
        self._authentic = False
        self._generation = 0
        self.reset()

    # -- lifecycle
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        """``"127.0.0.1:PORT"`` or ``"[::1]:PORT"``: the form c-ares' servers CSV accepts."""
        if self._family == socket.AF_INET6:
            return f"[{self._host}]:{self._port}"
        return f"{self._host}:{self._port}"

    def start(self) -> "DNSServer":
        """Bind UDP and TCP to one port and start serving; returns self."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._udp, self._tcp = self._bind()
        self._wake_r, self._wake_w = socket.socketpair()
        for sock in (self._udp, self._tcp, self._wake_r, self._wake_w):
            sock.setblocking(False)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"DNSServer:{self._port}",
                                        daemon=True)
        self._thread.start()
        return self

    def _bind(self) -> Tuple[socket.socket, socket.socket]:
        last: Optional[OSError] = None
        for _ in range(1 if self._port else 50):
            udp = socket.socket(self._family, socket.SOCK_DGRAM)
            tcp = socket.socket(self._family, socket.SOCK_STREAM)
            try:
                udp.bind((self._host, self._port))
                port = udp.getsockname()[1]
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((self._host, port))
                tcp.listen(64)
            except OSError as exc:
                udp.close()
                tcp.close()
                last = exc
                continue
            self._port = port
            return udp, tcp
        raise OSError(f"cannot bind UDP and TCP to one port on {self._host}: {last}")

    def stop(self) -> None:
        """Close the sockets and join the thread; safe to call twice."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._wake()
        thread.join(10)
        self._thread = None

    def __enter__(self) -> "DNSServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wake(self) -> None:
        try:
            if self._wake_w is not None:
                self._wake_w.send(b"x")
        except OSError:
            pass  # buffer full: the loop is awake anyway

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the server thread has handled every datagram already delivered to it.

        False if it did not get there within ``timeout`` (see :meth:`health`).
        """
        if self._thread is None or threading.current_thread() is self._thread:
            return True
        deadline = time.monotonic() + timeout
        event = threading.Event()
        if not self._lock.acquire(timeout=timeout):  # held by a stuck server thread
            return False
        try:
            self._sync_waiters.append(event)
        finally:
            self._lock.release()
        self._wake()
        return event.wait(max(0.0, deadline - time.monotonic()))

    def health(self, timeout: float = 5.0) -> Optional[str]:
        """None while the server thread is alive and responsive; else what is wrong with
        it, including where it is stuck, for a test failure that names the cause."""
        thread = self._thread
        if thread is None:
            return None
        if not thread.is_alive():
            return f"the server thread died: {self.died!r}"
        if self.sync(timeout):
            return None
        frame = sys._current_frames().get(thread.ident or 0)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "?"
        return f"the server thread has not come round its loop for {timeout} s; it is at:\n{stack}"

    # -- zone data
    def add(self, name: NameLike, rtype: Union[int, str], data: Any, ttl: int = 300,
            rclass: int = 1, section: str = "answer") -> RR:
        """Add an RR: to the zone (``section="answer"``), or attach it to the authority or
        additional section of every response that visits ``name``.

        A name with RRs of any section, or with names below it, exists: NODATA, not NXDOMAIN.
        """
        if section not in ("answer", "authority", "additional"):
            raise ValueError(f"bad section {section!r}")
        rr = RR(name, rtype, data, ttl, rclass)
        with self._lock:
            table = self._zone if section == "answer" else self._attached[section]
            table.setdefault(_key(rr.name), []).append(rr)
        return rr

    def set_soa(self, name: NameLike = "example", mname: NameLike = "ns.example",
                rname: NameLike = "hostmaster.example", serial: int = 1, refresh: int = 3600,
                retry: int = 600, expire: int = 86400, minimum: int = 300, ttl: int = 300) -> RR:
        """Set the SOA sent in the authority section of NXDOMAIN and NODATA responses."""
        rr = RR(name, "SOA", (mname, rname, serial, refresh, retry, expire, minimum), ttl)
        with self._lock:
            self._soa = rr
        return rr

    @property
    def compress(self) -> bool:
        """Whether responses use name compression (default True)."""
        return self._compress

    @compress.setter
    def compress(self, value: bool) -> None:
        with self._lock:
            self._compress = bool(value)

    @property
    def authentic(self) -> bool:
        """Whether replies carry the AD bit (as a validating resolver's would)."""
        with self._lock:
            return self._authentic

    @authentic.setter
    def authentic(self, value: bool) -> None:
        with self._lock:
            self._authentic = bool(value)

    # -- faults
    def set_fault(self, mode: str, name: Optional[NameLike] = None,
                  qtype: Optional[Union[int, str]] = None, *, count: Optional[int] = None,
                  transport: Optional[str] = None, **opts: Any) -> None:
        """Misbehave for queries matching ``name`` (any case; None: all) and ``qtype``.

        Modes: drop, close (TCP: close the connection), truncate (UDP only), servfail,
        nxdomain, refused, formerr, notimp, nodata, raw (``data=bytes`` or
        ``data=callable(query) -> bytes``, query ID copied in unless ``keep_id=True``),
        delay (``seconds=float``). ``count=N``: only the next N matching queries.
        ``edns=True``: include an OPT RR in rcode replies to EDNS queries. The newest
        matching fault wins.
        """
        allowed = {"raw": {"data", "keep_id"}, "delay": {"seconds"}}.get(mode, set())
        if mode in RCODES or mode == "nodata":
            allowed = {"edns"}
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        if set(opts) - allowed:
            raise TypeError(f"fault {mode!r} takes no option(s) {sorted(set(opts) - allowed)}")
        if mode == "raw" and "data" not in opts or mode == "delay" and "seconds" not in opts:
            raise TypeError(f"fault {mode!r} needs {'data' if mode == 'raw' else 'seconds'}=")
        if transport not in (None, "udp", "tcp"):
            raise ValueError(f"bad transport {transport!r}")
        fault = _Fault(mode, name, qtype, transport, count, opts)
        with self._lock:
            self._faults.insert(0, fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = []

    # -- query log
    @property
    def queries(self) -> List[Query]:
        """A copy of the queries received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log = []

    def wait_for_queries(self, n: int, timeout: float = 5.0) -> List[Query]:
        """Wait until at least ``n`` queries were logged (or timeout); returns the log."""
        deadline = time.monotonic() + timeout
        with self._logged:
            while len(self._log) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._logged.wait(left)
            return list(self._log)

    def release_delayed(self) -> None:
        """Send every delayed reply now, in due order (a long ``delay`` plus this: exact)."""
        self._release = True  # (read and cleared under the lock by the server thread)
        self._wake()

    def reset(self) -> None:
        """Forget zone, SOA, faults, log, delayed replies and errors; compression back on."""
        self.sync()
        with self._lock:
            self._zone = {}
            self._attached = {"authority": {}, "additional": {}}
            self._soa = None
            self._faults = []
            self._log = []
            self._compress = True
            self._authentic = False
            self._generation += 1
            self.errors.clear()

    # -- answering (called with raw query bytes in the server thread)
    def _respond(self, query: bytes, transport: str,
                 port: int = 0) -> Tuple[Optional[bytes], float, bool]:
        """Return ``(reply or None, delay seconds, close the TCP connection)``."""
        msg: Optional[Message] = None
        try:
            parsed = parse_message(query)
            for question in parsed.questions:
                parse_name(question[0])  # longer than 255 bytes: FORMERR
            msg = parsed
        except ValueError:
            pass
        if msg is None or not msg.questions:
            if len(query) < 12 or query[2] & 0x80:
                return None, 0.0, False
            return build_message(struct.unpack_from("!H", query)[0], rcode=1), 0.0, False
        if msg.flag("qr"):
            return None, 0.0, False  # a response, not a query
        opts = [rr for rr in msg.additional if rr.rtype == 41]
        limit = 65535 if transport == "tcp" else max(512, opts[0].rclass) if opts else 512
        qname, qtype, qclass = msg.questions[0]
        key = _key(qname)
        dnssec_ok = bool(opts and opts[0].ttl & EDNS_DO)
        with self._lock:
            self._log.append(Query(name_to_text(qname), qtype, qclass, transport, msg.id,
                                   msg.flag("rd"), bool(opts), bytes(query),
                                   opts[0].rclass if opts else 0, dnssec_ok, msg.flag("cd"),
                                   port))
            self._logged.notify_all()
            fault = next((f for f in self._faults if f.matches(key, qtype, transport)), None)
            if fault is not None and fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            mode = fault.mode if fault else "answer"
            header: Dict[str, Any] = dict(id=msg.id, opcode=msg.flags >> 11 & 0xF, aa=True, ra=True,
                          rd=msg.flag("rd"), cd=msg.flag("cd"), compress=self._compress,
                          questions=msg.questions, edns=EDNS_PAYLOAD if opts else None,
                          edns_do=dnssec_ok, ad=self._authentic)
            if mode in ("drop", "close"):
                return None, 0.0, mode == "close"
            if mode == "raw":
                data = fault.opts["data"]  # type: ignore[union-attr]
                reply = data(bytes(query)) if callable(data) else bytes(data)
                if not fault.opts.get("keep_id"):  # type: ignore[union-attr]
                    reply = patch_id(query, reply)
                return reply, 0.0, False
            if mode in RCODES or mode == "nodata":
                if not fault.opts.get("edns", mode == "nodata"):  # type: ignore[union-attr]
                    header["edns"] = None
                return build_message(rcode=RCODES.get(mode, 0), **header), 0.0, False
            if mode == "truncate":
                return build_message(tc=True, **header), 0.0, False
            if header["opcode"] != 0:
                return build_message(rcode=4, **header), 0.0, False
            reply = build_message(**header, **self._lookup(key, qtype, dnssec_ok))
        if len(reply) > limit:
            reply = build_message(tc=True, **header)
        return reply, float(fault.opts["seconds"]) if fault else 0.0, False

    def _exists(self, key: Labels) -> bool:
        tables = (self._zone, *self._attached.values())
        return any(k[len(k) - len(key):] == key for table in tables for k in table)

    def _lookup(self, key: Labels, qtype: int, dnssec_ok: bool = False) -> Dict[str, Any]:
        """Answer, authority, additional and rcode for a question, chasing CNAMEs; with
        ``dnssec_ok``, an owner's RRSIG records come with its answers."""
        answers: List[RR] = []
        owners = [key]
        for hop in range(_MAX_CNAME_HOPS + 1):
            rrs = self._zone.get(owners[-1], [])
            matched = [rr for rr in rrs if qtype in (255, rr.rtype)]
            if matched and dnssec_ok and qtype not in (46, 255):
                matched += [rr for rr in rrs if rr.rtype == 46]
            cnames = [rr for rr in rrs if rr.rtype == 5] if qtype not in (5, 255) else []
            if matched or not cnames:
                answers += matched
                break
            answers += cnames
            target = cnames[0].target
            if target is None or hop == _MAX_CNAME_HOPS or _key(target) in owners:
                break
            owners.append(_key(target))
        authority: List[RR] = []
        additional: List[RR] = []
        for owner in owners:
            authority += self._attached["authority"].get(owner, [])
            additional += self._attached["additional"].get(owner, [])
        rcode = 0
        if not answers and not self._exists(key):
            rcode = 3
        if self._soa is not None and not any(qtype in (255, rr.rtype) for rr in answers):
            authority.append(self._soa)
        return dict(rcode=rcode, answers=answers, authority=authority, additional=additional)

    # -- the server thread
    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        assert self._udp and self._tcp and self._wake_r and self._wake_w
        sel.register(self._udp, selectors.EVENT_READ, self._on_udp)
        sel.register(self._tcp, selectors.EVENT_READ, self._on_accept)
        sel.register(self._wake_r, selectors.EVENT_READ, self._on_wake)
        self._sel = sel
        try:
            while not self._stopping:
                # Release sync() callers only after a select() that started after they
                # asked: everything delivered before their call has then been handled.
                with self._lock:
                    waiters, self._sync_waiters = self._sync_waiters, []
                timeout = 0.0 if waiters else None
                if self._timers and not waiters:
                    timeout = max(0.0, self._timers[0][0] - time.monotonic())
                for sel_key, mask in sel.select(timeout):
                    self._guard(sel_key.data, sel_key.fileobj, mask)
                with self._lock:
                    release, self._release = self._release, False
                while self._timers and (release or self._timers[0][0] <= time.monotonic()):
                    self._guard(heapq.heappop(self._timers)[2])
                for event in waiters:
                    event.set()
        except BaseException as exc:  # reported by health(), with the tests that notice
            self.died = exc
        finally:
            for conn in list(self._conns):
                self._close(conn)
            sel.close()
            for sock in (self._udp, self._tcp, self._wake_r, self._wake_w):
                sock.close()
            with self._lock:
                for event in self._sync_waiters:
                    event.set()
                self._sync_waiters = []
            self._timers = []

    def _guard(self, func: Callable[..., None], *args: Any) -> None:
        """Run a handler; an exception is kept in ``errors`` and never kills the thread."""
        try:
            func(*args)
        except Exception as exc:  # noqa: BLE001 - the thread must survive anything
            with self._lock:
                self.errors.append(exc)

    def _later(self, delay: float, func: Callable[[], None]) -> None:
        generation = self._generation

        def fire() -> None:
            if generation == self._generation:  # reset() cancels delayed replies
                func()

        self._timer_seq += 1
        heapq.heappush(self._timers, (time.monotonic() + delay, self._timer_seq, fire))

    def _on_wake(self, sock: socket.socket, mask: int) -> None:
        try:
            sock.recv(4096)
        except BlockingIOError:
            pass

    def _on_udp(self, sock: socket.socket, mask: int) -> None:
        for _ in range(64):  # drain, so sync() sees every delivered datagram handled
            try:
                query, peer = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # e.g. ICMP errors surfacing on some platforms
            self._guard(self._answer_udp, sock, query, peer)

    def _answer_udp(self, sock: socket.socket, query: bytes, peer: Any) -> None:
        reply, delay, _ = self._respond(query, "udp", peer[1])
        if reply is None:
            return

        def send() -> None:
            try:
                sock.sendto(reply, peer)
            except OSError:
                pass

        if delay > 0:
            self._later(delay, send)
        else:
            send()

    def _on_accept(self, sock: socket.socket, mask: int) -> None:
        try:
            client, _ = sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        client.setblocking(False)
        conn = _Conn(client)
        self._conns.append(conn)
        self._sel.register(client, selectors.EVENT_READ, lambda s, m: self._on_conn(conn, m))

    def _on_conn(self, conn: _Conn, mask: int) -> None:
        if mask & selectors.EVENT_WRITE:
            self._flush(conn)
        if not mask & selectors.EVENT_READ or conn.closed:
            return
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # EOF or reset, possibly mid-message: forget this client
            self._close(conn)
            return
        conn.inbuf += data
        while len(conn.inbuf) >= 2 and not conn.closed:
            length = struct.unpack_from("!H", conn.inbuf)[0]
            if len(conn.inbuf) < 2 + length:
                break
            query = bytes(conn.inbuf[2:2 + length])
            del conn.inbuf[:2 + length]
            reply, delay, close = self._respond(query, "tcp")
            if close:
                self._close(conn)
            elif reply is not None and len(reply) <= 0xFFFF:
                framed = struct.pack("!H", len(reply)) + reply
                if delay > 0:
                    self._later(delay, functools.partial(self._send_tcp, conn, framed))
                else:
                    self._send_tcp(conn, framed)

    def _send_tcp(self, conn: _Conn, framed: bytes) -> None:
        if not conn.closed:
            conn.outbuf += framed
            self._flush(conn)

    def _flush(self, conn: _Conn) -> None:
        try:
            sent = conn.sock.send(conn.outbuf) if conn.outbuf else 0
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(conn)
            return
        del conn.outbuf[:sent]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.outbuf else 0)
        if self._sel.get_key(conn.sock).events != events:
            self._sel.modify(conn.sock, events, self._sel.get_key(conn.sock).data)

    def _close(self, conn: _Conn) -> None:
        if conn.closed:
            return
        conn.closed = True
        self._conns.remove(conn)
        try:
            self._sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
