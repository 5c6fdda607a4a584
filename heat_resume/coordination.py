"""ZooKeeper: this engine's session, its membership, stack locks, tokens.

Layout under ``[heat_resume] zookeeper_base_path``::

    <base>/engines/<engine id>   ephemeral: one per live engine process
                                 (JSON: engine, host, pid, started, versions)
    <base>/locks/<stack id>/...  kazoo Lock recipe: the owner of the
                                 stack's operation holds its ephemeral node

A lock's *token* is the creation zxid of the owner's lock node: it grows
with every new owner, so it fences an owner that lost its lock (the
operation record carries the token of its current owner).

No lease: whether this engine may still write is the database's
answer (fence.py), in the write itself. A lease here (a time during
which no peer can hold this engine's locks) would rest on the session
timeout the server negotiated, which kazoo does not expose, and on a
clock that stops across a host suspend; an earlier one was taken out.

Sessions: on SUSPENDED the owner starts no new resource action until
CONNECTED again; on LOST every lock it held is gone, its operations are
abandoned (``on_session_lost``), and the client reconnects with a new
session and registers again. kazoo's recipes and its threading handler
do the work (its eventlet handler on an eventlet-patched engine).
"""

import json
import os
import socket
import threading

from kazoo import client as kazoo_client
from kazoo import exceptions as kazoo_exceptions
from kazoo.protocol import states
from kazoo import retry as kazoo_retry
from kazoo import security
from oslo_log import log as logging
from oslo_utils import timeutils

LOG = logging.getLogger(__name__)

CONNECTED = 'CONNECTED'
SUSPENDED = 'SUSPENDED'
LOST = 'LOST'


class CoordinationUnavailable(Exception):
    """ZooKeeper cannot be reached (or this engine's session is gone)."""


_active = {'coordinator': None}


def active():
    """This process's Coordinator, or None when ZooKeeper is not used."""
    return _active['coordinator']


def set_active(coordinator):
    _active['coordinator'] = coordinator


# -- the layout (the CLI reads it too: cmd/cluster.py) ------------------

def base_path(opts):
    return opts.zookeeper_base_path.rstrip('/')


def engines_path(base):
    return base + '/engines'


def member_path(base, engine_id):
    return '%s/%s' % (engines_path(base), engine_id)


def lock_path(base, stack_id):
    return '%s/locks/%s' % (base, stack_id)


def holder(client, base, stack_id):
    """Engine id holding the stack's lock, or None.

    The first contender of kazoo's Lock recipe is its owner; reading the
    contenders creates nothing, so anyone may look.
    """
    try:
        contenders = client.Lock(lock_path(base, stack_id)).contenders()
    except kazoo_exceptions.NoNodeError:
        return None
    return contenders[0] if contenders else None


def _handler():
    """kazoo's eventlet handler on an eventlet-patched engine (Heat < 25)."""
    try:
        from eventlet import patcher
        if patcher.is_monkey_patched('thread'):
            from kazoo.handlers import eventlet as kazoo_eventlet
            return kazoo_eventlet.SequentialEventletHandler()
    except ImportError:
        pass
    from kazoo.handlers import threading as kazoo_threading
    return kazoo_threading.SequentialThreadingHandler()


def client_from_conf(opts):
    """A KazooClient (not started) from the ``[heat_resume]`` options.

    The retries sleep with the handler's own sleep: kazoo refuses retries
    given as dicts (which sleep with time.sleep) with its eventlet handler.
    """
    handler = _handler()
    kwargs = {
        'hosts': ','.join(opts.zookeeper_hosts),
        'timeout': opts.zookeeper_session_timeout,
        'connection_retry': kazoo_retry.KazooRetry(
            max_tries=opts.zookeeper_connection_retries, delay=0.2,
            max_delay=2.0, sleep_func=handler.sleep_func),
        'command_retry': kazoo_retry.KazooRetry(
            max_tries=3, delay=0.2, max_delay=1.0,
            sleep_func=handler.sleep_func),
        'handler': handler,
    }
    if opts.zookeeper_username:
        credentials = '%s:%s' % (opts.zookeeper_username,
                                 opts.zookeeper_password or '')
        kwargs['auth_data'] = [('digest', credentials)]
        kwargs['default_acl'] = [security.make_digest_acl(
            opts.zookeeper_username, opts.zookeeper_password or '',
            all=True)]
    if opts.zookeeper_use_tls:
        kwargs.update(use_ssl=True, ca=opts.zookeeper_ca_file,
                      certfile=opts.zookeeper_cert_file,
                      keyfile=opts.zookeeper_key_file)
    return kazoo_client.KazooClient(**kwargs)


class StackLock(object):
    """This engine's ZooKeeper lock on one stack's operation."""

    def __init__(self, coordinator, stack_id, lock, token):
        self.stack_id = stack_id
        self.token = token
        self._coordinator = coordinator
        self._lock = lock
        self.lost = False

    def held(self):
        """Whether this engine still owns the stack (as far as it knows)."""
        return not self.lost and self._coordinator.state == CONNECTED

    def wait_held(self, timeout):
        """held(), waiting out a SUSPENDED session (up to ``timeout``).

        A suspended session may already have expired on the server: act
        only once it is CONNECTED again, or give up when it is LOST.
        """
        if not self.lost and self._coordinator.state == SUSPENDED:
            self._coordinator.wait_connected(timeout)
        return self.held()

    def release(self):
        self._coordinator._forget(self)
        if self.lost:
            return
        try:
            self._lock.release()
        except kazoo_exceptions.KazooException as exc:
            # the session may outlive the connection: release it once
            # connected again (a session that ends takes the node along)
            LOG.warning('Could not release the ZooKeeper lock of stack '
                        '%(stack)s now (%(exc)s): released when ZooKeeper '
                        'is back', {'stack': self.stack_id, 'exc': exc})
            self._coordinator._release_later(self._lock, self.stack_id)


class Coordinator(object):
    """One engine process's ZooKeeper session."""

    def __init__(self, opts, engine_id, on_members_lost=None,
                 on_session_lost=None, versions=None):
        self.engine_id = engine_id
        self.base = base_path(opts)
        self.state = LOST
        self._opts = opts
        self._on_members_lost = on_members_lost or (lambda engines: None)
        self._on_session_lost = on_session_lost or (lambda locks: None)
        self._versions = versions or {}
        self._members = set()
        self._locks = set()
        self._unreleased = {}
        self._guard = threading.Lock()
        self._connected = threading.Event()
        self._watching = False
        self.client = client_from_conf(opts)
        self.client.add_listener(self._state_changed)

    @property
    def members_path(self):
        return engines_path(self.base)

    def lock_path(self, stack_id):
        return lock_path(self.base, stack_id)

    # -- session ---------------------------------------------------------

    def start(self):
        """Connect and register; raise CoordinationUnavailable if late.

        On a timeout the client keeps connecting in the background and
        registers when it gets there.
        """
        event = self.client.start_async()
        event.wait(self._opts.zookeeper_connection_timeout)
        if not self.client.connected:
            raise CoordinationUnavailable(
                'ZooKeeper %s did not answer within %ss' % (
                    ','.join(self._opts.zookeeper_hosts),
                    self._opts.zookeeper_connection_timeout))
        self._connected.wait(self._opts.zookeeper_connection_timeout)

    def wait_connected(self, timeout):
        return self._connected.wait(timeout)

    def stop(self):
        """Leave: delete this engine's nodes, so peers take over at once."""
        with self._guard:
            locks = list(self._locks)
        for lock in locks:
            lock.release()
        try:
            self.client.stop()
            self.client.close()
        except Exception as exc:  # leaving anyway
            LOG.debug('ZooKeeper client stop: %s', exc)

    def _state_changed(self, state):
        # runs in kazoo's thread: never block here
        if state == states.KazooState.CONNECTED:
            self.client.handler.spawn(self._joined)
        elif state == states.KazooState.SUSPENDED:
            self.state = SUSPENDED
            self._connected.clear()
            LOG.warning('ZooKeeper connection suspended: engine %s starts '
                        'no new resource action until it is back',
                        self.engine_id)
        else:
            self.state = LOST
            self._connected.clear()
            with self._guard:
                lost, self._locks = list(self._locks), set()
                self._unreleased = {}
            for lock in lost:
                lock.lost = True
            LOG.error('ZooKeeper session of engine %(engine)s lost: it '
                      'abandons %(count)d stack operation(s) to the other '
                      'engines', {'engine': self.engine_id,
                                  'count': len(lost)})
            if lost:
                self.client.handler.spawn(self._on_session_lost, lost)

    def _joined(self):
        # a connection that drops again while registering gets a new
        # CONNECTED event (and a new _joined) when it comes back; until
        # then, keep trying while the client says it is connected
        delay = 0.2
        while True:
            try:
                self._register()
                break
            except kazoo_exceptions.KazooException as exc:
                LOG.error('Engine %(engine)s could not register in '
                          'ZooKeeper: %(exc)s', {'engine': self.engine_id,
                                                 'exc': exc})
                if not self.client.connected:
                    return
                self.client.handler.sleep_func(delay)
                delay = min(delay * 2, 2.0)
        with self._guard:
            unreleased, self._unreleased = self._unreleased, {}
        for lock, stack_id in unreleased.items():
            _release_quietly(lock, stack_id)
        self.state = CONNECTED
        self._connected.set()
        LOG.info('Engine %(engine)s is a member in ZooKeeper (%(path)s)',
                 {'engine': self.engine_id, 'path': self.members_path})

    def _register(self):
        path = member_path(self.base, self.engine_id)
        data = dict(self._versions, engine=self.engine_id,
                    host=socket.gethostname(), pid=os.getpid(),
                    started=timeutils.utcnow().isoformat())
        try:
            self.client.create(path, json.dumps(data).encode('utf-8'),
                               ephemeral=True, makepath=True)
        except kazoo_exceptions.NodeExistsError:
            pass  # same session, reconnected
        if not self._watching:
            # kazoo keeps the watch across reconnections
            self._watching = True
            self.client.ChildrenWatch(self.members_path,
                                      self._members_changed)

    # -- membership ------------------------------------------------------

    def _members_changed(self, children):
        current = set(children)
        with self._guard:
            lost = self._members - current
            self._members = current
        if lost:
            LOG.info('Engines left ZooKeeper: %s', ', '.join(sorted(lost)))
            self.client.handler.spawn(self._on_members_lost, lost)

    def members(self):
        with self._guard:
            return set(self._members)

    def is_member(self, engine_id):
        """Whether ``engine_id`` has a live session (this one's view)."""
        if self.state != CONNECTED:
            raise CoordinationUnavailable('no ZooKeeper session')
        with self._guard:
            return engine_id in self._members

    # -- stack locks -----------------------------------------------------

    def lock(self, stack_id):
        """Take the stack's lock without waiting; None if someone has it."""
        if self.state != CONNECTED:
            raise CoordinationUnavailable(
                'engine %s has no ZooKeeper session' % self.engine_id)
        lock = self.client.Lock(self.lock_path(stack_id), self.engine_id)
        if not lock.acquire(blocking=False):
            return None
        try:
            stat = self.client.exists('%s/%s' % (lock.path, lock.node))
        except kazoo_exceptions.KazooException:
            # never keep a lock node nobody knows of: a session that
            # survives would hold the stack against every engine
            _release_quietly(lock, stack_id)
            raise CoordinationUnavailable(
                'engine %s lost ZooKeeper while locking stack %s' % (
                    self.engine_id, stack_id))
        held = StackLock(self, stack_id, lock, stat.czxid)
        with self._guard:
            self._locks.add(held)
        return held

    def holder(self, stack_id):
        """Engine id holding the stack's lock, or None."""
        return holder(self.client, self.base, stack_id)

    def _forget(self, lock):
        with self._guard:
            self._locks.discard(lock)

    def _release_later(self, lock, stack_id):
        with self._guard:
            self._unreleased[lock] = stack_id


def _release_quietly(lock, stack_id):
    try:
        lock.release()
    except kazoo_exceptions.KazooException as exc:
        LOG.warning('Could not release the ZooKeeper lock of stack '
                    '%(stack)s: %(exc)s', {'stack': stack_id, 'exc': exc})
