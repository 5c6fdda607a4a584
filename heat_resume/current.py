"""Which heat_resume operation the current thread works for.

Heat passes no operation object down to Resource methods, so the stack
thread and the worker threads it starts bind it here.
"""

import contextlib
import threading

_local = threading.local()


def operation():
    return getattr(_local, 'operation', None)


@contextlib.contextmanager
def bound(op):
    previous = operation()
    _local.operation = op
    try:
        yield op
    finally:
        _local.operation = previous
