"""Callback routing: the request table and the thunks c-ares calls.

c-ares only ever holds an integer request id (its ``void *arg``).  Each C callback type
has one module-level thunk, created once at import and never freed.  A thunk pops the id
from ``_handle_to_channel`` (so a request completes exactly once), copies what it needs
out of C memory while that memory is valid, and hands the result to the owning Channel,
which runs the user's callback.  Nothing raised here may cross into C.

Thunks run on our background driver thread (``_background``), on c-ares's event thread
(only where there is no poll()), in a thread calling process_fd, or synchronously
inside a submit call.
"""

from __future__ import annotations

import atexit
import itertools
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from . import _lib
from ._convert import addrinfo_result, host_result
from ._core import keep_interrupts_of, report, shutdown, sock_state_targets
from ._dnsrec import decode_dns_record, dns_record_wire
from ._lib import copy_bytes, lib
from .errno import ARES_EBADRESP, ARES_SUCCESS
from .records import BadResponse, NameInfoResult, parse_dns_response

if TYPE_CHECKING:
    from .channel import Channel

#: request id -> owning Channel, one entry per submitted, not yet completed request.  It
#: keeps a channel with requests in flight alive (pycares exposes the same name).
_handle_to_channel: Dict[int, "Channel"] = {}
_next_request_id = itertools.count(1).__next__

#: Set by the exit hook: from then on the thunks return at once.
_finalizing = False


def finish(request_id: int, result: Any, status: int) -> None:
    channel = _handle_to_channel.pop(request_id, None)
    if channel is not None:
        channel._deliver(request_id, result, status)


def _convert(convert: Callable[..., Any], *raw: Any) -> Tuple[Any, int]:
    """Copy a result out of C memory: ``(result, ARES_SUCCESS)`` or ``(None, status)``.

    A malformed answer is ARES_EBADRESP.  Any other failure would be a bug of ours; the
    request still completes (as ARES_EBADRESP) so no caller waits forever, and the
    exception is reported.
    """
    try:
        return convert(*raw), ARES_SUCCESS
    except BadResponse:
        return None, ARES_EBADRESP
    except BaseException as exc:
        report(exc, f"{convert.__name__} (result reported as ARES_EBADRESP)", None)
        return None, ARES_EBADRESP


def _parse_answer(abuf: Any, alen: int) -> Any:
    if not abuf or alen <= 0:
        raise BadResponse("empty answer")
    return parse_dns_response(copy_bytes(abuf, alen))


def _nameinfo_result(node: Optional[bytes], service: Optional[bytes]) -> NameInfoResult:
    # node is NULL when only ARES_NI_LOOKUPSERVICE was asked for: report None (pycares
    # drops that callback altogether).
    return NameInfoResult(
        node.decode("utf-8", "replace") if node is not None else None,  # type: ignore[arg-type]
        service.decode("utf-8", "replace") if service is not None else None,
    )


def _completion(convert: Callable[..., Any], what: str) -> Callable[..., None]:
    """The C callback for requests whose result ``convert`` copies out of the callback's
    trailing arguments (those after ``arg, status, timeouts``)."""

    def complete(arg: int, status: int, timeouts: int, *raw: Any) -> None:
        if _finalizing or arg not in _handle_to_channel:
            return
        try:
            result = None
            if status == ARES_SUCCESS:
                result, status = _convert(convert, *raw)
            finish(arg, result, status)
        except BaseException as exc:  # nothing may cross into C
            report(exc, what, None)

    return complete


#: Completes with a DNSResult (what Channel.query/search deliver).
_on_dnsrec = _completion(decode_dns_record, "a DNS query completion")
#: Completes with the answer's wire bytes, decoded later by the receiver (or, for the
#: rare answer c-ares cannot write out, with a DNSResult): see Channel._query_wire.
_on_dnsrec_wire = _completion(dns_record_wire, "a DNS query completion")
_on_host = _completion(host_result, "a gethostbyaddr completion")
_on_nameinfo = _completion(_nameinfo_result, "a getnameinfo completion")


def _on_query(arg: int, status: int, timeouts: int, abuf: Any, alen: int) -> None:
    if _finalizing or arg not in _handle_to_channel:
        return
    try:
        result = None
        if status == ARES_SUCCESS:
            result, status = _convert(_parse_answer, abuf, alen)
        elif getattr(_sync, "request_id", 0) == arg:
            _sync.status = status
        finish(arg, result, status)
    except BaseException as exc:
        report(exc, "a DNS query completion", None)


def _on_addrinfo(arg: int, status: int, timeouts: int, res: Any) -> None:
    if _finalizing:
        return
    try:
        result = None
        if arg in _handle_to_channel and status == ARES_SUCCESS:
            result, status = _convert(addrinfo_result, res)
        if res:
            lib.ares_freeaddrinfo(res)
        finish(arg, result, status)
    except BaseException as exc:
        report(exc, "a getaddrinfo completion", None)


def _on_sock_state(data: Optional[int], fd: int, readable: int, writable: int) -> None:
    if _finalizing:
        return
    core = sock_state_targets.get(data or 0)
    if core is None:
        return
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


def _make_thunks() -> Tuple[Any, ...]:
    keep_interrupts_of(
        (_on_dnsrec, _on_dnsrec_wire, _on_query, _on_host, _on_nameinfo, _on_addrinfo, _on_sock_state)
    )
    try:
        return (
            _lib.DNSREC_CB(_on_dnsrec),
            _lib.DNSREC_CB(_on_dnsrec_wire),
            _lib.QUERY_CB(_on_query),
            _lib.HOST_CB(_on_host),
            _lib.NAMEINFO_CB(_on_nameinfo),
            _lib.ADDRINFO_CB(_on_addrinfo),
            _lib.SOCK_STATE_CB(_on_sock_state),
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
    QUERY_THUNK,
    HOST_THUNK,
    NAMEINFO_THUNK,
    ADDRINFO_THUNK,
    SOCK_STATE_THUNK,
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
