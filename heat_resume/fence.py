"""The fence in the database: an owned operation's writes check the owner.

Heat's ``stack_lock`` row names the engine that runs a stack's operation,
and every takeover moves it first (Heat's steal is a compare-and-swap on
that row). So a write made for an owned operation runs in a transaction
that first reads that row with a shared lock (``FOR SHARE`` /
``LOCK IN SHARE MODE``) and goes on only if it still names this engine: a
steal, which needs the row exclusively, waits until such a write has
committed, and every write after the steal finds the new owner's id and
writes nothing. That holds whatever the clocks, pauses and ZooKeeper
sessions did: a zombie's write is refused by the database itself.

An engine paused inside such a transaction (SIGSTOP, a frozen VM) would
hold the shared lock, and with it every takeover, for as long as it is
paused. So the same transaction tells the server to end it when the
client leaves it idle for ``[heat_resume] fence_idle_timeout`` seconds
(MariaDB's ``idle_transaction_timeout``, PostgreSQL's
``idle_in_transaction_session_timeout``): the server closes the paused
engine's connection, rolls its write back, and the steal goes on. The
paused engine, when it wakes, finds its connection gone, reads the row
again and is refused.
"""

from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_log import log as logging
import sqlalchemy

from heat_resume import heat_internals as heat

LOG = logging.getLogger(__name__)

# DBAPI connection.info key: the idle timeout this connection carries
_IDLE_MARK = 'heat_resume_fence_idle_timeout'
_warned_unsupported = False


class OwnershipLost(Exception):
    """This engine no longer owns the operation: it must not write."""


class NotOwner(OwnershipLost):
    """The database refused a write: the stack_lock names another engine."""


def write_if_owner(context, stack_id, engine_id, write, *args, **kwargs):
    """``write(context, ...)`` in a transaction that checks the owner.

    Raises NotOwner, having written nothing, when the stack's stack_lock
    row does not name ``engine_id``; a write whose transaction the server
    ended (a pause past fence_idle_timeout) is tried once more, and so
    refused when the lock moved meanwhile.
    """
    try:
        return _write_if_owner(context, stack_id, engine_id, write,
                               *args, **kwargs)
    except db_exception.DBError as exc:
        holder = _holder(context, stack_id)
        if holder != engine_id:
            raise _refusal(holder, stack_id, ' (this engine\'s write '
                           'failed: %s)' % type(exc).__name__)
        if not isinstance(exc, db_exception.DBConnectionError):
            raise
        return _write_if_owner(context, stack_id, engine_id, write,
                               *args, **kwargs)


def _write_if_owner(context, stack_id, engine_id, write, *args, **kwargs):
    with heat.db_writer(context) as session:
        holder = _locked_holder(session, stack_id)
        if holder != engine_id:
            raise _refusal(holder, stack_id)
        return write(context, *args, **kwargs)


def _refusal(holder, stack_id, detail=''):
    return NotOwner('the database names engine %s as the owner of stack '
                    '%s%s' % (holder, stack_id, detail))


def _locked_holder(session, stack_id):
    """The stack_lock holder, read FOR SHARE, with the idle bound set."""
    timeout = cfg.CONF.heat_resume.fence_idle_timeout
    connection = session.connection()
    dialect = connection.dialect.name
    query = session.query(heat.StackLockModel.engine_id).filter_by(
        stack_id=stack_id).with_for_update(read=True)
    if dialect == 'postgresql':
        # transaction-local, set by the very statement that takes the lock
        query = query.add_columns(sqlalchemy.func.set_config(
            'idle_in_transaction_session_timeout',
            str(timeout * 1000), True))
    elif dialect == 'mysql':
        _mysql_idle_timeout(connection, timeout)
    row = query.first()
    return None if row is None else row[0]


def _mysql_idle_timeout(connection, seconds):
    """Once per connection: a session variable outlives transactions."""
    global _warned_unsupported
    if connection.info.get(_IDLE_MARK) == seconds:
        return
    try:
        connection.exec_driver_sql(
            'SET SESSION idle_transaction_timeout = %d' % seconds)
    except db_exception.DBError as exc:
        # MySQL has no such variable (MariaDB 10.3+ has): fenced still,
        # but a paused engine holds takeovers until it wakes or dies
        if not _warned_unsupported:
            _warned_unsupported = True
            LOG.warning('This database does not end idle transactions '
                        '(%s): an engine paused inside a write delays '
                        'the takeover of its stack until it wakes up or '
                        'dies. MariaDB 10.3+ and PostgreSQL do.', exc)
        seconds = None
    connection.info[_IDLE_MARK] = seconds


def holds_lock(context, stack_id, engine_id):
    """Whether Heat's stack_lock row of the stack names ``engine_id``."""
    return _holder(context, stack_id) == engine_id


def _holder(context, stack_id):
    return heat.StackLockObject.get_engine_id(context, stack_id)
