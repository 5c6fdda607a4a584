"""The ``[heat_resume]`` options of heat.conf.

``list_opts`` feeds oslo-config-generator through the ``oslo.config.opts``
entry point; ``register_opts`` is called by the plugin when Heat loads it.
"""

import copy

from kazoo import hosts as kazoo_hosts
from oslo_config import cfg

GROUP = 'heat_resume'

IN_PROGRESS_RETRY = 'retry'
IN_PROGRESS_FAIL = 'fail'

heat_resume_opts = [
    cfg.BoolOpt(
        'enabled', default=False,
        help='Run legacy stack operations on the heat_resume scheduler. '
             'When true, every stack created from then on is a legacy '
             '(non-convergence) stack whatever [DEFAULT] convergence_engine '
             'says, its resource actions run in parallel, their progress '
             'is recorded in Heat\'s own tables, and an operation '
             'interrupted by an engine\'s death is resumed instead of '
             'failed. Existing convergence stacks keep running on stock '
             'convergence. Switching it off needs no migration: every '
             'stack stays manageable by stock Heat. Restart heat-engine '
             'after changing it.'),
    cfg.IntOpt(
        'max_concurrency', default=16, min=1, max=1024,
        help='Resource actions in flight at once per stack operation '
             '(each one a thread that calls the resource\'s handlers). '
             'Raise it for wide stacks whose resources mostly wait on '
             'other services; lower it to spare a busy cloud API.'),
    cfg.FloatOpt(
        'poll_interval_min', default=0.02, min=0.001,
        help='Seconds between the first calls to a resource\'s '
             'check_<action>_complete(). The interval grows by '
             'poll_backoff_factor after each call that is not yet '
             'complete, up to poll_interval_max.'),
    cfg.FloatOpt(
        'poll_interval_max', default=2.0, min=0.01,
        help='Longest wait, in seconds, between two calls to a '
             'resource\'s check_<action>_complete(). Stock Heat polls '
             'every second.'),
    cfg.FloatOpt(
        'poll_backoff_factor', default=1.5, min=1.0,
        help='Factor by which the polling interval grows while a '
             'resource action is not complete.'),
    cfg.StrOpt(
        'in_progress_policy', default=IN_PROGRESS_FAIL,
        choices=[(IN_PROGRESS_FAIL,
                  'mark the resource FAILED with a reason that names the '
                  'engine that died, so that the operation fails (or rolls '
                  'back) like any other resource failure'),
                 (IN_PROGRESS_RETRY,
                  'call the resource\'s handle_<action>() again; safe for '
                  'idempotent handlers, may duplicate a cloud resource '
                  'whose creation was in flight')],
        help='What resuming an operation does with a resource whose engine '
             'died inside handle_<action>(), that is with no saved cookie '
             'to resume polling from.'),
    cfg.IntOpt(
        'fence_idle_timeout', default=5, min=1, max=3600,
        help='Seconds the database server lets one of heat_resume\'s '
             'fenced write transactions sit idle before it ends it '
             '(MariaDB idle_transaction_timeout, PostgreSQL '
             'idle_in_transaction_session_timeout). Each such transaction '
             'holds a shared lock on the stack\'s stack_lock row for a few '
             'milliseconds; an engine paused inside one (SIGSTOP, a frozen '
             'VM) would hold the takeover of that stack until it wakes. '
             'This bounds that wait. A transaction ended by it is tried '
             'again, and refused if another engine took the stack over.'),
]


zookeeper_opts = [
    cfg.ListOpt(
        'zookeeper_hosts', default=[],
        help='ZooKeeper servers (host:port, comma separated). When set, '
             'every heat_resume stack operation is owned through a '
             'ZooKeeper lock, engines register there, Heat\'s engine '
             'liveness check answers from that membership, and the '
             'operations of an engine whose session ends are taken over '
             'by a live engine at once. When empty, an interrupted '
             'operation is resumed only when an engine starts.'),
    cfg.StrOpt(
        'zookeeper_base_path', default='/heat_resume',
        help='ZooKeeper path under which heat_resume keeps its nodes. Give '
             'each Heat deployment sharing a ZooKeeper its own.'),
    cfg.FloatOpt(
        'zookeeper_session_timeout', default=10.0, min=1.0,
        help='ZooKeeper session timeout, in seconds: how long after an '
             'engine stops answering its operations are taken over. The '
             'server bounds it (2 to 20 tickTimes).'),
    cfg.FloatOpt(
        'zookeeper_connection_timeout', default=10.0, min=0.5,
        help='Seconds an engine waits for ZooKeeper when it starts before '
             'it logs an error and keeps trying in the background; until '
             'connected it refuses new stack operations.'),
    cfg.IntOpt(
        'zookeeper_connection_retries', default=-1, min=-1,
        help='Connection attempts before giving up on a ZooKeeper server '
             '(-1: forever).'),
    cfg.StrOpt(
        'zookeeper_username',
        help='Digest username. With zookeeper_password, every node '
             'heat_resume creates gets an ACL that only this identity may '
             'read or change, so other ZooKeeper clients cannot take or '
             'break its locks.'),
    cfg.StrOpt(
        'zookeeper_password', secret=True,
        help='Digest password for zookeeper_username.'),
    cfg.BoolOpt(
        'zookeeper_use_tls', default=False,
        help='Connect to ZooKeeper over TLS (the server needs a secure '
             'client port).'),
    cfg.StrOpt('zookeeper_ca_file',
               help='CA bundle that signed the ZooKeeper server '
                    'certificate.'),
    cfg.StrOpt('zookeeper_cert_file',
               help='Client certificate for TLS to ZooKeeper.'),
    cfg.StrOpt('zookeeper_key_file',
               help='Private key of zookeeper_cert_file.'),
    cfg.FloatOpt(
        'takeover_sweep_interval', default=30.0, min=1.0,
        help='Seconds between two sweeps for orphaned operations (a safety '
             'net for missed ZooKeeper watches).'),
    cfg.IntOpt(
        'max_takeovers', default=3, min=0,
        help='An operation taken over more often than this is failed with '
             'a reason that says so, instead of being taken over again '
             '(it may be what kills its engines).'),
]

ALL_OPTS = heat_resume_opts + zookeeper_opts


def register_opts(conf=cfg.CONF):
    conf.register_opts(ALL_OPTS, group=GROUP)


class InvalidConfig(Exception):
    """A ``[heat_resume]`` option that cannot be used; one line says why."""


def validate(conf=cfg.CONF):
    """Read every ``[heat_resume]`` option now; raise InvalidConfig.

    A typo must stop the engine at start with one clear line, not surface
    as a traceback in the middle of a takeover.
    """
    group = conf[GROUP]
    for opt in ALL_OPTS:
        try:
            getattr(group, opt.dest)
        except (cfg.ConfigFileValueError, ValueError) as exc:
            raise InvalidConfig('[%s] %s: %s' % (GROUP, opt.name, exc))
    for host in group.zookeeper_hosts:
        try:
            kazoo_hosts.collect_hosts(host)
        except ValueError as exc:
            raise InvalidConfig('[%s] zookeeper_hosts: %r is not host:port '
                                '(%s)' % (GROUP, host, exc))


def sizing_warnings(conf=cfg.CONF):
    """What in heat.conf does not fit heat_resume's concurrency.

    Each resource action in flight holds a database connection while it
    writes; oslo.db closes every connection beyond ``max_pool_size`` when
    it is returned, so a pool smaller than ``max_concurrency`` opens (TCP,
    MySQL handshake, TLS context) a connection for most writes: 16 % of an
    engine's time in the benchmarks.
    """
    warnings = []
    pool = getattr(getattr(conf, 'database', None), 'max_pool_size', None)
    want = conf[GROUP].max_concurrency
    if pool is not None and 0 < pool < want:
        warnings.append(
            '[database] max_pool_size = %d is below [heat_resume] '
            'max_concurrency = %d: resource actions will open a new database '
            'connection for most writes. Set max_pool_size to at least %d '
            '(and keep the connections of all engine workers, logged '
            'at start, within the database server\'s limit).' % (
                pool, want, want))
    return warnings


def connection_bound(conf=cfg.CONF):
    """The database connections one engine worker may open, or None.

    oslo.db's pool keeps ``max_pool_size`` and opens up to ``max_overflow``
    more; Heat's engine raises ``max_overflow`` to
    ``executor_thread_pool_size`` (64 by default) at start
    (``EngineService._configure_db_conn_pool_size``). Stock legacy Heat
    rarely needs them; heat_resume's threads (``max_concurrency`` per
    operation, nested stacks included) can.
    """
    database = getattr(conf, 'database', None)
    pool = getattr(database, 'max_pool_size', None)
    if not pool:
        return None
    overflow = getattr(database, 'max_overflow', None) or 0
    try:
        executor = conf.executor_thread_pool_size
    except cfg.NoSuchOptError:
        executor = 0
    return pool + max(overflow, executor)


# Of oslo.service's graceful_shutdown_timeout, what an engine keeps for
# handing its operations over and for Heat's own stop, after the drain.
HAND_OVER_MARGIN = 2.0


def drain_timeout(conf=cfg.CONF):
    """Seconds a stopping engine waits for running handlers, or None.

    oslo.service kills an engine that has not stopped within
    ``[DEFAULT] graceful_shutdown_timeout`` (60 s by default; 0 waits for
    ever, and so does the drain). The drain takes that less
    HAND_OVER_MARGIN, and at least half of it.
    """
    try:
        timeout = conf.graceful_shutdown_timeout
    except cfg.NoSuchOptError:
        timeout = 60
    if not timeout:
        return None
    return max(timeout - HAND_OVER_MARGIN, timeout / 2.0)


def list_opts():
    """Options for oslo-config-generator, as deep copies."""
    return [(GROUP, copy.deepcopy(ALL_OPTS))]
