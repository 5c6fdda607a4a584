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

With ZooKeeper (``[heat_resume] zookeeper_hosts``) every engine joins at
start-up (``join``); Heat's liveness check answers from the membership;
when an engine leaves (its session ended: killed, paused past the
timeout, or stopped), the survivors sweep for the stacks it held and
race for them through ``resume_stack``: Heat's stack_lock steal is a
compare-and-swap, so exactly one wins. A periodic sweep catches what a
watch missed.
"""

from importlib import metadata as importlib_metadata
import threading

from oslo_config import cfg
from oslo_log import log as logging

from heat.common import context
from heat.common import exception
from heat.engine import stack as parser
from heat.engine import stack_lock
from heat.objects import stack as stack_object
from heat.objects import stack_lock as stack_lock_object

from heat_resume import coordination
from heat_resume import operation as operationm
from heat_resume import progress
from heat_resume import resumption

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
    resumption.ResumedOperation(stack, record, key).resume()
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
            op = resumption.ResumedOperation(stack, record, key)
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
    if resumption.resumable(stack, record):
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


# -- ZooKeeper: this engine's membership and takeovers --------------------

class Ownership(object):
    """An engine's side of ZooKeeper: join, sweep, take over, leave."""

    def __init__(self, engine_id, thread_group_mgr):
        self.engine_id = engine_id
        self.thread_group_mgr = thread_group_mgr
        self.coordinator = coordination.Coordinator(
            cfg.CONF.heat_resume, engine_id,
            on_members_lost=self._members_lost,
            on_session_lost=self._session_lost, versions=_versions())
        self._stopping = threading.Event()
        self._sweeping = threading.Lock()

    def start(self):
        coordination.set_active(self.coordinator)
        try:
            self.coordinator.start()
        except coordination.CoordinationUnavailable as exc:
            LOG.error('%s. Engine %s refuses new stack operations until it '
                      'is connected (it keeps trying).', exc, self.engine_id)
        threading.Thread(target=self._sweep_periodically, daemon=True,
                         name='heat-resume sweep').start()

    def stop(self):
        """Hand every operation over now: fence them, then leave."""
        self._stopping.set()
        operationm.Operation.hand_over_all(
            'engine %s is stopping and handed it over' % self.engine_id)
        coordination.set_active(None)
        self.coordinator.stop()

    def _members_lost(self, engines):
        LOG.info('Engine %(me)s looks for the operations of %(gone)s',
                 {'me': self.engine_id, 'gone': ', '.join(sorted(engines))})
        self.sweep()

    def _session_lost(self, locks):
        # the operations notice at their next write (lock.lost); nothing
        # else to do until a new session is there
        LOG.warning('Engine %(me)s abandons stacks %(ids)s',
                    {'me': self.engine_id,
                     'ids': ', '.join(lock.stack_id for lock in locks)})

    def _sweep_periodically(self):
        interval = cfg.CONF.heat_resume.takeover_sweep_interval
        while not self._stopping.wait(interval):
            try:
                self.sweep()
            except Exception:
                LOG.exception('Sweep for orphaned operations failed')

    def sweep(self):
        """Resume every operation whose engine is not a live member."""
        if self.coordinator.state != coordination.CONNECTED:
            return []
        with self._sweeping:
            cnxt = context.get_admin_context()
            members = self.coordinator.members()
            taken = []
            for stack_id in in_progress_stack_ids(cnxt):
                holder = stack_lock_object.StackLock.get_engine_id(cnxt,
                                                                   stack_id)
                if holder in members or holder == self.engine_id:
                    continue
                if resume_stack(stack_id, self.engine_id,
                                self.thread_group_mgr) is not None:
                    taken.append(stack_id)
            if taken:
                LOG.info('Engine %(me)s took over stacks %(ids)s',
                         {'me': self.engine_id, 'ids': ', '.join(taken)})
            return taken


def _versions():
    versions = {}
    for key, dist in (('heat', 'openstack-heat'),
                      ('heat_resume', 'heat-resume')):
        try:
            versions[key] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            versions[key] = None
    return versions


_ownership = {'current': None}


def join(service):
    """Called when an engine starts (seam): join ZooKeeper."""
    ownership = Ownership(service.engine_id, service.thread_group_mgr)
    _ownership['current'] = ownership
    ownership.start()


def leave():
    """Called when an engine stops (seam): hand over and leave."""
    ownership = _ownership['current']
    if ownership is not None:
        _ownership['current'] = None
        ownership.stop()


def engine_alive(engine_id):
    """Heat's liveness check from ZooKeeper; None: ask Heat's RPC ping."""
    ownership = _ownership['current']
    if ownership is None:
        return None
    try:
        return ownership.coordinator.is_member(engine_id)
    except coordination.CoordinationUnavailable:
        return None
