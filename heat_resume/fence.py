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
"""

from heat_resume import heat_internals as heat


class OwnershipLost(Exception):
    """This engine no longer owns the operation: it must not write."""


class NotOwner(OwnershipLost):
    """The database refused a write: the stack_lock names another engine."""


def write_if_owner(context, stack_id, engine_id, write, *args, **kwargs):
    """``write(context, ...)`` in a transaction that checks the owner.

    Raises NotOwner, having written nothing, when the stack's stack_lock
    row does not name ``engine_id``.
    """
    with heat.db_writer(context) as session:
        holder = session.query(heat.StackLockModel.engine_id).filter_by(
            stack_id=stack_id).with_for_update(read=True).scalar()
        if holder != engine_id:
            raise NotOwner('the database names engine %s as the owner of '
                           'stack %s' % (holder, stack_id))
        return write(context, *args, **kwargs)


def holds_lock(context, stack_id, engine_id):
    """Whether Heat's stack_lock row of the stack names ``engine_id``."""
    return heat.StackLockObject.get_engine_id(context, stack_id) == engine_id
