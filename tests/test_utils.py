"""ctypes_cares.utils: ascii_bytes, maybe_str, parse_name (pycares.utils, spec section 6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ctypes_cares import utils

ASCII_ONLY = "only str (ascii encoding) and bytes are supported"
STR_OR_BYTES = "only str and bytes are supported"


@pytest.fixture
def without_idna(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Behave as if the optional ``idna`` package were not installed."""
    monkeypatch.setattr(utils, "idna2008", None)
    yield


@pytest.fixture
def with_idna() -> None:
    if utils.idna2008 is None:
        pytest.skip("the idna package is not installed")


# --- ascii_bytes / maybe_str ------------------------------------------------------------


def test_ascii_bytes() -> None:
    assert utils.ascii_bytes("example.test") == b"example.test"
    assert utils.ascii_bytes(b"\xff raw") == b"\xff raw"
    with pytest.raises(UnicodeEncodeError):
        utils.ascii_bytes("caf\xe9")


@pytest.mark.parametrize("bad", [None, 1, 1.5, bytearray(b"x"), ["a"], memoryview(b"x")])
def test_ascii_bytes_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match=r"^only str \(ascii encoding\) and bytes are supported$"):
        utils.ascii_bytes(bad)  # type: ignore[arg-type]


def test_maybe_str() -> None:
    assert utils.maybe_str("caf\xe9") == "caf\xe9"
    assert utils.maybe_str(b"plain") == "plain"
    assert utils.maybe_str(b"caf\xc3\xa9") == b"caf\xc3\xa9"
    assert utils.maybe_str(b"") == ""
    with pytest.raises(TypeError) as info:
        utils.maybe_str(7)  # type: ignore[arg-type]
    assert str(info.value) == ASCII_ONLY


# --- parse_name ---------------------------------------------------------------------------


def test_bytes_pass_through_untouched() -> None:
    raw = "d\xe9j\xe0.test".encode()
    assert utils.parse_name(raw) is raw
    assert utils.parse_name(b"Example TEST") == b"Example TEST"


def test_ascii_str_is_encoded_without_folding_or_validation() -> None:
    assert utils.parse_name("WWW.Example.TEST.") == b"WWW.Example.TEST."
    assert utils.parse_name("example test.com") == b"example test.com"
    assert utils.parse_name("") == b""


@pytest.mark.parametrize("bad", [None, 1, 2.5, bytearray(b"x"), ("a",)])
def test_parse_name_type_error(bad: object) -> None:
    with pytest.raises(TypeError) as info:
        utils.parse_name(bad)  # type: ignore[arg-type]
    assert str(info.value) == STR_OR_BYTES


def test_idna2003_without_idna_package(without_idna: None) -> None:
    assert utils.idna2008 is None
    assert utils.parse_name("stra\xdfe.de") == b"strasse.de"
    assert utils.parse_name("espa\xf1a.icom.museum") == b"xn--espaa-rta.icom.museum"
    assert utils.parse_name("b\xfccher.example") == b"xn--bcher-kva.example"


def test_idna2003_errors_are_unicode_errors(without_idna: None) -> None:
    with pytest.raises(UnicodeError):
        utils.parse_name("\udc80bad")
    with pytest.raises(UnicodeError):
        utils.parse_name("\xe9" * 70 + ".test")


def test_idna2008_with_idna_package(with_idna: None) -> None:
    assert utils.parse_name("stra\xdfe.de") == b"xn--strae-oqa.de"
    assert utils.parse_name("espa\xf1a.icom.museum") == b"xn--espaa-rta.icom.museum"
    # ASCII labels are kept verbatim (case included); only non-ASCII labels are encoded.
    assert utils.parse_name("WWW.b\xfccher.Example.") == b"WWW.xn--bcher-kva.Example."


def test_idna2008_errors(with_idna: None) -> None:
    assert utils.idna2008 is not None
    with pytest.raises(UnicodeError):
        utils.parse_name("\udc80bad")
    with pytest.raises(utils.idna2008.IDNAError):
        utils.parse_name("Stra\xdfe.de")  # upper case is not valid IDNA 2008 input
    with pytest.raises(UnicodeError):
        utils.parse_name("\xe9" * 70 + ".test")  # label too long once encoded


def test_idna2008_overlong_label_runtime_error(with_idna: None) -> None:
    name = "\xe9" * 254 + ".test"
    with pytest.raises(RuntimeError) as info:
        utils.parse_name(name)
    assert str(info.value) == (
        f"domains can only be less than 253 characters in length not {len(name)}"
    )
    # 253 characters is not "over-long": it fails in the idna package instead.
    with pytest.raises(UnicodeError):
        utils.parse_name("\xe9" * 253)


def test_parse_name_idna2008_directly(with_idna: None) -> None:
    assert utils.parse_name_idna2008("caf\xe9.test") == b"xn--caf-dma.test"
    assert utils.parse_name_idna2008("plain.test") == b"plain.test"


def test_idna2008_attribute_is_module_or_none() -> None:
    try:
        import idna
    except ImportError:
        assert utils.idna2008 is None
    else:
        assert utils.idna2008 is idna
