"""What ``ares_init_options`` gets for a Channel's arguments: how the channel is driven
(the event model) and ``struct ares_options`` with its optmask.

Values are checked while they are written (``_cstructs``, ``_settings.apply``), so a bad
argument raises here, before any C channel exists.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple

from . import _background, _cdefs, _settings
from ._cstructs import add_string_options, build_options
from ._lib import caps
from ._requests import SOCK_STATE_THUNK


class InitOptions(NamedTuple):
    options: Any  # _cdefs.ares_options
    optmask: int
    keep: List[Any]  # every buffer ``options`` points to, until c-ares has copied them
    driven: bool  # a default channel our driver thread drives (``_background``)


def init_options(
    settings: Dict[str, Any], token: int, refuse: Callable[[str, str], None]
) -> InitOptions:
    """The inputs of ``ares_init_options`` for ``Channel(**settings)``, whose sockets are
    reported under ``token``; ``refuse(what, "X.Y.Z")`` raises for what the loaded
    library lacks."""
    options, optmask, keep = build_options(
        flags=settings["flags"],
        timeout=settings["timeout"],
        tries=settings["tries"],
        ndots=settings["ndots"],
        tcp_port=settings["tcp_port"],
        udp_port=settings["udp_port"],
        socket_send_buffer_size=settings["socket_send_buffer_size"],
        socket_receive_buffer_size=settings["socket_receive_buffer_size"],
    )
    sock_state_cb = settings["sock_state_cb"]
    if sock_state_cb and not callable(sock_state_cb):
        raise TypeError("sock_state_cb is not callable")
    # Default channels are driven by our one background thread (``_background``),
    # through the same sock_state_cb route; c-ares's own event thread only where
    # the platform has no poll().
    driven = not sock_state_cb and _background.AVAILABLE
    if sock_state_cb or driven:
        options.sock_state_cb = SOCK_STATE_THUNK
        options.sock_state_cb_data = token
        optmask |= _cdefs.ARES_OPT_SOCK_STATE_CB
    elif caps.event_thread:
        options.evsys = _cdefs.ARES_EVSYS_DEFAULT
        optmask |= _cdefs.ARES_OPT_EVENT_THREAD
    else:  # pragma: no cover - no poll() and an old library: nothing can drive it
        refuse("a Channel without sock_state_cb on this platform", "1.26.0")
    optmask |= add_string_options(
        options,
        keep,
        lookups=settings["lookups"],
        domains=settings["domains"],
        resolvconf_path=settings["resolvconf_path"],
    )
    if settings["rotate"]:
        optmask |= _cdefs.ARES_OPT_ROTATE
    optmask |= _settings.apply(options, keep, settings, refuse)
    return InitOptions(options, optmask, keep, driven)
