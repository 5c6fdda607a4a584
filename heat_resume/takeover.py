"""Finds heat_resume operations whose engine died, and resumes them.

For [core] this runs when an engine starts (before Heat's own
reset_stack_status, which would otherwise fail those stacks with "Engine
went down during stack ...") and on an operator's demand. The stack_lock
row decides who resumes: Heat's StackLock steals it from a dead engine
(Heat's own liveness check) and refuses it while the owner is alive.
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


def in_progress_stack_ids(cnxt):
    stacks = stack_object.Stack.get_all(
        cnxt, filters={'status': parser.Stack.IN_PROGRESS,
                       'convergence': False}, show_nested=True)
    return [s.id for s in stacks]


def resume_orphans(engine_id, thread_group_mgr):
    """Resume every orphaned operation this engine can lock; return ids."""
    resumed = []
    for stack_id in in_progress_stack_ids(context.get_admin_context()):
        try:
            if resume_stack(stack_id, engine_id, thread_group_mgr):
                resumed.append(stack_id)
        except Exception:
            LOG.exception('Could not resume stack %s', stack_id)
    return resumed


def resume_stack(stack_id, engine_id, thread_group_mgr):
    """Take the stack's lock and resume its operation in a new thread.

    Returns False, touching nothing, when the stack has no heat_resume
    operation in flight, its owner is alive, or it cannot be resumed
    (then Heat's own reset_stack_status fails it as stock Heat would).
    """
    cnxt = context.get_admin_context()
    record, key = progress.load_operation(cnxt, stack_id)
    if record is None:
        return False
    lock = stack_lock.StackLock(cnxt, stack_id, engine_id)
    try:
        with lock.thread_lock(retry=False):
            stack = _load_in_progress(cnxt, stack_id)
            if stack is None or not operationm.Operation.resumable(
                    stack, record):
                if stack is not None:
                    LOG.warning('Stack %(stack)s was in %(action)s when its '
                                'engine went down; heat_resume does not '
                                'resume %(action)s (operation %(op)s)',
                                {'stack': stack_id, 'action': stack.action,
                                 'op': record.get('op')})
                lock.release()
                return False
            op = operationm.Operation(stack, record, key, resuming=True)
            thread_group_mgr.start_with_acquired_lock(stack, lock, op.resume)
    except exception.ActionInProgress:
        LOG.debug('Stack %s is locked by a live engine', stack_id)
        return False
    return True


def _load_in_progress(cnxt, stack_id):
    """Load the stack with the credentials its handlers will need.

    With Heat's default trusts the stack's stored context is the user's
    delegated one, as Heat itself uses for deferred work; with
    ``deferred_auth_method = password`` (test clouds, noauth) building it
    needs Keystone, so the admin context is used, as Heat's own
    reset_stack_status does.
    """
    row = stack_object.Stack.get_by_id(cnxt, stack_id)
    if row is None or row.status != parser.Stack.IN_PROGRESS:
        return None
    return parser.Stack.load(
        cnxt, stack=row,
        use_stored_context=cfg.CONF.deferred_auth_method == 'trusts')
