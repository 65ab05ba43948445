"""_socketlike: the socket module's semantics, before and after c-ares (no DNS here)."""

from __future__ import annotations

import socket
from typing import Any, List, Optional, Tuple

import pytest

from ctypes_cares import _socketlike, errno
from ctypes_cares.constants import ARES_NI_NOFQDN
from ctypes_cares.records import AddrInfoCname, AddrInfoNode, AddrInfoResult, NameInfoResult
from socketlike_cases import (
    NAMEINFO, NUMERIC, NUMERIC_IDS, REFUSED, REFUSED_IDS, needs_services, outcome,
    skip_without_ipv6, system_getaddrinfo, system_outcome,
)


def _result(*addresses: str, cnames: Optional[List[Tuple[str, str]]] = None) -> AddrInfoResult:
    nodes = []
    for text in addresses:
        if ":" in text:
            address, _, scope = text.partition("%")
            nodes.append(AddrInfoNode(300, 0, socket.AF_INET6, 0, 0,
                                      (address.encode(), 0, 0, int(scope or 0))))
        else:
            nodes.append(AddrInfoNode(300, 0, socket.AF_INET, 0, 0, (text.encode(), 0)))
    return AddrInfoResult(
        cnames=[AddrInfoCname(300, alias, name) for alias, name in cnames or []], nodes=nodes
    )


@pytest.mark.parametrize("case", NUMERIC, ids=NUMERIC_IDS)
def test_lookups_without_dns_are_the_socket_modules(case: Tuple[Any, ...]) -> None:
    skip_without_ipv6(case)
    assert outcome(lambda: _socketlike.plan_getaddrinfo(*case)) == system_outcome(case)


@pytest.mark.parametrize("case,code", REFUSED, ids=REFUSED_IDS)
def test_bad_arguments_raise_the_socket_modules_gaierror(case: Tuple[Any, ...], code: int) -> None:
    with pytest.raises(socket.gaierror) as info:
        _socketlike.plan_getaddrinfo(*case)
    assert info.value.errno == code


@pytest.mark.parametrize("host", [12, 1.5, ["x"]])
def test_a_host_of_the_wrong_type_is_a_type_error(host: Any) -> None:
    with pytest.raises(TypeError):
        _socketlike.plan_getaddrinfo(host, 80)


@needs_services
def test_a_name_is_planned_for_c_ares_with_its_flags_translated() -> None:
    plan = _socketlike.plan_getaddrinfo(
        "svc.test", "http", socket.AF_INET6, socket.SOCK_STREAM, 0,
        socket.AI_CANONNAME | socket.AI_V4MAPPED | socket.AI_ALL | socket.AI_ADDRCONFIG,
    )
    assert isinstance(plan, _socketlike.AddrInfoPlan)
    assert plan.name == "svc.test" and plan.family == socket.AF_INET6
    assert plan.cares_flags == (
        _socketlike.ARES_AI_CANONNAME | _socketlike.ARES_AI_V4MAPPED
        | _socketlike.ARES_AI_ALL | _socketlike.ARES_AI_ADDRCONFIG
    )
    assert _socketlike.plan_getaddrinfo("café.test", 80).name == "café.test"  # type: ignore[union-attr]


@needs_services
def test_finishing_expands_each_address_as_the_socket_module_does() -> None:
    plan = _socketlike.plan_getaddrinfo("svc.test", "http", 0, socket.SOCK_STREAM)
    assert isinstance(plan, _socketlike.AddrInfoPlan)
    rows = _socketlike.finish_getaddrinfo(plan, _result("10.0.0.2", "10.0.0.1"), None)
    assert rows == system_getaddrinfo(("10.0.0.2", "http", 0, socket.SOCK_STREAM)) + \
        system_getaddrinfo(("10.0.0.1", "http", 0, socket.SOCK_STREAM))


def test_finishing_keeps_an_ipv6_scope() -> None:
    plan = _socketlike.plan_getaddrinfo("link.test", 22, 0, socket.SOCK_STREAM)
    assert isinstance(plan, _socketlike.AddrInfoPlan)
    rows = _socketlike.finish_getaddrinfo(plan, _result("fe80::1%1"), None)
    # (PyPy 3.9's socket module writes the address as 'fe80::1%lo': so do we there.)
    assert rows == system_getaddrinfo(("fe80::1%1", 22, 0, socket.SOCK_STREAM))
    assert rows[0][4][1:] == (22, 0, 1)


def test_the_canonical_name_ends_the_cname_chain_on_the_first_row_only() -> None:
    plan = _socketlike.plan_getaddrinfo(b"A.test", 80, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    assert isinstance(plan, _socketlike.AddrInfoPlan)
    result = _result("10.0.0.1", "10.0.0.2", cnames=[("b.test", "c.test"), ("a.test", "b.test")])
    rows = _socketlike.finish_getaddrinfo(plan, result, None)
    assert [row[3] for row in rows] == ["c.test", ""]
    looped = _result("10.0.0.1", cnames=[("a.test", "b.test"), ("b.test", "a.test")])
    assert _socketlike.finish_getaddrinfo(plan, looped, None)[0][3] in ("a.test", "b.test")


@pytest.mark.parametrize("status,code", [
    (errno.ARES_ENOTFOUND, socket.EAI_NONAME),
    (errno.ARES_EBADNAME, socket.EAI_NONAME),
    (errno.ARES_ENODATA, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)),
    (errno.ARES_ETIMEOUT, socket.EAI_AGAIN),
    (errno.ARES_ESERVFAIL, socket.EAI_AGAIN),
    (errno.ARES_EREFUSED, socket.EAI_AGAIN),
    (errno.ARES_ECONNREFUSED, socket.EAI_AGAIN),
    (errno.ARES_ESERVICE, socket.EAI_SERVICE),
    (errno.ARES_ECANCELLED, socket.EAI_FAIL),
    (errno.ARES_EDESTRUCTION, socket.EAI_FAIL),
    (errno.ARES_EBADRESP, socket.EAI_FAIL),
])
def test_c_ares_statuses_become_getaddrinfo_codes(status: int, code: int) -> None:
    plan = _socketlike.plan_getaddrinfo("svc.test", 80)
    assert isinstance(plan, _socketlike.AddrInfoPlan)
    with pytest.raises(socket.gaierror) as info:
        _socketlike.finish_getaddrinfo(plan, None, status)
    assert info.value.errno == code


def test_no_address_left_is_no_data() -> None:
    plan = _socketlike.plan_getaddrinfo("svc.test", 80)
    assert isinstance(plan, _socketlike.AddrInfoPlan)
    with pytest.raises(socket.gaierror) as info:
        _socketlike.finish_getaddrinfo(plan, _result(), None)
    assert info.value.errno == getattr(socket, "EAI_NODATA", socket.EAI_NONAME)


def test_messages_are_the_platforms() -> None:
    with pytest.raises(socket.gaierror) as system:
        socket.getaddrinfo("svc.test", 80, flags=socket.AI_NUMERICHOST)
    assert _socketlike.gaierror(socket.EAI_NONAME).args == system.value.args


@pytest.mark.parametrize("sockaddr,flags", NAMEINFO)
def test_numeric_getnameinfo_is_the_socket_modules(sockaddr: Tuple[Any, ...], flags: int) -> None:
    skip_without_ipv6(sockaddr)
    assert _socketlike.plan_getnameinfo(sockaddr, flags) == socket.getnameinfo(sockaddr, flags)


@pytest.mark.parametrize("sockaddr", [("svc.test", 80), ("127.0.0.1",), "127.0.0.1", ("127.0.0.1", -1)])
def test_bad_sockaddrs_raise_what_the_socket_module_raises(sockaddr: Any) -> None:
    with pytest.raises(Exception) as system:
        socket.getnameinfo(sockaddr, 0)
    with pytest.raises(type(system.value)):
        _socketlike.plan_getnameinfo(sockaddr, 0)


def test_reverse_lookups_fall_back_to_the_numeric_host_unless_a_name_is_required() -> None:
    plan = _socketlike.plan_getnameinfo(("10.0.0.1", 53), socket.NI_DGRAM)
    assert isinstance(plan, _socketlike.NameInfoPlan)
    service = socket.getnameinfo(("10.0.0.1", 53), socket.NI_NUMERICHOST | socket.NI_DGRAM)[1]
    found = NameInfoResult(node="www.example", service=None)
    assert _socketlike.finish_getnameinfo(plan, found, None) == ("www.example", service)
    assert _socketlike.finish_getnameinfo(plan, None, errno.ARES_ENOTFOUND) == ("10.0.0.1", service)
    required = _socketlike.plan_getnameinfo(("10.0.0.1", 53), socket.NI_NAMEREQD | socket.NI_NOFQDN)
    assert isinstance(required, _socketlike.NameInfoPlan)
    assert required.cares_flags & ARES_NI_NOFQDN
    for status, code in ((errno.ARES_ENOTFOUND, socket.EAI_NONAME), (errno.ARES_ETIMEOUT, socket.EAI_AGAIN)):
        with pytest.raises(socket.gaierror) as info:
            _socketlike.finish_getnameinfo(required, None, status)
        assert info.value.errno == code



@pytest.mark.parametrize("flags", ["1", 1.0, None])
def test_flags_of_the_wrong_type_are_type_errors_as_in_the_socket_module(flags: Any) -> None:
    for call in (
        lambda: socket.getaddrinfo("svc.test", 80, 0, 0, 0, flags),
        lambda: _socketlike.plan_getaddrinfo("svc.test", 80, 0, 0, 0, flags),
        lambda: socket.getnameinfo(("127.0.0.1", 80), flags),
        lambda: _socketlike.plan_getnameinfo(("127.0.0.1", 80), flags),
    ):
        with pytest.raises(TypeError):
            call()
