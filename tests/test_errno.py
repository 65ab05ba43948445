"""ctypes_cares.errno: names, values, messages (pycares.errno contract, spec section 4)."""

from __future__ import annotations

import pytest

from ctypes_cares import errno

TABLE = [
    ("ARES_SUCCESS", 0, "Successful completion"),
    ("ARES_ENODATA", 1, "DNS server returned answer with no data"),
    ("ARES_EFORMERR", 2, "DNS server claims query was misformatted"),
    ("ARES_ESERVFAIL", 3, "DNS server returned general failure"),
    ("ARES_ENOTFOUND", 4, "Domain name not found"),
    ("ARES_ENOTIMP", 5, "DNS server does not implement requested operation"),
    ("ARES_EREFUSED", 6, "DNS server refused query"),
    ("ARES_EBADQUERY", 7, "Misformatted DNS query"),
    ("ARES_EBADNAME", 8, "Misformatted domain name"),
    ("ARES_EBADFAMILY", 9, "Unsupported address family"),
    ("ARES_EBADRESP", 10, "Misformatted DNS reply"),
    ("ARES_ECONNREFUSED", 11, "Could not contact DNS servers"),
    ("ARES_ETIMEOUT", 12, "Timeout while contacting DNS servers"),
    ("ARES_EOF", 13, "End of file"),
    ("ARES_EFILE", 14, "Error reading file"),
    ("ARES_ENOMEM", 15, "Out of memory"),
    ("ARES_EDESTRUCTION", 16, "Channel is being destroyed"),
    ("ARES_EBADSTR", 17, "Misformatted string"),
    ("ARES_EBADFLAGS", 18, "Illegal flags specified"),
    ("ARES_ENONAME", 19, "Given hostname is not numeric"),
    ("ARES_EBADHINTS", 20, "Illegal hints flags specified"),
    ("ARES_ENOTINITIALIZED", 21, "c-ares library initialization not yet performed"),
    ("ARES_ELOADIPHLPAPI", 22, "Error loading iphlpapi.dll"),
    ("ARES_EADDRGETNETWORKPARAMS", 23, "Could not find GetNetworkParams function"),
    ("ARES_ECANCELLED", 24, "DNS query cancelled"),
    ("ARES_ESERVICE", 25, "Invalid service name or number"),
]


@pytest.mark.parametrize("name, value, message", TABLE)
def test_constant_and_message(name: str, value: int, message: str) -> None:
    constant = getattr(errno, name)
    assert type(constant) is int and constant == value
    assert errno.strerror(value) == message
    assert errno.errorcode[value] == name


def test_all_in_table_order() -> None:
    assert errno.__all__ == ("errorcode", "strerror", *(name for name, _, _ in TABLE))
    for name in errno.__all__:
        assert hasattr(errno, name)


def test_errorcode_maps_exactly_the_26_exported_values() -> None:
    assert errno.errorcode == {value: name for name, value, _ in TABLE}
    assert list(errno.errorcode) == list(range(26))
    assert errno.errorcode[24] == "ARES_ECANCELLED"


def test_enoserver_is_hidden_but_has_a_message() -> None:
    assert not hasattr(errno, "ARES_ENOSERVER")
    assert "ARES_ENOSERVER" not in errno.__all__
    assert 26 not in errno.errorcode
    assert errno.strerror(26) == "No DNS servers were configured"


@pytest.mark.parametrize("code", [27, 100, -1, -(2**40), 2**64])
def test_unknown_codes(code: int) -> None:
    assert errno.strerror(code) == "unknown"


def test_bool_is_an_int() -> None:
    assert errno.strerror(True) == "DNS server returned answer with no data"
    assert errno.strerror(False) == "Successful completion"


@pytest.mark.parametrize("code", [1.0, "1", b"1", None, [1], 10.5])
def test_non_int_raises_type_error(code: object) -> None:
    with pytest.raises(TypeError):
        errno.strerror(code)  # type: ignore[arg-type]


def test_strerror_returns_str() -> None:
    for value in range(27):
        assert type(errno.strerror(value)) is str
