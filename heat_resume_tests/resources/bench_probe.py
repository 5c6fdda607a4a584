# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Counts an engine's SQL statements and ZooKeeper requests, for the bench.

Loaded by heat-engine from ``[DEFAULT] plugin_dirs`` (like
ledger_resource.py, so it must not import heat_resume_tests). It does
nothing unless $HEAT_RESUME_BENCH_DIR is set; then every statement that
SQLAlchemy sends (a class-level listener, so it covers engines created
later) and every ZooKeeper request kazoo queues (``KazooClient._call``:
requests only, pings do not go through it) is counted per process, and a
daemon thread writes ``{"pid", "sql", "zk": {request type: n}}`` to
``$HEAT_RESUME_BENCH_DIR/<pid>.json`` every 0.2 s when it changed.

Counting inside the engines is what tells the three engine kinds apart:
MariaDB's global counters would also count the bench's own polling.
Heat's plugin loader wants no ``resource_mapping()`` from a module that
has none (``PluginMapping.load_from_module`` returns {}).
"""

import collections
import functools
import json
import os
import threading
import time

ENV = 'HEAT_RESUME_BENCH_DIR'
INTERVAL = 0.2


class _Counts(object):
    """This process's counters; a forked child starts afresh."""

    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.sql = 0
        self.zk = collections.Counter()
        self.changes = 0
        self.writer = None

    def bump(self, zk_type=None):
        with self.lock:
            if zk_type is None:
                self.sql += 1
            else:
                self.zk[zk_type] += 1
            self.changes += 1
            start = self.writer is None
            if start:
                self.writer = threading.Thread(
                    target=self._write_loop, daemon=True,
                    name='heat-resume bench probe')
        if start:
            # lazily, in the process that counts: a thread started in the
            # engine's master would not survive its fork
            self.writer.start()

    def snapshot(self):
        with self.lock:
            return self.changes, {'pid': self.pid, 'sql': self.sql,
                                  'zk': dict(self.zk)}

    def _write_loop(self):
        written = None
        while True:
            time.sleep(INTERVAL)
            changes, data = self.snapshot()
            if changes != written:
                _write(data)
                written = changes


def _write(data):
    """Atomically: a reader never sees half a file."""
    path = os.path.join(os.environ[ENV], '%d.json' % data['pid'])
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f)
    os.replace(tmp, path)


_state = {'counts': None}


def counts():
    """This process's counters (new ones after a fork)."""
    current = _state['counts']
    if current is None or current.pid != os.getpid():
        current = _state['counts'] = _Counts()
    return current


def _count_statement(*args, **kwargs):
    counts().bump()


def _count_zookeeper(original):
    @functools.wraps(original)
    def _call(self, request, async_object):
        counts().bump(type(request).__name__)
        return original(self, request, async_object)
    _call.bench_probe = True
    return _call


def install():
    """Start counting in this process; idempotent."""
    from sqlalchemy import engine
    from sqlalchemy import event

    if not event.contains(engine.Engine, 'before_cursor_execute',
                          _count_statement):
        event.listen(engine.Engine, 'before_cursor_execute',
                     _count_statement)
    try:
        from kazoo import client
    except ImportError:
        return
    if not getattr(client.KazooClient._call, 'bench_probe', False):
        client.KazooClient._call = _count_zookeeper(client.KazooClient._call)


def _after_fork():
    # the parent's lock may have been held at the fork, and its writer
    # thread is not in the child: fresh counters
    _state['counts'] = None


if os.environ.get(ENV):
    os.register_at_fork(after_in_child=_after_fork)
    install()
