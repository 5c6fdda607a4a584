"""An operation whose engine died, rebuilt from the database and finished.

Heat loads the stack, the same stack action runs again, and for each
resource ``ResumedOperation.task_for`` asks resume_rules.decide, from its
row and its task record, what is left to do. An interrupted update is
finished by running Heat's update again (``_update_again``). Which stacks
to resume, and when, is takeover.py's.
"""

import copy
import functools
import time

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import timeutils

from heat_resume import bound_operation
from heat_resume import engine_identity
from heat_resume import handler_loop
from heat_resume import heat_internals as heat
from heat_resume import operation
from heat_resume import progress
from heat_resume import resume_rules as rules

LOG = logging.getLogger(__name__)

CONF = cfg.CONF


class ResumedOperation(operation.Operation):
    """An operation taken over from a dead engine."""

    rebuilding = True  # until Heat's own update takes over (updates)
    previous_engine = None  # the engine that ran it before (resume())

    def task_for(self, resource, task):
        """The task that finishes ``resource``'s part of this operation."""
        if not self.rebuilding or not hasattr(resource, 'stack'):
            return task
        action = rules.resource_action(self.stack.action, self.op)
        record = progress.load_task(resource.context, resource.id)
        if record is not None:
            progress.remember(resource, record)
        choice = rules.decide(action, resource.action, resource.status,
                              record, CONF.heat_resume.in_progress_policy)
        child = None
        if rules.may_adopt(choice, action, record):
            child = heat.child_stack_left(resource)
            if child is not None:
                choice = rules.ADOPT
        if choice != rules.RUN:
            LOG.info('Resuming %(res)s of stack %(stack)s: %(choice)s',
                     {'res': resource.name, 'stack': self.stack_id,
                      'choice': choice})
        return {
            rules.RUN: task,
            rules.SKIP: self._skip,
            rules.POLL: lambda r: self._poll(r, action, record),
            rules.FINISH: lambda r: self._finish(r, action),
            rules.RETRY: lambda r: self._retry(r, action),
            rules.FAIL: lambda r: self._fail(r, action, record),
            rules.ADOPT: lambda r: self._adopt(r, action, record, child),
        }[choice]

    def _after(self, resource, action):
        if action == resource.CREATE:
            heat.update_resource_data(self.stack.defn, resource.name,
                                      resource.node_data())

    def _skip(self, resource):
        self._after(resource, resource.action)

    def _poll(self, resource, action, record):
        with heat.action_recorder(resource, action):
            yield from handler_loop.run_handler(resource, action,
                                                resume=record)
        self._after(resource, action)

    def _finish(self, resource, action):
        resource.state_set(action, resource.COMPLETE)
        self._after(resource, action)

    def _retry(self, resource, action):
        if action == resource.CREATE:
            resource.reparse()
            if resource.resource_id is not None:
                # The interrupted handle_create got as far as storing a
                # physical id: remove that object first, as Heat's own
                # create retry (Resource.create) does, or it leaks.
                LOG.info('Deleting %(id)s, left by the interrupted create '
                         'of %(res)s, before creating it again',
                         {'id': resource.resource_id, 'res': resource.name})
                yield from heat.do_action(resource, resource.DELETE)
        yield from heat.do_action(resource, action)
        self._after(resource, action)

    def _adopt(self, resource, action, record, child):
        LOG.info('Adopting nested stack %(child)s, made by the interrupted '
                 'create of %(res)s, instead of creating it again',
                 {'child': child.id, 'res': resource.name})
        with heat.action_recorder(resource, action):
            resource.resource_id_set(child.id)
            yield from handler_loop.run_handler(resource, action,
                                                resume=record)
        self._after(resource, action)

    def _fail(self, resource, action, record):
        engine = (record or {}).get('engine') or self.previous_engine
        reason = ('Engine %(engine)s went down inside handle_%(action)s of '
                  '%(res)s; no cookie to resume from and '
                  '[heat_resume] in_progress_policy = fail' %
                  {'engine': engine, 'action': action.lower(),
                   'res': resource.name})
        resource.state_set(action, resource.FAILED, reason)
        raise heat.ResourceFailure(heat.Error(reason), resource, action)

    # -- resuming the whole operation -------------------------------------

    def remaining_timeout(self):
        started = timeutils.parse_isotime(self.record['started_at'])
        elapsed = timeutils.delta_seconds(started, timeutils.utcnow(True))
        return max(self.stack.timeout_secs() - elapsed, 1)

    def resume(self):
        """Finish the operation in this thread (the stack is locked).

        The ZooKeeper lock taken here is released on every path: a resume
        that fails (an unreadable record, a database error) leaves the
        stack to the next sweep, not locked against every engine.
        """
        self.take_lock()
        try:
            self._resume()
        except BaseException:
            self.release_lock()
            raise

    def _resume(self):
        stack = self.stack
        final = self.record.get('final')
        if final:
            action, status, reason = final
            stack.state_set(action, status, reason)
            self.release_lock()
            return
        previous_engine = self.previous_engine = self.record.get('engine')
        self.record['resumes'] = self.record.get('resumes', 0) + 1
        if self.record['resumes'] > CONF.heat_resume.max_takeovers:
            self._give_up(previous_engine)
            return
        self.record['history'] = (self.record.get('history', []) + [
            {'engine': previous_engine, 'until': timeutils.utcnow(
            ).isoformat()}])[-progress.HISTORY_LENGTH:]
        self.record['engine'] = engine_identity.engine_id()
        self._save()
        remaining = self.remaining_timeout()
        stack.timeout_secs = lambda: remaining
        self.deadline = time.monotonic() + remaining
        action = stack.action
        LOG.info('Engine %(me)s resumes %(action)s of stack %(stack)s '
                 '(operation %(op)s, previous engine %(prev)s, %(left)ds '
                 'of its timeout left)',
                 {'me': engine_identity.engine_id(), 'action': action,
                  'stack': stack.id, 'op': self.id, 'prev': previous_engine,
                  'left': remaining})
        heat.add_event(stack, action, stack.IN_PROGRESS,
                       'Stack %s resumed by engine %s after engine %s went '
                       'down' % (action, engine_identity.engine_id(),
                                 previous_engine))
        started = time.monotonic()
        with bound_operation.bind(self):
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
            with bound_operation.bind(self):  # Heat's own reset, not a resume
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
        target = copy.deepcopy(heat.Template.load(
            stack.context, stack.prev_raw_template_id))
        target.id = None  # update_task stores its own copy, deletes this
        kwargs = stack.get_kwargs_for_cloning(keep_tags=True)
        kwargs.update(self.record.get('update') or {})
        newstack = heat.Stack(stack.context, stack.name, target, **kwargs)
        self.rebuilding = False  # from here on Heat's own update decides
        stack.status = stack.FAILED  # in memory: update_task refuses
        #                              an IN_PROGRESS stack
        if action == stack.UPDATE:
            stack.update(newstack)
        else:
            heat.TaskRunner(stack.update_task, newstack,
                            action=stack.ROLLBACK)()

    def _settle(self, stack):
        """Poll in-flight actions with a saved cookie; fail the others."""
        tasks = {}
        for resource in stack.resources.values():
            if resource.status != resource.IN_PROGRESS:
                continue
            record = progress.load_task(resource.context, resource.id)
            if rules.pollable(record, resource.action):
                progress.remember(resource, record)
                tasks[resource] = functools.partial(
                    self._poll, resource, resource.action, record)
            else:
                resource.state_set(
                    resource.action, resource.FAILED,
                    'Engine %s went down during %s %s; heat_resume runs '
                    'the update again' % (self.previous_engine,
                                          resource.action.lower(),
                                          resource.name))
        for resource, task in tasks.items():
            try:
                heat.TaskRunner(task)()
            except Exception as exc:
                LOG.info('%(res)s settled as FAILED: %(exc)s',
                         {'res': resource.name, 'exc': exc})
