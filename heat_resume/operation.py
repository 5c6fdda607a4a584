"""One stack operation run by heat_resume: the unit a takeover resumes.

An operation starts when Heat calls a stack action (create, update,
delete, suspend, resume, check) on a legacy stack with the plugin
enabled, and ends when that call returns. While it runs, the stack has an
operation record (progress.py) naming the operation, the engine and the
stack action; nested calls (a rollback inside a create, the clean-up of a
backup stack) belong to the operation that made them.

Resuming rebuilds the operation from the database: Heat loads the stack,
the same stack action runs again, and for each resource ``task_for``
decides from its row and task record what is left to do.
"""

import copy
import functools
import time
import uuid

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import timeutils

from heat.common import exception
from heat.engine import resource as heat_resource
from heat.engine import scheduler as heat_scheduler
from heat.engine import stack as heat_stack
from heat.engine import stk_defn
from heat.engine import template as templatem

from heat_resume import actions
from heat_resume import conf
from heat_resume import coordination
from heat_resume import current
from heat_resume import progress

LOG = logging.getLogger(__name__)

CONF = cfg.CONF

# What resuming does with one resource (see decide()).
RUN = 'run'          # not started (or nothing to resume): the normal task
SKIP = 'skip'        # already done by the dead engine
POLL = 'poll'        # handler returned: poll its saved cookie
FINISH = 'finish'    # checks were complete, the state write was lost
RETRY = 'retry'      # caught inside the handler: call it again
FAIL = 'fail'        # caught inside the handler: fail it with a reason

# Stack actions that resume (ROLLBACK too, of a create or an update).
RESUMABLE = ('CREATE', 'DELETE', 'SUSPEND', 'RESUME', 'CHECK', 'UPDATE')


class OwnershipLost(Exception):
    """This engine no longer owns the operation: it must not write."""


def managed(stack):
    """True if heat_resume runs this stack's operations."""
    return (CONF.heat_resume.enabled and stack is not None and
            not getattr(stack, 'convergence', True))


def decide(action, resource_action, resource_status, record, policy):
    """What resuming ``action`` does with one resource. Pure."""
    if resource_action != action:
        return RUN
    if resource_status == heat_resource.Resource.COMPLETE:
        return RUN if action == heat_resource.Resource.DELETE else SKIP
    if resource_status != heat_resource.Resource.IN_PROGRESS:
        return RUN
    if action == heat_resource.Resource.DELETE:
        # handle_delete must be idempotent (Heat retries deletes itself)
        return RUN
    if record and record.get('action') == action:
        if record.get('phase') == progress.COMPLETE:
            return FINISH
        if (record.get('phase') == progress.RETURNED and
                record.get('cookie_saved')):
            return POLL
    return RETRY if policy == conf.IN_PROGRESS_RETRY else FAIL


class Operation(object):
    """A stack operation: its record, its engine, and how to resume it."""

    # the operations this process runs, by stack id, and the stacks it
    # lost (whose final state it must not persist)
    live = {}
    _lost = set()

    def __init__(self, stack, record, atomic_key, resuming=False,
                 msg_queue=None):
        self.stack = stack
        self.stack_id = stack.id
        self.record = record
        self.atomic_key = atomic_key
        self.resuming = resuming
        self.msg_queue = msg_queue
        self.deadline = time.monotonic() + stack.timeout_secs()
        self._cancelled = False
        self.lock = None
        self.fenced = None

    # -- ownership (ZooKeeper) --------------------------------------------

    def take_lock(self):
        """Own the stack in ZooKeeper, when it is used; record the token.

        Raises ActionInProgress when another engine owns it, and
        CoordinationUnavailable (a clear refusal) without a session.
        """
        coordinator = coordination.active()
        if coordinator is None:
            return
        lock = coordinator.lock(self.stack_id)
        if lock is None:
            raise exception.ActionInProgress(stack_name=self.stack.name,
                                             action=self.stack.action)
        self.lock = lock
        self.record['token'] = lock.token
        Operation.live[self.stack_id] = self

    def check_owner(self, what):
        """Raise OwnershipLost unless this engine may still write ``what``.

        Local knowledge first (the ZooKeeper session, waiting out a
        suspension), then the database: the operation record carries the
        token of its current owner, which a takeover replaces before it
        writes anything. A zombie (an engine paused past its session)
        finds the new token there even before its client notices.
        """
        if self.lock is None:
            return
        if self.fenced is None:
            timeout = CONF.heat_resume.zookeeper_session_timeout
            if not self.lock.wait_held(timeout):
                self.fenced = 'its ZooKeeper session was lost'
            else:
                record, _ = progress.load_operation(self.stack.context,
                                                    self.stack_id)
                if record is None:
                    self.fenced = ('its operation record is gone: another '
                                   'engine finished it')
                elif record.get('token') != self.lock.token:
                    self.fenced = ('engine %s took the operation over'
                                   % record.get('engine'))
        if self.fenced is not None:
            Operation._lost.add(self.stack_id)
            LOG.warning('Engine %(engine)s no longer owns the %(op)s of '
                        'stack %(stack)s (%(why)s): refused to write '
                        '%(what)s', {'engine': progress.engine_id(),
                                     'op': self.op, 'stack': self.stack_id,
                                     'why': self.fenced, 'what': what})
            raise OwnershipLost('%s: %s' % (self.stack_id, self.fenced))

    def release_lock(self):
        Operation.live.pop(self.stack_id, None)
        if self.lock is not None:
            self.lock.release()

    @classmethod
    def fenced_away(cls, stack_id):
        """Whether this process lost the stack (once per loss)."""
        if stack_id in cls._lost:
            cls._lost.discard(stack_id)
            return True
        return False

    @classmethod
    def hand_over_all(cls, why):
        """Fence every operation of this process (it is stopping)."""
        for operation in list(cls.live.values()):
            operation.fenced = why

    def check_messages(self):
        """Raise Heat's ForcedCancel if a cancel message is waiting.

        Heat checks the stack's message queue only between the 1-second
        steps of its TaskRunner; the task group asks here instead, within
        a tenth of a second. The first cancel is the only one.
        """
        if self.msg_queue is None or self._cancelled:
            return
        try:
            heat_stack.Stack._check_for_message(self.msg_queue)
        except heat_stack.ForcedCancel:
            self._cancelled = True
            raise

    @property
    def id(self):
        return self.record.get('id')

    @property
    def op(self):
        return self.record.get('op')

    @classmethod
    def begin(cls, stack, op, msg_queue=None, newstack=None):
        operation = cls(stack, {'id': str(uuid.uuid4()), 'op': op}, None,
                        msg_queue=msg_queue)
        operation.take_lock()
        try:
            operation.record, operation.atomic_key = (
                progress.create_operation(stack.context, stack.id, op,
                                          stack.action, operation.id,
                                          token=operation.record.get(
                                              'token')))
            if newstack is not None:
                # what a resumed update needs besides the new template
                operation.record['update'] = {
                    'disable_rollback': newstack.disable_rollback,
                    'timeout_mins': newstack.timeout_mins}
                operation._save()
        except Exception:
            operation.release_lock()
            raise
        LOG.debug('Operation %(id)s: %(op)s of stack %(stack)s begins',
                  {'id': operation.id, 'op': op, 'stack': stack.id})
        return operation

    def end(self):
        """Forget the operation once the stack's state is in the database.

        Legacy Heat writes the final state of a create/suspend/resume/check
        only when it releases the stack lock, after this returns; then the
        record keeps that final state until the lock is released
        (``released``), so that a takeover in between can finish it.
        """
        stack = self.stack
        try:
            if self.fenced is not None:
                return  # the record is the new owner's
            if stack.defer_state_persist() and stack.id is not None:
                self.record['final'] = [stack.action, stack.status,
                                        str(stack.status_reason)]
                self._save()
            else:
                progress.delete_operation(stack.context, self.stack_id)
        finally:
            self.release_lock()

    @staticmethod
    def released(stack_context, stack_id):
        progress.delete_operation(stack_context, stack_id)

    def _save(self):
        key = progress.update_operation(self.stack.context, self.stack_id,
                                        self.record, self.atomic_key)
        if key is None:
            LOG.warning('Operation record of stack %s changed under engine '
                        '%s', self.stack_id, progress.engine_id())
        else:
            self.atomic_key = key

    # -- per-resource decisions while resuming ----------------------------

    def task_for(self, resource, task):
        """The task that finishes ``resource``'s part of this operation."""
        if not self.resuming or not hasattr(resource, 'stack'):
            return task
        action = self.stack.action
        if action == self.stack.ROLLBACK and self.op != 'UPDATE':
            action = heat_resource.Resource.DELETE
        record = progress.load_task(resource.context, resource.id)
        if record is not None:
            progress.remember(resource, record)
        choice = decide(action, resource.action, resource.status, record,
                        CONF.heat_resume.in_progress_policy)
        if choice != RUN:
            LOG.info('Resuming %(res)s of stack %(stack)s: %(choice)s',
                     {'res': resource.name, 'stack': self.stack_id,
                      'choice': choice})
        return {
            RUN: task,
            SKIP: self._skip,
            POLL: lambda r: self._poll(r, action, record),
            FINISH: lambda r: self._finish(r, action),
            RETRY: lambda r: self._retry(r, action),
            FAIL: lambda r: self._fail(r, action, record),
        }[choice]

    def _after(self, resource, action):
        if action == resource.CREATE:
            stk_defn.update_resource_data(self.stack.defn, resource.name,
                                          resource.node_data())

    def _skip(self, resource):
        self._after(resource, resource.action)

    def _poll(self, resource, action, record):
        with resource._action_recorder(action):
            yield from actions.run_handler(resource, action, resume=record)
        self._after(resource, action)

    def _finish(self, resource, action):
        resource.state_set(action, resource.COMPLETE)
        self._after(resource, action)

    def _retry(self, resource, action):
        if action == resource.CREATE:
            resource.reparse()
        yield from resource._do_action(action)
        self._after(resource, action)

    def _fail(self, resource, action, record):
        engine = (record or {}).get('engine') or self.record.get('engine')
        reason = ('Engine %(engine)s went down inside handle_%(action)s of '
                  '%(res)s; no cookie to resume from and '
                  '[heat_resume] in_progress_policy = fail' %
                  {'engine': engine, 'action': action.lower(),
                   'res': resource.name})
        resource.state_set(action, resource.FAILED, reason)
        raise exception.ResourceFailure(exception.Error(reason), resource,
                                        action)

    # -- resuming the whole operation -------------------------------------

    def remaining_timeout(self):
        started = timeutils.parse_isotime(self.record['started_at'])
        elapsed = timeutils.delta_seconds(started, timeutils.utcnow(True))
        return max(self.stack.timeout_secs() - elapsed, 1)

    def resume(self):
        """Finish the operation in this thread (the stack is locked)."""
        stack = self.stack
        self.take_lock()
        final = self.record.get('final')
        if final:
            action, status, reason = final
            stack.state_set(action, status, reason)
            self.release_lock()
            return
        previous_engine = self.record.get('engine')
        self.record['resumes'] = self.record.get('resumes', 0) + 1
        if self.record['resumes'] > CONF.heat_resume.max_takeovers:
            self._give_up(previous_engine)
            return
        self.record['history'] = (self.record.get('history', []) + [
            {'engine': previous_engine, 'until': timeutils.utcnow(
            ).isoformat()}])[-progress.HISTORY_LENGTH:]
        self.record['engine'] = progress.engine_id()
        self._save()
        remaining = self.remaining_timeout()
        stack.timeout_secs = lambda: remaining
        self.deadline = time.monotonic() + remaining
        action = stack.action
        LOG.info('Engine %(me)s resumes %(action)s of stack %(stack)s '
                 '(operation %(op)s, previous engine %(prev)s, %(left)ds '
                 'of its timeout left)',
                 {'me': progress.engine_id(), 'action': action,
                  'stack': stack.id, 'op': self.id, 'prev': previous_engine,
                  'left': remaining})
        stack._add_event(action, stack.IN_PROGRESS,
                         'Stack %s resumed by engine %s after engine %s '
                         'went down' % (action, progress.engine_id(),
                                        previous_engine))
        started = time.monotonic()
        with current.bound(self):
            try:
                self._run_again(stack, action)
            finally:
                self.end()
        LOG.info('Resumed %(action)s of stack %(stack)s ended %(status)s '
                 'after %(secs).1fs', {'action': action,
                                       'stack': self.stack_id,
                                       'status': stack.status,
                                       'secs': time.monotonic() - started})

    def _give_up(self, previous_engine):
        """The poison guard: stop taking over an operation that kills."""
        reason = ('heat_resume gave up %s of the stack after %d takeovers '
                  '([heat_resume] max_takeovers = %d); last engine %s'
                  % (self.stack.action, self.record['resumes'] - 1,
                     CONF.heat_resume.max_takeovers, previous_engine))
        LOG.error('Stack %(stack)s: %(reason)s',
                  {'stack': self.stack_id, 'reason': reason})
        self._save()
        try:
            with current.bound(self):  # Heat's own reset, not a resume
                self.stack.reset_stack_and_resources_in_progress(reason)
        finally:
            self.end()

    def _run_again(self, stack, action):
        if self.op == stack.UPDATE and action in (stack.UPDATE,
                                                  stack.ROLLBACK):
            self._update_again(stack, action)
        elif action == stack.CREATE:
            stack.create()
        elif action == stack.DELETE:
            stack.delete()
        elif action == stack.ROLLBACK:
            stack.delete(action=stack.ROLLBACK)
        else:
            getattr(stack, action.lower())()

    def _update_again(self, stack, action):
        """Finish an interrupted legacy update (or its rollback).

        Legacy Heat keeps an update's progress in the database as it goes:
        the stack's template grows resource by resource, the target
        template is kept at prev_raw_template_id, replaced resources wait
        in the backup stack. So: let the actions in flight settle (poll
        their saved cookies), fail what cannot be polled (Heat then
        replaces it), and run the same update again; Heat's diff skips
        what is already done and cleans up the backup stack.
        """
        self._settle(stack)
        target = copy.deepcopy(templatem.Template.load(
            stack.context, stack.prev_raw_template_id))
        target.id = None  # update_task stores its own copy, deletes this
        kwargs = stack.get_kwargs_for_cloning(keep_tags=True)
        kwargs.update(self.record.get('update') or {})
        newstack = heat_stack.Stack(stack.context, stack.name, target,
                                    **kwargs)
        self.resuming = False  # from here on Heat's own update decides
        stack.status = stack.FAILED  # in memory: update_task refuses
        #                              an IN_PROGRESS stack
        if action == stack.UPDATE:
            stack.update(newstack)
        else:
            heat_scheduler.TaskRunner(stack.update_task, newstack,
                                      action=stack.ROLLBACK)()

    def _settle(self, stack):
        """Poll in-flight actions with a saved cookie; fail the others."""
        tasks = {}
        for resource in stack.resources.values():
            if resource.status != resource.IN_PROGRESS:
                continue
            record = progress.load_task(resource.context, resource.id)
            if (record and record.get('action') == resource.action and
                    record.get('phase') == progress.RETURNED and
                    record.get('cookie_saved')):
                progress.remember(resource, record)
                tasks[resource] = functools.partial(
                    self._poll, resource, resource.action, record)
            else:
                resource.state_set(
                    resource.action, resource.FAILED,
                    'Engine %s went down during %s %s; heat_resume runs '
                    'the update again' % (self.record.get('engine'),
                                          resource.action.lower(),
                                          resource.name))
        for resource, task in tasks.items():
            try:
                heat_scheduler.TaskRunner(task)()
            except Exception as exc:
                LOG.info('%(res)s settled as FAILED: %(exc)s',
                         {'res': resource.name, 'exc': exc})

    @staticmethod
    def resumable(stack, record):
        """Whether a stack found IN_PROGRESS with ``record`` can resume."""
        if record.get('final'):
            return True
        if stack.action == stack.ROLLBACK:
            return record.get('op') in (stack.CREATE, stack.UPDATE)
        if stack.action == stack.UPDATE:
            return stack.prev_raw_template_id is not None
        return stack.action in RESUMABLE


def run(stack, op, call, msg_queue=None, newstack=None):
    """Run ``call()``, a stack action of Heat's, as an operation."""
    if not managed(stack) or stack.id is None:
        return call()
    running = current.operation()
    if running is not None and running.stack_id == stack.id:
        return call()
    try:
        operation = Operation.begin(stack, op, msg_queue, newstack)
    except coordination.CoordinationUnavailable as exc:
        reason = ('heat_resume refused to start %s: %s; the engine accepts '
                  'stack operations again once its ZooKeeper session is '
                  'back' % (op, exc))
        LOG.error('Stack %(stack)s: %(reason)s',
                  {'stack': stack.id, 'reason': reason})
        stack.state_set(op, stack.FAILED, reason)
        return None
    with current.bound(operation):
        try:
            return call()
        finally:
            operation.end()
