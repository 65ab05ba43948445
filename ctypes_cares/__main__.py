"""``ctypes-cares`` / ``python -m ctypes_cares``: a small dig on top of :class:`Channel`.

The command only parses arguments, hands them to a :class:`Channel`, and prints what
comes back; it never resolves anything itself (``--server`` takes IP addresses only).

Forms::

    ctypes-cares [options] NAME [TYPE ...]     query NAME for each TYPE (default A)
    ctypes-cares [options] TYPE NAME           the ``python -m pycares`` form
    ctypes-cares [options] -x ADDRESS          reverse lookup (gethostbyaddr)
    ctypes-cares [options] --addrinfo NAME     getaddrinfo (--family 4|6|any, --port)

The pycares form is recognised when there are two or more positionals, the first is a
query type name and the second is not (``mx example.com``); a name that is also a type
name can still be queried in our form (``ctypes-cares any mx``: NAME ``any``, type MX).
Either form prints the layout of :mod:`ctypes_cares._cli_output`, not pycares'
tab-separated one.

Exit status: 0 every query was answered; 1 some query failed (NXDOMAIN, NODATA,
SERVFAIL, REFUSED, malformed reply, bad name, ...; the status goes to stderr as
``ctypes-cares: NAME TYPE: ARES_ENOTFOUND (Domain name not found)``); 2 usage error;
3 timeout or no server reachable/configured (ARES_ETIMEOUT, ARES_ECONNREFUSED, status
26 ENOSERVER); with several queries the worst wins (3 over 1 over 0).  Ctrl-C exits
with 130 without a traceback.
"""


from __future__ import annotations

import argparse
import functools
import ipaddress
import os
import signal
import socket
import sys
import threading
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence

from . import (
    ARES_FLAG_USEVC,
    ARES_VERSION,
    AresError,
    Channel,
    __version__,
    capabilities,
)
from ._cli_output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    FAMILIES,
    PROG,
    QUERY_CLASSES,
    QUERY_TYPES,
    class_name,
    exit_code,
    format_addrinfo_result,
    format_dns_result,
    format_host_result,
    json_line,
    message_status,
    status_name,
    type_name,
)
from .errno import strerror
from .records import DNSMessage

__all__ = ("main",)



# --------------------------------------------------------------------------------------
# Arguments


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _server(text: str) -> str:
    """``HOST[:PORT]`` / ``[IPV6]:PORT`` / bare IPv6 -> the c-ares servers CSV form."""
    host, port = text, "53"
    if text.startswith("["):
        end = text.find("]")
        rest = text[end + 1 :] if end > 0 else "x"
        if rest and not rest.startswith(":"):
            raise argparse.ArgumentTypeError(f"bad server {text!r}: expected [IPV6]:PORT")
        host, port = text[1:end], rest[1:] or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad server {text!r}: not an IP address (server names are not resolved)"
        ) from None
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"bad server {text!r}: port must be 1..65535")
    if ip.version == 6:
        return f"[{host}]:{int(port)}"
    return f"{host}:{int(port)}"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 1000:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _query_class(text: str) -> int:
    try:
        return QUERY_CLASSES[text.upper()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"unknown class {text!r} (choose from IN, CH, HS, NONE, ANY)"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        usage=(
            f"{PROG} [options] NAME [TYPE ...]\n"
            f"       {PROG} [options] TYPE NAME\n"
            f"       {PROG} [options] -x ADDRESS\n"
            f"       {PROG} [options] --addrinfo NAME [--family 4|6|any] [--port SERVICE]"
        ),
        description="Query DNS through c-ares (ctypes_cares.Channel) and print every "
        "record of every section, dig-style.",
        epilog=(
            "TYPE is one of " + ", ".join(sorted(QUERY_TYPES)) + " (any case; default A). "
            "'TYPE NAME' is the python -m pycares form, recognised when the first "
            "argument is a type name and the second is not. "
            "Exit status: 0 answered, 1 the DNS said no (or another failure), "
            "2 usage error, 3 timeout / no server reachable, 130 interrupted."
        ),
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="name to query")
    parser.add_argument("types", nargs="*", metavar="TYPE", help="query types (default A)")
    parser.add_argument(
        "--server",
        action="append",
        type=_server,
        metavar="HOST[:PORT]",
        help="DNS server IP, optionally with port; [IPV6]:PORT for IPv6; repeatable "
        "(default: the system's servers)",
    )
    parser.add_argument("--tcp", action="store_true", help="use TCP only (ARES_FLAG_USEVC)")
    parser.add_argument(
        "--timeout", type=_positive_float, metavar="SECONDS", help="first-try timeout"
    )
    parser.add_argument("--tries", type=_positive_int, metavar="N", help="tries per server")
    parser.add_argument(
        "--class",
        dest="qclass",
        type=_query_class,
        default=1,
        metavar="CLASS",
        help="query class: IN (default), CH, HS, NONE or ANY",
    )
    parser.add_argument(
        "--search", action="store_true", help="apply search domains (Channel.search)"
    )
    parser.add_argument(
        "--domain",
        action="append",
        metavar="DOMAIN",
        help="search domain for --search, repeatable (default: the system's)",
    )
    parser.add_argument(
        "--dnssec", action="store_true", help="set the DO bit: ask for DNSSEC records (RRSIG)"
    )
    parser.add_argument(
        "--cd", action="store_true", help="set the CD bit: the server should not validate"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per query")
    parser.add_argument(
        "-x", dest="reverse", metavar="ADDRESS", help="reverse lookup (gethostbyaddr)"
    )
    parser.add_argument("--addrinfo", action="store_true", help="getaddrinfo mode for NAME")
    parser.add_argument(
        "--family", choices=sorted(FAMILIES), help="address family for --addrinfo (default any)"
    )
    parser.add_argument("--port", metavar="SERVICE", help="port or service name for --addrinfo")
    parser.add_argument(
        "--version",
        action="store_true",
        help="show package and c-ares versions, and the library file",
    )
    return parser


def version_text() -> str:
    return (
        f"{PROG} {__version__} (ctypes_cares, pycares 5.2.1 API)\n"
        f"c-ares {ARES_VERSION}\n"
        f"library {capabilities.path}"
    )


class _Plan:
    """What to do, once the arguments are checked."""

    def __init__(self) -> None:
        self.mode = "query"  # or "reverse", "addrinfo"
        self.name = ""
        self.types: List[int] = []


def _plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> _Plan:
    plan = _Plan()
    positionals = ([args.name] if args.name is not None else []) + list(args.types)
    if (args.dnssec or args.cd) and (args.search or args.reverse is not None or args.addrinfo):
        parser.error("--dnssec and --cd apply to plain queries only (not --search, -x, --addrinfo)")
    if (args.dnssec or args.cd) and not capabilities.dnsrec:
        parser.error(f"--dnssec and --cd need c-ares >= 1.28 (ares_send_dnsrec); this is {ARES_VERSION}")
    if args.reverse is not None or args.addrinfo:
        if args.reverse is not None and args.addrinfo:
            parser.error("-x and --addrinfo are exclusive")
        what = "-x" if args.reverse is not None else "--addrinfo"
        if args.search or args.qclass != 1:
            parser.error(f"--search and --class do not apply to {what}")
        if args.reverse is not None:
            if positionals:
                parser.error(f"-x takes no NAME or TYPE (got {' '.join(positionals)})")
            if not _is_ip(args.reverse):
                parser.error(f"-x needs an IPv4 or IPv6 address, not {args.reverse!r}")
            plan.mode, plan.name = "reverse", args.reverse
        else:
            if len(positionals) != 1:
                parser.error("--addrinfo takes exactly one NAME")
            plan.mode, plan.name = "addrinfo", positionals[0]
    else:
        if args.family is not None or args.port is not None:
            parser.error("--family and --port only apply to --addrinfo")
        if not positionals:
            parser.error("a NAME to query is required")
        first, rest = positionals[0], positionals[1:]
        if rest and first.upper() in QUERY_TYPES and rest[0].upper() not in QUERY_TYPES:
            # The python -m pycares form: TYPE NAME.
            if len(rest) > 1:
                parser.error(f"the TYPE NAME form takes one NAME (extra: {' '.join(rest[1:])})")
            first, rest = rest[0], [first]
        plan.name = first
        for word in rest or ["A"]:
            if word.upper() not in QUERY_TYPES:
                parser.error(
                    f"unknown query type {word!r} (choose from {', '.join(sorted(QUERY_TYPES))})"
                )
            plan.types.append(QUERY_TYPES[word.upper()])
        if not plan.name:
            parser.error("the NAME may not be empty")
    return plan


def _is_ip(text: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
        except (OSError, ValueError):
            continue
        return True
    return False


# --------------------------------------------------------------------------------------
# Running the queries


class _Outcome:
    """What one request's callback delivered (first delivery only)."""

    def __init__(self) -> None:
        self.done = False
        self.status = 0
        self.result: Any = None

    def callback(self, result: Any, status: Optional[int]) -> None:
        # A request c-ares refuses up front is reported twice (callback, then
        # AresError); only the first delivery counts.
        if not self.done:
            self.result = result
            self.status = 0 if status is None else status
            if isinstance(result, DNSMessage):  # NXDOMAIN, NODATA: as query() reports them
                self.status = message_status(result)
            self.done = True

    def submit(self, request: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        try:
            request(*args, callback=self.callback, **kwargs)
        except AresError as exc:
            if not self.done:
                status = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 1
                self.callback(None, status)


class _CtrlC:
    """While queries run, SIGINT only sets a flag; :func:`_wait` turns it into
    KeyboardInterrupt outside any C call.

    Raised by the default handler, the KeyboardInterrupt could land inside a c-ares
    callback running on this thread (the submit's sock_state_cb), where PyPy's ctypes
    prints and drops it before our code can keep it.
    """

    def __init__(self) -> None:
        self.seen = False
        self.previous: Any = None

    def __enter__(self) -> "_CtrlC":
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                self.previous = signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, signum: int, frame: Any) -> None:
        self.seen = True

    def __exit__(self, *exc_info: Any) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        if self.seen and exc_info[0] is None:
            raise KeyboardInterrupt


def _wait(channel: Channel, ctrl_c: _CtrlC) -> None:
    # Short slices rather than one unbounded wait keep Ctrl-C prompt on every platform.
    while not channel.wait(0.25):
        if ctrl_c.seen:
            raise KeyboardInterrupt


def _report_failure(label: str, status: int) -> None:
    print(f"{PROG}: {label}: {status_name(status)} ({strerror(status)})", file=sys.stderr)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, plan: _Plan) -> int:
    options: Dict[str, Any] = {}
    if args.server:
        options["servers"] = args.server
    if args.tcp:
        options["flags"] = ARES_FLAG_USEVC
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.tries is not None:
        options["tries"] = args.tries
    if args.domain:
        options["domains"] = list(args.domain)
    try:
        channel = Channel(**options)
    except AresError as exc:
        reason = " ".join(map(str, exc.args))
        print(f"{PROG}: cannot set up the resolver: {reason}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return _resolve(parser, args, plan, channel)
    finally:
        channel.close()


class _Job:
    """One request: how to name it on stderr, in JSON, and how to print its result."""

    def __init__(self, label: str, query: Dict[str, Any], render: Callable[[Any], str]) -> None:
        self.label = label
        self.query = query
        self.render = render
        self.outcome = _Outcome()


def _submit_all(args: argparse.Namespace, plan: _Plan, channel: Channel) -> List[_Job]:
    """Send every request of the plan; they all run concurrently."""
    name = plan.name
    if plan.mode == "reverse":
        job = _Job(
            f"-x {name}",
            {"address": name, "mode": "gethostbyaddr"},
            functools.partial(format_host_result, name),
        )
        job.outcome.submit(channel.gethostbyaddr, name)
        return [job]
    if plan.mode == "addrinfo":
        family = args.family or "any"
        job = _Job(
            f"--addrinfo {name}",
            {"host": name, "port": args.port, "family": family, "mode": "getaddrinfo"},
            functools.partial(format_addrinfo_result, name, args.port),
        )
        job.outcome.submit(channel.getaddrinfo, name, args.port, family=FAMILIES[family])
        return [job]
    request: Callable[..., None] = channel.search if args.search else channel.query
    if not args.search and capabilities.dnsrec:  # the header too: dig's flags line
        request = functools.partial(channel.query_message, checking_disabled=args.cd, dnssec_ok=args.dnssec)
    jobs = []
    for qtype in plan.types:
        query = {
            "name": name,
            "type": type_name(qtype),
            "class": class_name(args.qclass),
            "search": bool(args.search),
        }
        job = _Job(
            f"{name} {type_name(qtype)}",
            query,
            functools.partial(format_dns_result, name, qtype, args.qclass),
        )
        job.outcome.submit(request, name, qtype, query_class=args.qclass)
        jobs.append(job)
    return jobs


def _resolve(
    parser: argparse.ArgumentParser, args: argparse.Namespace, plan: _Plan, channel: Channel
) -> int:
    with _CtrlC() as ctrl_c:
        try:
            jobs = _submit_all(args, plan, channel)
        except UnicodeError as exc:
            parser.error(f"cannot encode {plan.name!r} as a DNS name: {exc}")
        except RuntimeError as exc:  # over-long IDNA label
            parser.error(str(exc))
        _wait(channel, ctrl_c)

    worst = EXIT_OK
    printed = False
    for job in jobs:
        status = job.outcome.status
        if args.json:
            print(json_line(job.query, status, job.outcome.result))
        elif status == 0:
            if printed:
                print()
            print(job.render(job.outcome.result))
            printed = True
        if status != 0:
            _report_failure(job.label, status)
        worst = max(worst, exit_code(status))
    sys.stdout.flush()
    return worst


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    try:
        parser = build_parser()
        args = parser.parse_intermixed_args(None if argv is None else list(argv))
        if args.version:
            print(version_text())
            return EXIT_OK
        plan = _plan(parser, args)
        return _run(parser, args, plan)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output cut short (e.g. piped into head): leave quietly, and keep the
        # interpreter's final flush from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
