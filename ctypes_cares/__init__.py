"""Asynchronous DNS through c-ares, with ctypes only: the pycares 5.2.1 API.

``import ctypes_cares as pycares`` lets code written for pycares run unchanged.  The
c-ares library is the one shipped in this package, or the file named by the
``CARES_LIBRARY`` environment variable (c-ares >= 1.17).  ``ARES_VERSION`` is the version
of the library actually loaded; ``capabilities`` says what it can do.
"""

from __future__ import annotations

from typing import Tuple

from . import errno
from ._args import parse_ip
from ._lib import caps
from ._cdefs import ARES_SOCKET_BAD
from ._requests import handle_to_channel as _handle_to_channel
from ._version import __version__
from .channel import AresError, Channel
from .constants import (  # noqa: F401 - re-exported, listed in __all__
    ARES_AI_NOSORT,
    ARES_FLAG_DNS0x20,
    ARES_FLAG_EDNS,
    ARES_FLAG_IGNTC,
    ARES_FLAG_NO_DFLT_SVR,
    ARES_FLAG_NOALIASES,
    ARES_FLAG_NOCHECKRESP,
    ARES_FLAG_NORECURSE,
    ARES_FLAG_NOSEARCH,
    ARES_FLAG_PRIMARY,
    ARES_FLAG_STAYOPEN,
    ARES_FLAG_USEVC,
    ARES_NI_DCCP,
    ARES_NI_DGRAM,
    ARES_NI_IDN,
    ARES_NI_IDN_ALLOW_UNASSIGNED,
    ARES_NI_IDN_USE_STD3_ASCII_RULES,
    ARES_NI_LOOKUPHOST,
    ARES_NI_LOOKUPSERVICE,
    ARES_NI_NAMEREQD,
    ARES_NI_NOFQDN,
    ARES_NI_NUMERICHOST,
    ARES_NI_NUMERICSCOPE,
    ARES_NI_NUMERICSERV,
    ARES_NI_SCTP,
    ARES_NI_TCP,
    ARES_NI_UDP,
    QUERY_CLASS_ANY,
    QUERY_CLASS_CHAOS,
    QUERY_CLASS_HS,
    QUERY_CLASS_IN,
    QUERY_CLASS_NONE,
    QUERY_TYPE_A,
    QUERY_TYPE_AAAA,
    QUERY_TYPE_ANY,
    QUERY_TYPE_CAA,
    QUERY_TYPE_CNAME,
    QUERY_TYPE_HTTPS,
    QUERY_TYPE_MX,
    QUERY_TYPE_NAPTR,
    QUERY_TYPE_NS,
    QUERY_TYPE_PTR,
    QUERY_TYPE_SOA,
    QUERY_TYPE_SRV,
    QUERY_TYPE_SVCB,
    QUERY_TYPE_TLSA,
    QUERY_TYPE_TXT,
    QUERY_TYPE_URI,
)
from .records import (
    AAAARecordData,
    AddrInfoCname,
    AddrInfoNode,
    AddrInfoResult,
    ARecordData,
    CAARecordData,
    CNAMERecordData,
    DNSRecord,
    DNSResult,
    HostResult,
    HTTPSRecordData,
    MXRecordData,
    NameInfoResult,
    NAPTRRecordData,
    NSRecordData,
    PTRRecordData,
    SOARecordData,
    SRVRecordData,
    SVCBRecordData,
    TLSARecordData,
    TXTRecordData,
    URIRecordData,
)
from .utils import ascii_bytes, maybe_str, parse_name

#: Runtime version of the loaded libcares, e.g. '1.34.9'.
ARES_VERSION: str = caps.version_str
#: What the loaded library can do (see ``capabilities.describe()``).
capabilities = caps

IP4 = Tuple[str, int]
IP6 = Tuple[str, int, int, int]
PYCARES_ADDRTTL_SIZE = 256

__all__ = (
    "ARES_FLAG_USEVC",
    "ARES_FLAG_PRIMARY",
    "ARES_FLAG_IGNTC",
    "ARES_FLAG_NORECURSE",
    "ARES_FLAG_STAYOPEN",
    "ARES_FLAG_NOSEARCH",
    "ARES_FLAG_NOALIASES",
    "ARES_FLAG_NOCHECKRESP",
    "ARES_FLAG_EDNS",
    "ARES_FLAG_NO_DFLT_SVR",
    "ARES_NI_NOFQDN",
    "ARES_NI_NUMERICHOST",
    "ARES_NI_NAMEREQD",
    "ARES_NI_NUMERICSERV",
    "ARES_NI_DGRAM",
    "ARES_NI_TCP",
    "ARES_NI_UDP",
    "ARES_NI_SCTP",
    "ARES_NI_DCCP",
    "ARES_NI_NUMERICSCOPE",
    "ARES_NI_LOOKUPHOST",
    "ARES_NI_LOOKUPSERVICE",
    "ARES_NI_IDN",
    "ARES_NI_IDN_ALLOW_UNASSIGNED",
    "ARES_NI_IDN_USE_STD3_ASCII_RULES",
    "ARES_SOCKET_BAD",
    "QUERY_TYPE_A",
    "QUERY_TYPE_AAAA",
    "QUERY_TYPE_ANY",
    "QUERY_TYPE_CAA",
    "QUERY_TYPE_CNAME",
    "QUERY_TYPE_HTTPS",
    "QUERY_TYPE_MX",
    "QUERY_TYPE_NAPTR",
    "QUERY_TYPE_NS",
    "QUERY_TYPE_PTR",
    "QUERY_TYPE_SOA",
    "QUERY_TYPE_SRV",
    "QUERY_TYPE_TLSA",
    "QUERY_TYPE_TXT",
    "QUERY_TYPE_URI",
    "QUERY_CLASS_IN",
    "QUERY_CLASS_CHAOS",
    "QUERY_CLASS_HS",
    "QUERY_CLASS_NONE",
    "QUERY_CLASS_ANY",
    "ARES_VERSION",
    "AresError",
    "Channel",
    "errno",
    "__version__",
    "DNSResult",
    "DNSRecord",
    "ARecordData",
    "AAAARecordData",
    "MXRecordData",
    "TXTRecordData",
    "CAARecordData",
    "CNAMERecordData",
    "HTTPSRecordData",
    "NAPTRRecordData",
    "NSRecordData",
    "PTRRecordData",
    "SOARecordData",
    "SRVRecordData",
    "TLSARecordData",
    "URIRecordData",
    "HostResult",
    "NameInfoResult",
    "AddrInfoResult",
    "AddrInfoNode",
    "AddrInfoCname",
)



def ares_threadsafety() -> bool:
    """Whether the loaded libcares is thread-safe (pycares 4 had this; 5.x refuses to
    import without it, ctypes_cares serialises calls on channels instead)."""
    return caps.threadsafe


def reverse_address(ip: str) -> str:
    """The PTR name of an IPv4 or IPv6 address: ``'1.2.0.192.in-addr.arpa'`` for
    ``'192.0.2.1'``, nibbles under ``ip6.arpa`` for IPv6 (as pycares 4 had it).
    ValueError('invalid IP address') for anything else."""
    family, packed = parse_ip(ip)
    if len(packed) == 4:
        return ".".join(str(octet) for octet in reversed(packed)) + ".in-addr.arpa"
    return ".".join(reversed(packed.hex())) + ".ip6.arpa"


# Not in __all__ (pycares 5.2.1's __all__ is exact), but importable as in pycares.
_unexported = (_handle_to_channel, ascii_bytes, maybe_str, parse_name)
#: Extensions beyond pycares 5.2.1 (docs/guide/settings.md), also outside __all__.
_extensions = (ARES_AI_NOSORT, ARES_FLAG_DNS0x20, QUERY_TYPE_SVCB, SVCBRecordData)
