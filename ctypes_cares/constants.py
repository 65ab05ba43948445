"""Every DNS and c-ares number the package uses, written once.

The public names (``ARES_FLAG_*``, ``ARES_NI_*``, ``QUERY_TYPE_*``, ``QUERY_CLASS_*``) are
re-exported by :mod:`ctypes_cares` with the values of pycares 5.2.1.  The rest names
values from RFC 1035 and its successors and from c-ares's ``ares_dns_record.h``
(``RR_*`` keys: record type * 100 + field number, as ``ares_dns_rr_key_t`` numbers them).
"""

from __future__ import annotations

from typing import Dict, Tuple

# -- Channel flags (struct ares_options.flags) -------------------------------------------
ARES_FLAG_USEVC = 1
ARES_FLAG_PRIMARY = 2
ARES_FLAG_IGNTC = 4
ARES_FLAG_NORECURSE = 8
ARES_FLAG_STAYOPEN = 16
ARES_FLAG_NOSEARCH = 32
ARES_FLAG_NOALIASES = 64
ARES_FLAG_NOCHECKRESP = 128
ARES_FLAG_EDNS = 256
ARES_FLAG_NO_DFLT_SVR = 512
#: Extension (not in pycares 5.2.1): randomise the query name's case (c-ares >= 1.33;
#: older libraries ignore the bit).
ARES_FLAG_DNS0x20 = 1 << 10

# -- getaddrinfo flags (extension: pycares 5.2.1 exports none) -----------------------------
#: Return the addresses in the order the answers gave them (no RFC 6724 sorting).
ARES_AI_NOSORT = 1 << 7

# -- Server state callback flags (ares.h ARES_SERV_STATE_*) --------------------------------
ARES_SERV_STATE_UDP = 1 << 0
ARES_SERV_STATE_TCP = 1 << 1

# -- getnameinfo flags ---------------------------------------------------------------------
ARES_NI_NOFQDN = 1
ARES_NI_NUMERICHOST = 2
ARES_NI_NAMEREQD = 4
ARES_NI_NUMERICSERV = 8
ARES_NI_DGRAM = 16
ARES_NI_TCP = 0
ARES_NI_UDP = ARES_NI_DGRAM
ARES_NI_SCTP = 32
ARES_NI_DCCP = 64
ARES_NI_NUMERICSCOPE = 128
ARES_NI_LOOKUPHOST = 256
ARES_NI_LOOKUPSERVICE = 512
ARES_NI_IDN = 1024
ARES_NI_IDN_ALLOW_UNASSIGNED = 2048
ARES_NI_IDN_USE_STD3_ASCII_RULES = 4096

# -- Record types --------------------------------------------------------------------------
QUERY_TYPE_A = 1
QUERY_TYPE_NS = 2
QUERY_TYPE_CNAME = 5
QUERY_TYPE_SOA = 6
QUERY_TYPE_PTR = 12
QUERY_TYPE_MX = 15
QUERY_TYPE_TXT = 16
QUERY_TYPE_AAAA = 28
QUERY_TYPE_SRV = 33
QUERY_TYPE_NAPTR = 35
QUERY_TYPE_TLSA = 52
#: Extension (not in pycares 5.2.1, whose query() refuses it): for Channel.query_message,
#: whose SVCB records carry an SVCBRecordData (the fields of HTTPS).
QUERY_TYPE_SVCB = 64
QUERY_TYPE_HTTPS = 65
QUERY_TYPE_ANY = 255
QUERY_TYPE_URI = 256
QUERY_TYPE_CAA = 257
# Types c-ares parses that pycares does not deliver (nor query() SVCB, above).
TYPE_HINFO = 13
TYPE_SIG = 24
TYPE_OPT = 41

#: RR type number -> mnemonic, for the types ``query`` accepts.
TYPE_NAMES: Dict[int, str] = {
    QUERY_TYPE_A: "A",
    QUERY_TYPE_NS: "NS",
    QUERY_TYPE_CNAME: "CNAME",
    QUERY_TYPE_SOA: "SOA",
    QUERY_TYPE_PTR: "PTR",
    QUERY_TYPE_MX: "MX",
    QUERY_TYPE_TXT: "TXT",
    QUERY_TYPE_AAAA: "AAAA",
    QUERY_TYPE_SRV: "SRV",
    QUERY_TYPE_NAPTR: "NAPTR",
    QUERY_TYPE_TLSA: "TLSA",
    QUERY_TYPE_HTTPS: "HTTPS",
    QUERY_TYPE_ANY: "ANY",
    QUERY_TYPE_URI: "URI",
    QUERY_TYPE_CAA: "CAA",
}
#: The same types in the order pycares lists them (``Channel.__qtypes__``).
QUERY_TYPES: Tuple[int, ...] = (
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
    QUERY_TYPE_TLSA,
    QUERY_TYPE_TXT,
    QUERY_TYPE_URI,
)

# -- Classes -------------------------------------------------------------------------------
QUERY_CLASS_IN = 1
QUERY_CLASS_CHAOS = 3
QUERY_CLASS_HS = 4
QUERY_CLASS_NONE = 254
QUERY_CLASS_ANY = 255
QUERY_CLASSES: Tuple[int, ...] = (
    QUERY_CLASS_IN,
    QUERY_CLASS_CHAOS,
    QUERY_CLASS_HS,
    QUERY_CLASS_NONE,
    QUERY_CLASS_ANY,
)

# -- ares_dns_record.h: sections, header values, and the RR field keys the accessor walk reads
SECTION_ANSWER = 1
SECTION_AUTHORITY = 2
SECTION_ADDITIONAL = 3
OPCODE_QUERY = 0
RCODE_NOERROR = 0
RCODE_FORMERR = 1
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4
RCODE_REFUSED = 5
DNS_FLAG_RD = 1 << 3
DNS_FLAG_CD = 1 << 6  # ares_dns_flags_t numbering, not the wire's
#: The header bits of a DNS message on the wire (RFC 1035 4.1.1, RFC 4035 AD/CD):
#: name -> bit of the 16-bit flags word; the opcode is bits 11-14, the rcode bits 0-3.
HEADER_BITS: Dict[str, int] = {"qr": 15, "aa": 10, "tc": 9, "rd": 8, "ra": 7, "ad": 5, "cd": 4}
HEADER_OPCODE_SHIFT = 11

RR_OPT_UDP_SIZE = 4101
RR_OPT_VERSION = 4103
RR_OPT_FLAGS = 4104
EDNS_FLAG_DO = 0x8000  # the DO bit of the OPT record's flags (RFC 3225)

RR_A_ADDR = 101
RR_NS_NSDNAME = 201
RR_CNAME_CNAME = 501
RR_SOA_MNAME = 601
RR_SOA_RNAME = 602
RR_SOA_SERIAL = 603  # then REFRESH, RETRY, EXPIRE, MINIMUM: 604..607
RR_PTR_DNAME = 1201
RR_MX_PREFERENCE = 1501
RR_MX_EXCHANGE = 1502
RR_TXT_DATA = 1601
RR_AAAA_ADDR = 2801
RR_SRV_PRIORITY = 3302
RR_SRV_WEIGHT = 3303
RR_SRV_PORT = 3304
RR_SRV_TARGET = 3305
RR_NAPTR_ORDER = 3501
RR_NAPTR_PREFERENCE = 3502
RR_NAPTR_FLAGS = 3503
RR_NAPTR_SERVICES = 3504
RR_NAPTR_REGEXP = 3505
RR_NAPTR_REPLACEMENT = 3506
RR_TLSA_CERT_USAGE = 5201
RR_TLSA_SELECTOR = 5202
RR_TLSA_MATCH = 5203
RR_TLSA_DATA = 5204
RR_SVCB_PRIORITY = 6401
RR_SVCB_TARGET = 6402
RR_SVCB_PARAMS = 6403
RR_HTTPS_PRIORITY = 6501
RR_HTTPS_TARGET = 6502
RR_HTTPS_PARAMS = 6503
RR_URI_PRIORITY = 25601
RR_URI_WEIGHT = 25602
RR_URI_TARGET = 25603
RR_CAA_CRITICAL = 25701
RR_CAA_TAG = 25702
RR_CAA_VALUE = 25703

#: Names of types query() does not take, for printing (Channel.query_message takes any).
OTHER_TYPE_NAMES: Dict[int, str] = {
    TYPE_OPT: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3",
    QUERY_TYPE_SVCB: "SVCB",
}

# -- Channel settings: what c-ares does when a setting is not given -------------------------
#: ARES_OPT_SERVER_FAILOVER's defaults (ares_init_options(3)): retry a failed server on
#: 1 query in 10, at most once every 5 s; used for the half a caller leaves out.
SERVER_RETRY_CHANCE_DEFAULT = 10
SERVER_RETRY_DELAY_DEFAULT = 5.0
#: EDNS UDP payload sizes: RFC 6891 forbids advertising less than 512.
EDNS_PACKET_SIZE_DEFAULT = 1232  # c-ares's, the DNS Flag Day 2020 size
EDNS_PACKET_SIZE_MIN = 512
EDNS_PACKET_SIZE_MAX = 0xFFFF
