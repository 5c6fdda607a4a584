"""The heat_resume operation the current thread works for.

Heat passes no operation object down to the Resource methods the seam
wraps (``state_set``, ``action_handler_task``) nor to the task group it
builds, so the stack thread binds its operation here, and each worker
thread the operation's scheduler starts binds it again. Everything else
is handed the operation explicitly.
"""

import contextlib
import threading

_local = threading.local()


def get():
    """The bound operation, or None (a stock stack, or no operation)."""
    return getattr(_local, 'operation', None)


@contextlib.contextmanager
def bind(op):
    previous = get()
    _local.operation = op
    try:
        yield op
    finally:
        _local.operation = previous
