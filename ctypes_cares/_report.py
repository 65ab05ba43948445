"""Exceptions that must not cross into C, and Ctrl-C that must not be lost there.

Everything raised inside a C callback (a thunk, a user callback, our own bug) is
reported the way Python reports ``__del__``'s, through ``sys.unraisablehook``, and the
callback returns normally.  A KeyboardInterrupt on the main thread is the exception:
it is kept and delivered again once the C call has returned (``Core.leave``).
"""

from __future__ import annotations

import _thread
import sys
import threading
import traceback
from types import TracebackType
from typing import Any, Callable, Iterable, Optional, Type


class _Unraisable:
    """The argument sys.unraisablehook expects."""

    def __init__(self, exc: BaseException, message: str, obj: Any) -> None:
        self.exc_type: Type[BaseException] = type(exc)
        self.exc_value: Optional[BaseException] = exc
        self.exc_traceback: Optional[TracebackType] = exc.__traceback__
        self.err_msg: Optional[str] = message
        self.object = obj


def report(exc: BaseException, what: str, obj: Any) -> None:
    """Report an exception that must not cross into C, the way Python reports __del__'s.

    A KeyboardInterrupt on the main thread is Ctrl-C arriving while a callback ran
    there (inside a submit or process_fd call): it is kept and delivered again once
    that C call has returned (:meth:`Core.leave`), instead of being lost.
    """
    if _keep_interrupt(exc):
        return
    args = _Unraisable(exc, f"Exception ignored in {what}", obj)
    try:
        hook = sys.unraisablehook
        if hook is _our_hook:
            hook = _outer_hook
        if hook is getattr(sys, "__unraisablehook__", None):
            _print_unraisable(args)  # the default hook refuses objects not made by C
        else:
            hook(args)
    except BaseException:  # pragma: no cover - a broken hook must not break c-ares
        pass


def _print_unraisable(args: _Unraisable) -> None:
    """What the default sys.unraisablehook prints."""
    stream = sys.stderr
    if stream is None:
        return
    head = args.err_msg or "Exception ignored"
    if args.object is not None:
        head = f"{head}: {args.object!r}"
    stream.write(head + "\n")
    stream.write(
        "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    )
    stream.flush()


#: Set when Ctrl-C was caught inside a callback on the main thread; the next
#: Core.leave() there delivers it again.
_interrupted = False


def _keep_interrupt(exc: Optional[BaseException]) -> bool:
    global _interrupted
    if isinstance(exc, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
        _interrupted = True
        return True
    return False


def deliver_kept_interrupt() -> None:
    """On the main thread, outside any C call: raise the Ctrl-C a callback swallowed."""
    global _interrupted
    if _interrupted and threading.current_thread() is threading.main_thread():
        _interrupted = False
        _thread.interrupt_main()  # runs the SIGINT handler, as the signal would have


#: keep_interrupts_of's hook and the one it chains to (report() skips ours).
_our_hook: Any = None
_outer_hook: Any = None


def keep_interrupts_of(functions: Iterable[Callable[..., Any]]) -> None:
    """Do for the thunks' first instruction what :func:`report` does for their body.

    A signal that arrived while the main thread was inside a C call is raised as soon
    as C calls back into Python there, before the thunk's own ``try`` is entered, and
    ctypes then reports it through ``sys.unraisablehook`` and drops it.  This hook
    (chained in front of the one installed at import) keeps such a Ctrl-C as well.
    """
    global _our_hook, _outer_hook
    ours = tuple(functions)
    # CPython >= 3.14 names the callback at the end of the message and passes no object.
    named = tuple(f" {function!r}" for function in ours)
    previous = sys.unraisablehook

    def is_ours(unraisable: Any) -> bool:
        target = getattr(unraisable, "object", None)
        if target is None:
            message = getattr(unraisable, "err_msg", None)
            return isinstance(message, str) and message.endswith(named)
        return any(target is function for function in ours)

    def hook(unraisable: Any) -> None:
        if is_ours(unraisable) and _keep_interrupt(unraisable.exc_value):
            return
        previous(unraisable)

    _our_hook, _outer_hook = hook, previous
    sys.unraisablehook = hook
