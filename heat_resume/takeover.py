"""Takes over operations whose engine died, and resumes them.

When an engine starts, Heat's own reset_stack_status finds every legacy
stack left IN_PROGRESS, steals its stack_lock from the dead engine (Heat's
liveness check decides) and, in a stack thread holding that lock, calls
``Stack.reset_stack_and_resources_in_progress`` to fail it ("Engine went
down during stack ..."). The seam routes that call here:
``resume_instead_of_reset`` resumes the operation in that same thread,
with that same lock and stack object, whenever it can.

``resume_stack`` does the same on demand (an operator's command), taking
the lock itself.

With ZooKeeper, engines find the stacks of an engine that left through
``orphaned_stack_ids`` (membership.py sweeps) and race for them through
``resume_stack``: Heat's stack_lock steal is a compare-and-swap, so
exactly one wins.
"""

from oslo_config import cfg
from oslo_log import log as logging

from heat_resume import heat_internals as heat
from heat_resume import progress
from heat_resume import resume_rules as rules
from heat_resume import resumed_operation

LOG = logging.getLogger(__name__)


def resume_instead_of_reset(stack):
    """Resume the stack's operation in this thread; False if it can't."""
    record, key = progress.load_operation(stack.context, stack.id)
    if record is None:
        return False
    if not _resumable(stack, record):
        progress.delete_operation(stack.context, stack.id)
        return False
    _act_for_owner(stack)
    resumed_operation.ResumedOperation(stack, record, key).resume()
    return True


def resume_stack(stack_id, engine_id, thread_group_mgr):
    """Take the stack's lock and resume its operation in a new thread.

    Returns the thread; or None, touching nothing, when the stack has no
    heat_resume operation in flight, its owner is alive, or it cannot be
    resumed (then Heat's own reset_stack_status fails it as stock Heat
    would).
    """
    cnxt = heat.get_admin_context()
    record, key = progress.load_operation(cnxt, stack_id)
    if record is None:
        return None
    lock = heat.StackLock(cnxt, stack_id, engine_id)
    try:
        with lock.thread_lock(retry=False):
            stack = _load_in_progress(cnxt, stack_id)
            if stack is None or not _resumable(stack, record):
                lock.release()
                return None
            op = resumed_operation.ResumedOperation(stack, record, key)
            return thread_group_mgr.start_with_acquired_lock(stack, lock,
                                                             op.resume)
    except heat.ActionInProgress:
        LOG.debug('Stack %s is locked by a live engine', stack_id)
        return None


def orphaned_stack_ids(cnxt, alive):
    """Legacy stacks IN_PROGRESS whose stack_lock holder is not ``alive``.

    :param alive: engine ids known to be alive (ZooKeeper's members and
        this engine).
    """
    orphaned = []
    for stack in heat.legacy_stacks_in_progress(cnxt):
        holder = heat.StackLockObject.get_engine_id(cnxt, stack.id)
        if holder not in alive:
            orphaned.append(stack.id)
    return orphaned


def _resumable(stack, record):
    if rules.resumable(stack.action, record.get('op'),
                       stack.prev_raw_template_id, record):
        return True
    LOG.warning('Stack %(stack)s was in %(action)s when its engine went '
                'down; heat_resume does not resume %(action)s (operation '
                '%(op)s): Heat fails it', {'stack': stack.id,
                                           'action': stack.action,
                                           'op': record.get('op')})
    return False


def _load_in_progress(cnxt, stack_id):
    row = heat.StackObject.get_by_id(cnxt, stack_id)
    if row is None or row.status != heat.Stack.IN_PROGRESS:
        return None
    stack = heat.Stack.load(cnxt, stack=row)
    _act_for_owner(stack)
    return stack


def _act_for_owner(stack):
    """Give a stack loaded with an admin context its owner's credentials.

    That is the stack's stored context (a trust, or the stored user and
    password), as Heat itself uses for deferred work. A noauth deployment
    (no Keystone: test clouds) cannot authenticate it, so there the admin
    context acts in the stack's project with the placeholder credentials
    a noauth request carries. Called before the stack's resources are
    built: they copy stack.context.
    """
    if cfg.CONF.paste_deploy.flavor == 'noauth':
        stack.context.project_id = stack.tenant_id
        stack.context.auth_token = 'noauth'
        stack.context.auth_url = 'noauth'
    else:
        stack.context = stack.stored_context()
