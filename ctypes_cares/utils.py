"""Conversions of names and strings between Python and c-ares (``pycares.utils``)."""

from __future__ import annotations

from types import ModuleType
from typing import Optional, Union

__all__ = ("ascii_bytes", "maybe_str", "parse_name", "parse_name_idna2008", "idna2008")

idna2008: Optional[ModuleType]
try:
    import idna as idna2008  # type: ignore[import-not-found,no-redef,unused-ignore]
except ImportError:  # the package is optional: fall back to Python's IDNA 2003 codec
    idna2008 = None

_ASCII_ONLY = "only str (ascii encoding) and bytes are supported"
_STR_OR_BYTES = "only str and bytes are supported"


def ascii_bytes(data: Union[str, bytes]) -> bytes:
    """Return ``data`` as bytes: ``str`` is ASCII-encoded, ``bytes`` pass through.

    Raises ``UnicodeEncodeError`` for a non-ASCII ``str`` and ``TypeError`` for any
    other type.
    """
    if isinstance(data, str):
        return data.encode("ascii")
    if isinstance(data, bytes):
        return data
    raise TypeError(_ASCII_ONLY)


def maybe_str(data: Union[str, bytes]) -> Union[str, bytes]:
    """Return ``data`` as ``str`` when possible.

    ``str`` passes through; ``bytes`` are ASCII-decoded, or returned unchanged when they
    are not ASCII; any other type raises ``TypeError``.
    """
    if isinstance(data, str):
        return data
    if isinstance(data, bytes):
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            return data
    raise TypeError(_ASCII_ONLY)


def parse_name_idna2008(name: str) -> bytes:
    """Encode a non-ASCII ``name`` label by label with the ``idna`` package (IDNA 2008).

    ASCII labels are kept as they are. A non-ASCII label longer than 253 characters
    raises ``RuntimeError`` whose message quotes the length of the whole name (a
    pycares quirk); encoding failures raise ``idna.IDNAError`` (a ``UnicodeError``).
    """
    codec = idna2008
    if codec is None:  # pragma: no cover - only called when the package is present
        raise RuntimeError("the idna package is not installed")
    encoded: list[bytes] = []
    for label in name.split("."):
        if label.isascii():
            encoded.append(label.encode("ascii"))
            continue
        if len(label) > 253:
            raise RuntimeError(
                f"domains can only be less than 253 characters in length not {len(name)}"
            )
        encoded.append(codec.encode(label))
    return b".".join(encoded)


def parse_name(name: Union[str, bytes]) -> bytes:
    """Return the bytes handed to c-ares for a host or query name.

    * ``bytes`` pass through untouched (c-ares then judges them);
    * an ASCII ``str`` is ASCII-encoded, without case folding or validation;
    * a non-ASCII ``str`` is IDNA-encoded: IDNA 2008 through the ``idna`` package when
      it is installed (see :func:`parse_name_idna2008`), else Python's IDNA 2003
      ``'idna'`` codec; failures raise ``UnicodeError`` (or ``RuntimeError``, above);
    * anything else raises ``TypeError``.
    """
    if isinstance(name, bytes):
        return name
    if not isinstance(name, str):
        raise TypeError(_STR_OR_BYTES)
    if name.isascii():
        return name.encode("ascii")
    if idna2008 is not None:
        return parse_name_idna2008(name)
    return name.encode("idna")
