"""Channel.query_message's question: an ``ares_dns_record_t`` with chosen header bits.

pycares hands back the records only; users asking for the AD bit, the rcode of a
negative answer or DNSSEC records (``dnssec_ok``: the DO bit in an OPT record) need the
message itself.  The question goes out through ``ares_send_dnsrec`` (c-ares >= 1.28),
which sends a record as built; ``MESSAGE_THUNK`` hands the answer to
``_answer.message_from_record``, which decodes it whole into a ``DNSMessage``.
"""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import TYPE_CHECKING, Any, Optional, Tuple

from . import _cdefs
from . import constants as C
from ._args import c_name
from ._lib import lib
from ._requests import MESSAGE_THUNK, Callback, forget, register
from .errno import ARES_EBADNAME, ARES_SUCCESS

if TYPE_CHECKING:  # pragma: no cover
    from .channel import Channel


# -- the question ---------------------------------------------------------------------


def check_code(value: Any, what: str) -> int:
    """A record type or class: any 16-bit number (``query_message`` takes any)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{what} must be 0..65535")
    return value


def build_query(
    name: Any, query_type: int, query_class: int, flags: int, edns: Optional[Tuple[int, bool]]
) -> Tuple[int, Any]:
    """``(status, record)``: one question with header ``flags`` (ares_dns_flags_t) and,
    for ``edns=(udp_size, dnssec_ok)``, an OPT record.  The caller destroys the record
    (``ares_dns_record_destroy``) when the status is ARES_SUCCESS."""
    cname = c_name(name)
    if cname is None:
        return ARES_EBADNAME, None
    record = _cdefs.dns_record_p()
    status = lib.ares_dns_record_create(byref(record), 0, flags, C.OPCODE_QUERY, C.RCODE_NOERROR)
    if status != ARES_SUCCESS:
        return int(status), None
    status = lib.ares_dns_record_query_add(record, cname, query_type, query_class)
    if status == ARES_SUCCESS and edns is not None:
        status = _add_opt(record, *edns)
    if status != ARES_SUCCESS:
        lib.ares_dns_record_destroy(record)
        return int(status), None
    return ARES_SUCCESS, record


def _add_opt(record: Any, udp_size: int, dnssec_ok: bool) -> int:
    rr = c_void_p()
    status = lib.ares_dns_record_rr_add(
        byref(rr), record, C.SECTION_ADDITIONAL, b"", C.TYPE_OPT, C.QUERY_CLASS_IN, 0
    )
    for set_value, key, value in (
        (lib.ares_dns_rr_set_u16, C.RR_OPT_UDP_SIZE, udp_size),
        (lib.ares_dns_rr_set_u8, C.RR_OPT_VERSION, 0),
        (lib.ares_dns_rr_set_u16, C.RR_OPT_FLAGS, C.EDNS_FLAG_DO if dnssec_ok else 0),
    ):
        if status == ARES_SUCCESS:
            status = set_value(rr, key, value)
    return int(status)


def send(
    channel: "Channel",
    ptr: Any,
    name: Any,
    query_type: int,
    query_class: int,
    header: Tuple[bool, bool, bool],
    callback: Callback,
) -> int:
    """Build and send the question (inside ``with core as ptr``); returns the status.

    ``header``: recursion desired, checking disabled, DNSSEC OK.
    """
    recursion_desired, checking_disabled, dnssec_ok = header
    flags = (C.DNS_FLAG_RD if recursion_desired else 0) | (C.DNS_FLAG_CD if checking_disabled else 0)
    status, record = build_query(
        name, query_type, query_class, flags, (channel._edns_size, bool(dnssec_ok))
    )
    if status != ARES_SUCCESS:
        return status
    request_id = register(channel, channel._in_flight, callback)
    try:
        status = lib.ares_send_dnsrec(ptr, record, MESSAGE_THUNK, request_id, None)
    finally:
        lib.ares_dns_record_destroy(record)  # c-ares sends a copy
    if status != ARES_SUCCESS:
        forget(request_id)
    return int(status)
