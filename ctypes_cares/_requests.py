"""The request registry and the thunks c-ares calls when a request completes.

c-ares only ever holds an integer request id (its ``void *arg``).  :func:`register`
files ``id -> (channel, in-flight set, callback)`` in one process-wide table before the
submit call (c-ares may call back inside it); a thunk pops the entry (so a request
completes exactly once: ``dict.pop`` is atomic), copies what it needs out of C
memory while that memory is valid, and runs the callback (:func:`deliver`).  The table's
strong reference keeps a channel with requests in flight alive, as pycares' does; the
channel's own :class:`InFlight` lets ``Channel.wait()`` wait for its requests alone.

Each C callback type has one module-level thunk, created once at import and never
freed.  Nothing raised in a thunk may cross into C.  Thunks run on our background
driver thread (``_background``), on c-ares's event thread (only where there is no
poll()), in a thread calling process_fd, or synchronously inside a submit call.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterator,
    Mapping,
    Optional,
    Set,
    Tuple,
)

from . import _cdefs
from ._answer import decode_dns_record, dns_record_wire, message_from_record
from ._lifetime import Core, core_for, shutdown
from ._report import keep_interrupts_of, report
from ._lib import caps, copy_bytes, lib
from ._results import addrinfo_result, host_result
from ._settings import deliver_server_state
from .errno import ARES_EBADRESP, ARES_SUCCESS
from .records import BadResponse, NameInfoResult, parse_dns_response

if TYPE_CHECKING:
    from .channel import Channel

Callback = Callable[[Any, Optional[int]], Any]


class InFlight:
    """One channel's requests in flight, for ``Channel.wait()``."""

    __slots__ = ("ids", "waiters", "lock", "cv")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty; also in a forked child, where the requests in flight are the parent's,
        and so are the threads that may have held the lock."""
        self.ids: Set[int] = set()
        self.waiters = 0
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)

    def done(self, request_id: int) -> None:
        # Under the lock wait() holds while it counts itself in and looks at ids: one of
        # the two sees the other's change, with or without a GIL.
        lock = self.lock  # (acquire/release rather than ``with``: once per request)
        lock.acquire()
        try:
            self.ids.discard(request_id)
            if self.waiters:
                self.cv.notify_all()
        finally:
            lock.release()

    def wait(self, deadline: Optional[float]) -> bool:
        """Block until no request is in flight; False once ``deadline`` (monotonic) passed."""
        with self.cv:
            self.waiters += 1
            try:
                while self.ids:
                    if deadline is None:
                        self.cv.wait()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return False
                        self.cv.wait(remaining)
            finally:
                self.waiters -= 1
        return True


Entry = Tuple["Channel", InFlight, Callback]

#: request id -> (owning Channel, its InFlight, the user's callback): one entry per
#: submitted, not yet completed request.
_table: Dict[int, Entry] = {}
_next_request_id = itertools.count(1).__next__


def _after_fork_in_child() -> None:
    # Requests in flight at the fork belong to the parent, which delivers them: in the
    # child their callbacks never run (running them, even with ARES_ECANCELLED, would
    # deliver one request twice, once per process).  The child never processes the
    # parent's C channels, so no thunk can find them either.  (After _lifetime's hook,
    # which made the channels' locks usable: dropping an entry may collect a Channel.)
    _table.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def register(channel: "Channel", in_flight: InFlight, callback: Callback) -> int:
    request_id = _next_request_id()
    in_flight.ids.add(request_id)
    _table[request_id] = (channel, in_flight, callback)
    return request_id


def forget(request_id: int) -> bool:
    """Drop a request that will never be called back; False if it already completed."""
    entry = _table.pop(request_id, None)
    if entry is None:
        return False
    entry[1].done(request_id)
    return True


def complete(request_id: int, result: Any, status: int) -> None:
    """Complete a request (once: later calls for the same id do nothing)."""
    entry = _table.pop(request_id, None)
    if entry is not None:
        deliver(entry, request_id, result, status)


def deliver(entry: Entry, request_id: int, result: Any, status: int) -> None:
    """Run the callback of a request just taken from the table; report what it raises."""
    channel, in_flight, callback = entry
    delivering = None if CANCEL_REENTRANT else _delivering.__dict__.setdefault("cores", [])
    if delivering is not None:
        delivering.append(channel._core)
    try:
        if status == ARES_SUCCESS:
            callback(result, None)
        else:
            callback(None, status)
    except BaseException as exc:
        report(exc, f"DNS callback {callback!r}", callback)
    finally:
        if delivering is not None:
            delivering.pop()
        in_flight.done(request_id)


#: c-ares < 1.34.9 deadlocks when ares_cancel runs inside one of the same channel's
#: callbacks; for those libraries, deliver() records which channels' callbacks each
#: thread is running (see Channel.cancel).
CANCEL_REENTRANT = caps.version >= (1, 34, 9)
_delivering = threading.local()


def delivering_on_this_thread(core: Optional[Core]) -> bool:
    return core in getattr(_delivering, "cores", ())


class _HandleToChannel(Mapping[int, "Channel"]):
    """pycares' ``_handle_to_channel``: request id -> Channel, read-only, over the table."""

    def __getitem__(self, request_id: int) -> "Channel":
        return _table[request_id][0]

    def __len__(self) -> int:
        return len(_table)

    def __iter__(self) -> Iterator[int]:
        return iter(list(_table))

    def __repr__(self) -> str:
        return f"<ctypes_cares requests in flight: {len(_table)}>"


handle_to_channel = _HandleToChannel()

#: Set by the exit hook: from then on the thunks return at once.
_finalizing = False


# -- the thunks -------------------------------------------------------------------------


def _completion(convert: Callable[[Any], Any], what: str) -> Callable[[int, int, int, Any], None]:
    """The C callback for requests whose result ``convert`` copies out of the callback's
    one trailing argument (after ``arg, status, timeouts``).

    A malformed answer is ARES_EBADRESP.  Any other failure to convert would be a bug of
    ours; the request still completes (as ARES_EBADRESP) so no caller waits forever,
    and the exception is reported.
    """
    label = f"{convert.__name__} (result reported as ARES_EBADRESP)"

    def complete_request(arg: int, status: int, timeouts: int, raw: Any) -> None:
        if _finalizing:
            return
        try:
            entry = _table.pop(arg, None)
            if entry is None:
                return
            result = None
            if status == ARES_SUCCESS:
                try:
                    result = convert(raw)
                except BadResponse:
                    status = ARES_EBADRESP
                except BaseException as exc:
                    report(exc, label, None)
                    status = ARES_EBADRESP
            deliver(entry, arg, result, status)
        except BaseException as exc:  # nothing may cross into C
            report(exc, what, None)

    return complete_request


def _parse_answer(answer: Tuple[Any, int]) -> Any:
    abuf, alen = answer
    if not abuf or alen <= 0:
        raise BadResponse("empty answer")
    return parse_dns_response(copy_bytes(abuf, alen))


def _nameinfo_result(names: Tuple[Optional[bytes], Optional[bytes]]) -> NameInfoResult:
    # node is NULL when only ARES_NI_LOOKUPSERVICE was asked for: report None (pycares
    # drops that callback altogether).
    node, service = names
    return NameInfoResult(
        node.decode("utf-8", "replace") if node is not None else None,  # type: ignore[arg-type]
        service.decode("utf-8", "replace") if service is not None else None,
    )


#: Completes with a DNSResult (what Channel.query/search deliver).
_on_dnsrec = _completion(decode_dns_record, "a DNS query completion")
#: Completes with the answer's wire bytes, decoded later by the receiver (or, for the
#: rare answer c-ares cannot write out, with a DNSResult): see channel.query_wire.
_on_dnsrec_wire = _completion(dns_record_wire, "a DNS query completion")
#: Completes with a DNSMessage: see Channel.query_message.
_on_message = _completion(message_from_record, "a DNS message completion")
_on_host = _completion(host_result, "a gethostbyaddr completion")
_complete_nameinfo = _completion(_nameinfo_result, "a getnameinfo completion")
_complete_query = _completion(_parse_answer, "a DNS query completion")
_complete_addrinfo = _completion(addrinfo_result, "a getaddrinfo completion")


def _on_nameinfo(arg: int, status: int, timeouts: int, node: Any, service: Any) -> None:
    _complete_nameinfo(arg, status, timeouts, (node, service))


def _on_query(arg: int, status: int, timeouts: int, abuf: Any, alen: int) -> None:
    if status != ARES_SUCCESS and getattr(_sync, "request_id", 0) == arg:
        _sync.status = status
    _complete_query(arg, status, timeouts, (abuf, alen))


def _on_addrinfo(arg: int, status: int, timeouts: int, res: Any) -> None:
    if _finalizing:
        return
    try:
        _complete_addrinfo(arg, status, timeouts, res)
    finally:
        if res:
            lib.ares_freeaddrinfo(res)


def _on_sock_state(data: Optional[int], fd: int, readable: int, writable: int) -> None:
    if _finalizing:
        return
    core = core_for(data or 0)
    if core is None:
        return
    if readable or writable:
        core.sockets.add(fd)
    else:
        core.sockets.discard(fd)
    driver = core.driver
    callback = core.sock_state_cb
    try:
        if driver is not None:
            driver.watch(core, fd, readable, writable)
        elif callback is not None:
            callback(fd, readable, writable)
    except BaseException as exc:
        if driver is not None:
            report(exc, "the driver's sock_state_cb", None)
        else:
            report(exc, f"sock_state_cb {callback!r}", callback)


def _on_server_state(server: Optional[bytes], success: int, flags: int, data: Optional[int]) -> None:
    if _finalizing:
        return
    try:
        deliver_server_state(data or 0, server, success, flags)
    except BaseException as exc:  # nothing may cross into C
        report(exc, "a server state report", None)


def _make_thunks() -> Tuple[Any, ...]:
    keep_interrupts_of(
        (
            _on_dnsrec,
            _on_dnsrec_wire,
            _on_message,
            _on_query,
            _on_host,
            _on_nameinfo,
            _on_addrinfo,
            _on_sock_state,
            _on_server_state,
        )
    )
    try:
        return (
            _cdefs.DNSREC_CB(_on_dnsrec),
            _cdefs.DNSREC_CB(_on_dnsrec_wire),
            _cdefs.DNSREC_CB(_on_message),
            _cdefs.QUERY_CB(_on_query),
            _cdefs.HOST_CB(_on_host),
            _cdefs.NAMEINFO_CB(_on_nameinfo),
            _cdefs.ADDRINFO_CB(_on_addrinfo),
            _cdefs.SOCK_STATE_CB(_on_sock_state),
            _cdefs.SERVER_STATE_CB(_on_server_state),
        )
    except MemoryError as exc:
        raise ImportError(
            "ctypes_cares cannot create C callbacks in this process: libffi could not "
            "allocate executable closure memory (is writable+executable memory denied, "
            f"e.g. by MemoryDenyWriteExecute?): {exc}"
        ) from exc


(
    DNSREC_THUNK,
    DNSREC_WIRE_THUNK,
    MESSAGE_THUNK,
    QUERY_THUNK,
    HOST_THUNK,
    NAMEINFO_THUNK,
    ADDRINFO_THUNK,
    SOCK_STATE_THUNK,
    SERVER_STATE_THUNK,
) = _make_thunks()


def legacy_submit(
    submit: Any, ptr: Any, name: bytes, query_class: int, query_type: int, request_id: int
) -> int:
    """Submit through ares_query/ares_search (c-ares < 1.28), which return nothing.

    A refusal then shows only as a failure delivered during the call; report it as a
    status the way ares_query_dnsrec would, so callers see the same behaviour.
    """
    _sync.request_id = request_id
    _sync.status = ARES_SUCCESS
    try:
        submit(ptr, name, query_class, query_type, QUERY_THUNK, request_id)
        return int(_sync.status)
    finally:
        _sync.request_id = 0


#: The request a thread is submitting through the legacy API, and any failure c-ares
#: delivered for it before the submit call returned.
_sync = threading.local()


@atexit.register
def _shutdown() -> None:
    """Destroy every live channel before the interpreter tears down.

    c-ares's event threads would otherwise call into Python after finalisation began.
    Callbacks are not run any more from here on: user code may already be unusable.
    """
    global _finalizing
    _finalizing = True
    shutdown()
