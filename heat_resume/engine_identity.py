"""Which engine this process is, in every record and log line it writes.

Heat gives each engine worker a fresh uuid (``generate_engine_id``, which
the seam wraps to learn it). Before the engine service has started, and
in the CLI, a process is named by host and pid instead.
"""

import os
import socket

_engine = {'id': None}


def engine_id():
    """This process's engine id (Heat's, once the engine service started)."""
    if _engine['id'] is None:
        _engine['id'] = '%s-%d' % (socket.gethostname(), os.getpid())
    return _engine['id']


def set_engine_id(value):
    _engine['id'] = value
