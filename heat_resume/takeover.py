"""Resumes heat_resume operations whose engine died.

When an engine starts, Heat's own reset_stack_status finds every legacy
stack left IN_PROGRESS, steals its stack_lock from the dead engine (Heat's
liveness check decides) and, in a stack thread holding that lock, calls
``Stack.reset_stack_and_resources_in_progress`` to fail it ("Engine went
down during stack ..."). The seam routes that call here:
``resume_instead_of_reset`` resumes the operation in that same thread,
with that same lock and stack object, whenever it can.

``resume_stack`` does the same on demand (an operator's command), taking
the lock itself.
"""

from oslo_config import cfg
from oslo_log import log as logging

from heat.common import context
from heat.common import exception
from heat.engine import stack as parser
from heat.engine import stack_lock
from heat.objects import stack as stack_object

from heat_resume import operation as operationm
from heat_resume import progress

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
    operationm.Operation(stack, record, key, resuming=True).resume()
    return True


def resume_stack(stack_id, engine_id, thread_group_mgr):
    """Take the stack's lock and resume its operation in a new thread.

    Returns the thread; or None, touching nothing, when the stack has no
    heat_resume operation in flight, its owner is alive, or it cannot be
    resumed (then Heat's own reset_stack_status fails it as stock Heat
    would).
    """
    cnxt = context.get_admin_context()
    record, key = progress.load_operation(cnxt, stack_id)
    if record is None:
        return None
    lock = stack_lock.StackLock(cnxt, stack_id, engine_id)
    try:
        with lock.thread_lock(retry=False):
            stack = _load_in_progress(cnxt, stack_id)
            if stack is None or not _resumable(stack, record):
                lock.release()
                return None
            op = operationm.Operation(stack, record, key, resuming=True)
            return thread_group_mgr.start_with_acquired_lock(stack, lock,
                                                             op.resume)
    except exception.ActionInProgress:
        LOG.debug('Stack %s is locked by a live engine', stack_id)
        return None


def in_progress_stack_ids(cnxt):
    """Legacy stacks IN_PROGRESS, nested ones included."""
    stacks = stack_object.Stack.get_all(
        cnxt, filters={'status': parser.Stack.IN_PROGRESS,
                       'convergence': False}, show_nested=True)
    return [s.id for s in stacks]


def _resumable(stack, record):
    if operationm.Operation.resumable(stack, record):
        return True
    LOG.warning('Stack %(stack)s was in %(action)s when its engine went '
                'down; heat_resume does not resume %(action)s (operation '
                '%(op)s): Heat fails it', {'stack': stack.id,
                                           'action': stack.action,
                                           'op': record.get('op')})
    return False


def _load_in_progress(cnxt, stack_id):
    row = stack_object.Stack.get_by_id(cnxt, stack_id)
    if row is None or row.status != parser.Stack.IN_PROGRESS:
        return None
    stack = parser.Stack.load(cnxt, stack=row)
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
