"""The resolver settings beyond pycares 5.2.1 (keyword-only ``Channel`` arguments).

Each setting is one row of :data:`SETTINGS`: the ``struct ares_options`` bit it sets and
the first c-ares release that reads it.  Older releases silently ignore an optmask bit
they do not know, so the version is checked here, and a setting the loaded library
would ignore is refused (``AresError(ARES_ENOTIMP, "... needs c-ares >= X")``) instead.
``None`` leaves a setting to c-ares.

``server_state_cb`` is not an option but ``ares_set_server_state_callback`` (its row's
version is that function's row in ``_lib.PROTOTYPES``).  The C side holds the channel's
token; :func:`deliver_server_state` (run by ``_requests.SERVER_STATE_THUNK``, wherever
c-ares runs request callbacks) finds the core by that token and calls its
``server_state_cb`` (kept and dropped like its ``sock_state_cb``; a forked child's
rebuilt channel reports under the new token to the same core), so nothing here holds a
Channel.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from . import _cdefs, _lib
from ._args import check_c_int, check_int, check_u32, milliseconds
from ._lifetime import core_for
from ._report import report
from ._cstructs import c_path
from ._lib import caps, lib
from .constants import (
    EDNS_PACKET_SIZE_MAX,
    EDNS_PACKET_SIZE_MIN,
    SERVER_RETRY_CHANCE_DEFAULT,
    SERVER_RETRY_DELAY_DEFAULT,
)

Version = Tuple[int, int, int]
ServerStateCallback = Callable[[str, bool, int], Any]


def _since(function: str) -> Version:
    """The ``since`` of ``function``'s row in the prototype table (written there only)."""
    for proto in _lib.PROTOTYPES:
        if proto.name == function and proto.since is not None:
            return proto.since
    raise KeyError(f"{function} is not an optional function of the prototype table")


class Setting(NamedTuple):
    optmask: int  # ARES_OPT_* bit (0: not an ares_options field)
    since: Version  # first c-ares release that honours it


#: Every extension setting, in the order of the Channel signature.
SETTINGS: Dict[str, Setting] = {
    "qcache_max_ttl": Setting(_cdefs.ARES_OPT_QUERY_CACHE, (1, 23, 0)),
    "max_timeout": Setting(_cdefs.ARES_OPT_MAXTIMEOUTMS, (1, 22, 0)),
    "udp_max_queries": Setting(_cdefs.ARES_OPT_UDP_MAX_QUERIES, (1, 20, 0)),
    "hosts_path": Setting(_cdefs.ARES_OPT_HOSTS_FILE, (1, 19, 0)),
    "edns_packet_size": Setting(_cdefs.ARES_OPT_EDNSPSZ, (1, 10, 0)),
    "server_retry_chance": Setting(_cdefs.ARES_OPT_SERVER_FAILOVER, (1, 29, 0)),
    "server_retry_delay": Setting(_cdefs.ARES_OPT_SERVER_FAILOVER, (1, 29, 0)),
    "server_state_cb": Setting(0, _since("ares_set_server_state_callback")),
}


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


def release_of(function: str) -> str:
    """``"X.Y.Z"``: the first c-ares release with the optional ``function``."""
    return version_text(_since(function))


def refuse_unsupported(values: Dict[str, Any], refuse: Callable[[str, str], None]) -> None:
    """``refuse(setting, "X.Y.Z")`` for the first setting given that the library lacks."""
    for name, setting in SETTINGS.items():
        if values.get(name) is not None and caps.version < setting.since:
            refuse(name, version_text(setting.since))


def apply(
    options: Any, keep: List[Any], values: Dict[str, Any], refuse: Callable[[str, str], None]
) -> int:
    """Check the settings among ``values`` (a Channel's arguments) and fill ``options``;
    returns the optmask bits to add.  Buffers the options point to go into ``keep``.
    Bad values are refused on every library; then a setting the library lacks is
    ``refuse(setting, "X.Y.Z")`` (see :func:`refuse_unsupported`)."""
    optmask = 0
    ttl = values["qcache_max_ttl"]
    if ttl is not None:
        options.qcache_max_ttl = check_u32(ttl, "qcache_max_ttl")
    max_timeout = values["max_timeout"]
    if max_timeout is not None:
        options.maxtimeout = milliseconds(max_timeout, "max_timeout")
    udp_max_queries = values["udp_max_queries"]
    if udp_max_queries is not None:
        options.udp_max_queries = check_c_int(udp_max_queries, "udp_max_queries")
        if options.udp_max_queries < 0:
            raise ValueError("udp_max_queries must be >= 0 (0: no limit)")
    hosts_path = values["hosts_path"]
    if hosts_path is not None:
        options.hosts_path = c_path(hosts_path, keep)
    size = values["edns_packet_size"]
    if size is not None:
        options.ednspsz = check_int(size, "edns_packet_size")
        if not EDNS_PACKET_SIZE_MIN <= size <= EDNS_PACKET_SIZE_MAX:
            raise ValueError(
                f"edns_packet_size must be {EDNS_PACKET_SIZE_MIN}..{EDNS_PACKET_SIZE_MAX}"
            )
    chance = values["server_retry_chance"]
    delay = values["server_retry_delay"]
    if chance is not None or delay is not None:
        failover = options.server_failover_opts
        failover.retry_chance = _retry_chance(
            SERVER_RETRY_CHANCE_DEFAULT if chance is None else chance
        )
        failover.retry_delay = milliseconds(
            SERVER_RETRY_DELAY_DEFAULT if delay is None else delay, "server_retry_delay"
        )
    callback = values["server_state_cb"]
    if callback is not None and not callable(callback):
        raise TypeError("server_state_cb is not callable")
    refuse_unsupported(values, refuse)
    for name, setting in SETTINGS.items():
        if values[name] is not None:
            optmask |= setting.optmask
    return optmask


def _retry_chance(chance: Any) -> int:
    number = check_int(chance, "server_retry_chance")
    if not 0 <= number <= 0xFFFF:
        raise ValueError("server_retry_chance must be 0..65535 (1 in N queries; 0: never)")
    return number


# -- server_state_cb ----------------------------------------------------------------------


def watch_servers(ptr: Any, token: int, values: Dict[str, Any], thunk: Any) -> None:
    """Have c-ares report the channel's server states to ``thunk`` (if it has a callback)."""
    if values["server_state_cb"] is not None:
        lib.ares_set_server_state_callback(ptr, thunk, token)


def deliver_server_state(token: int, server: Optional[bytes], success: int, flags: int) -> None:
    """Call the server_state_cb of the channel ``token`` names (on the C callback's thread)."""
    core = core_for(token)
    callback = core.server_state_cb if core is not None else None
    if callback is None:  # destroyed or collected: its last reports are dropped
        return
    text = server.decode("ascii", "replace") if server else ""
    try:
        callback(text, bool(success), flags)
    except BaseException as exc:
        report(exc, f"server_state_cb {callback!r}", callback)
