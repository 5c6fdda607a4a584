"""One stack operation run by heat_resume: the unit a takeover resumes.

An operation starts when Heat calls a stack action (create, update,
delete, suspend, resume, check) on a legacy stack with the plugin
enabled, and ends when that call returns. While it runs, the stack has an
operation record (progress.py) naming the operation, the engine and the
stack action; nested calls (a rollback inside a create, the clean-up of a
backup stack) belong to the operation that made them.

The operation owns its run: each of Heat's dependency task groups that
the stack action builds (drop_in.py hands them over) becomes a TaskGraph
that ``run_graph`` drives on a Scheduler, while the stack thread waits,
reading cancel messages and handing control to Heat's TaskRunner once the
deadline has passed. It also holds what every operation needs of
ZooKeeper: taking the stack's lock, fencing (``check_owner``) and
hand-over. Resuming an operation from the database is
resumed_operation.py.
"""

import threading
import time
import uuid

from oslo_config import cfg
from oslo_log import log as logging

from heat_resume import bound_operation
from heat_resume import coordination
from heat_resume import engine_identity
from heat_resume import fence
from heat_resume import graph as graphm
from heat_resume import heat_internals as heat
from heat_resume import progress
from heat_resume import scheduler

LOG = logging.getLogger(__name__)

CONF = cfg.CONF

# How often the waiting stack thread reads the stack's message queue.
MESSAGE_POLL = 0.1
# Past the deadline, how often it hands control to Heat's TaskRunner,
# which then sleeps ~1s before stepping it again (and throws Heat's
# stack timeout in).
YIELD_INTERVAL = 2.0


OwnershipLost = fence.OwnershipLost


def managed(stack):
    """True if heat_resume runs this stack's operations."""
    return (CONF.heat_resume.enabled and stack is not None and
            not getattr(stack, 'convergence', True))


class Operation(object):
    """A stack operation: its record, its engine, and how to resume it."""

    # the operations this process runs, by stack id, and the stacks it
    # lost (whose final state it must not persist)
    live = {}
    _lost = set()
    # stacks whose operation here ran under Heat's stack_lock row: their
    # final persist is fenced in the database too (seam._wrap_persist)
    _fenced_in_db = set()
    # set while this process drains before it stops (drain_all): no
    # operation starts a new resource action
    draining = threading.Event()
    # False for a run without a record (detached()): nothing binds it
    recorded = True

    def __init__(self, stack, record, atomic_key, msg_queue=None):
        self.stack = stack
        self.stack_id = stack.id
        self.record = record
        self.atomic_key = atomic_key
        self.msg_queue = msg_queue
        self.deadline = time.monotonic() + stack.timeout_secs()
        self._cancelled = False
        self.lock = None
        self.fenced = None
        # whether the database fences this operation's writes (fence.py):
        # once Heat's stack_lock row is this engine's
        self.fenced_in_db = False
        # worker threads whose resource action started and whose handler
        # has not returned yet: what a drain waits for
        self._busy = set()
        self._settled = threading.Condition()
        self._handed_over = threading.Event()
        self._schedulers = set()

    @classmethod
    def detached(cls, stack):
        """A graph run heat_resume keeps no operation record of.

        Stack actions the seam does not wrap (adopt, snapshot) still run
        their graphs in parallel, but cannot be resumed: no lock, no
        record, no fencing, no deadline of their own.
        """
        run = cls(stack, {}, None)
        run.recorded = False
        run.deadline = None
        return run

    # -- ownership (ZooKeeper) --------------------------------------------

    def take_lock(self):
        """Own the stack in ZooKeeper, when it is used; record the token.

        Raises ActionInProgress when another engine owns it, and
        CoordinationUnavailable (a clear refusal) without a session.
        """
        # a loss this process noted for an earlier operation on the stack
        # is not this one's
        Operation._lost.discard(self.stack_id)
        coordinator = coordination.active()
        if coordinator is not None:
            lock = coordinator.lock(self.stack_id)
            if lock is None:
                raise heat.ActionInProgress(stack_name=self.stack.name,
                                            action=self.stack.action)
            self.lock = lock
            self.record['token'] = lock.token
        Operation.live[self.stack_id] = self
        # Heat took the stack_lock for this engine before the stack thread
        # started (a takeover stole it): from now on the database refuses
        # this operation's writes once the row names another engine. A
        # stack run without the row (Heat's in-process tests) is fenced by
        # the checks of check_owner only.
        self.fenced_in_db = fence.holds_lock(
            self.stack.context, self.stack_id, engine_identity.engine_id())
        if self.fenced_in_db:
            Operation._fenced_in_db.add(self.stack_id)

    def check_owner(self, what):
        """Raise OwnershipLost unless this engine may still write ``what``.

        Local knowledge first: the ZooKeeper session (waiting out a
        suspension). Then, for an operation the database fences
        (``fenced_in_db``), nothing more: the write itself is refused to
        a zombie, in its own transaction. Otherwise (a stack run without
        Heat's stack_lock row) the operation record, which carries the
        token of its current owner and which a takeover replaces before
        it writes anything, is read every time.
        """
        if self.fenced is None and self.lock is not None:
            timeout = CONF.heat_resume.zookeeper_session_timeout
            if not self.lock.wait_held(timeout):
                self.fenced = 'its ZooKeeper session was lost'
            elif not self.fenced_in_db:
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
                        '%(what)s', {'engine': engine_identity.engine_id(),
                                     'op': self.op, 'stack': self.stack_id,
                                     'why': self.fenced, 'what': what})
            raise OwnershipLost('%s: %s' % (self.stack_id, self.fenced))

    def confirm_owner(self, what):
        """After check_owner(), the database's own answer (one read).

        For the one effect the database cannot refuse, a handler's call to
        the cloud, when no fenced write has just proven ownership.
        """
        if (self.fenced is None and self.fenced_in_db and
                not fence.holds_lock(self.stack.context, self.stack_id,
                                     engine_identity.engine_id())):
            self.fenced = 'its stack_lock row names another engine'
        if self.fenced is not None:
            self.check_owner(what)  # logs the refusal and raises

    def release_lock(self):
        Operation.live.pop(self.stack_id, None)
        if self.lock is not None:
            self.lock.release()

    @classmethod
    def persist_fenced(cls, stack_id):
        """Whether the stack's final persist is fenced (once per run)."""
        return cls._take(cls._fenced_in_db, stack_id)

    @classmethod
    def fenced_away(cls, stack_id):
        """Whether this process lost the stack (once per loss)."""
        return cls._take(cls._lost, stack_id)

    @staticmethod
    def _take(marks, stack_id):
        """Whether ``stack_id`` is marked; the mark is used up."""
        if stack_id in marks:
            marks.discard(stack_id)
            return True
        return False

    # -- stopping: drain, then hand over ----------------------------------

    @classmethod
    def drain_all(cls, timeout):
        """Start no new resource action; wait for running handlers.

        A handler that returns records its cookie, from which a peer
        resumes by polling; one still inside its handler at the bound is
        handed over as after a kill (in_progress_policy). ``timeout``
        None waits for every handler. Returns how many were still inside
        their handler.
        """
        cls.draining.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        for op in list(cls.live.values()):
            op._wait_settled(deadline)
        return sum(len(op._busy) for op in list(cls.live.values()))

    @classmethod
    def hand_over_all(cls, why):
        """Fence every operation of this process (it is stopping).

        Nothing more is written for them; their runs stop at once, without
        cancelling what they started in the cloud (the new owner polls
        it).
        """
        for operation in list(cls.live.values()):
            operation.fenced = why
            operation._handed_over.set()
            for sched in list(operation._schedulers):
                sched.cancel()

    def _wait_settled(self, deadline):
        with self._settled:
            self._settled.wait_for(
                lambda: not self._busy,
                None if deadline is None
                else max(deadline - time.monotonic(), 0))

    def handler_returned(self):
        """The current worker's handler returned: it may be handed over."""
        with self._settled:
            self._busy.discard(threading.get_ident())
            self._settled.notify_all()

    def _wait_unless_draining(self):
        """Hold a new resource action while the process drains.

        It starts nothing: once the operation is handed over, the owner
        check that follows refuses it before any write.
        """
        while Operation.draining.is_set() and self.fenced is None:
            self._handed_over.wait(0.5)

    def check_messages(self):
        """Raise Heat's ForcedCancel if a cancel message is waiting.

        Heat checks the stack's message queue only between the 1-second
        steps of its TaskRunner; the task group asks here instead, within
        a tenth of a second. The first cancel is the only one.
        """
        if self.msg_queue is None or self._cancelled:
            return
        try:
            heat.check_for_message(self.msg_queue)
        except heat.ForcedCancel:
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
            try:
                self.check_owner('the end of the operation')
            except OwnershipLost:
                return  # the record, and the final state, are the owner's
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

    @staticmethod
    def abandoned(stack_context, stack_id, engine_id):
        """Free Heat's stack_lock after a lost operation, if still ours.

        A peer that took the operation over holds the lock already (it
        stole it), and the release, keyed on this engine's id, changes
        nothing. When no peer did (every engine lost ZooKeeper for a
        while: this one fenced itself, and its session came back), the
        stack would otherwise stay locked by a live engine that runs
        nothing for it, and no sweep would ever resume it.
        """
        if heat.StackLockObject.release(stack_context, stack_id,
                                        engine_id) is None:
            LOG.info('Engine %(engine)s released the stack lock of '
                     '%(stack)s: any engine can resume the operation',
                     {'engine': engine_id, 'stack': stack_id})

    def task_for(self, resource, task):
        """The task that does ``resource``'s part of this operation.

        Heat's own, for an operation that runs from the start; a resumed
        operation (resumed_operation.ResumedOperation) decides per
        resource.
        """
        return task

    # -- the run: Heat's dependency task groups as graphs ------------------

    def run_graph(self, dependencies, task, reverse=False,
                  error_wait_time=None, aggregate_exceptions=False,
                  name=None):
        """Run one of Heat's task groups; a task Heat's TaskRunner steps.

        Builds the TaskGraph of ``dependencies`` and has a Scheduler run
        it, ``task(resource)`` per node (or what ``task_for`` chose), at
        most ``max_concurrency`` at once. Failure semantics are Heat's
        DependencyTaskGroup's (``error_wait_time``,
        ``aggregate_exceptions``). This generator only waits: it reads
        cancel messages every MESSAGE_POLL seconds and yields to Heat's
        TaskRunner only once the deadline has passed, so a finished
        graph is never kept waiting by the TaskRunner's one-second sleep.
        """
        opts = CONF.heat_resume
        self.check_messages()
        sched = scheduler.Scheduler(
            graphm.TaskGraph.from_dependencies(dependencies, reverse=reverse),
            lambda key, cancellation: self._run_node(key, task,
                                                     cancellation),
            max_workers=opts.max_concurrency, grace_period=error_wait_time,
            aggregate=aggregate_exceptions, name=name)
        self._schedulers.add(sched)
        sched.start()
        thrown = None
        next_yield = (self.deadline if self.deadline is not None
                      else time.monotonic() + YIELD_INTERVAL)
        try:
            while not sched.wait(MESSAGE_POLL):
                try:
                    self.check_messages()
                    if time.monotonic() >= next_yield:
                        next_yield = time.monotonic() + YIELD_INTERVAL
                        yield
                except Exception as exc:
                    # a cancel message: stop after the grace period
                    thrown = thrown or exc
                    sched.cancel(graceful=True)
        except BaseException:
            # timeout, or the runner closed us: stop now, then re-raise
            sched.cancel()
            sched.wait()
            raise
        finally:
            self._schedulers.discard(sched)
        if thrown is not None:
            raise thrown
        errors = [exc for key, exc in sched.errors]
        if errors and aggregate_exceptions:
            raise heat.ExceptionGroup(errors)
        if errors:
            raise errors[0]

    def _run_node(self, resource, task, cancellation):
        """One node, on a worker thread: the resource's whole task."""
        self._wait_unless_draining()
        self.check_owner('a new action on %s'
                         % getattr(resource, 'name', resource))
        opts = CONF.heat_resume
        intervals = scheduler.Backoff(opts.poll_interval_min,
                                      opts.poll_backoff_factor,
                                      opts.poll_interval_max)
        me = threading.get_ident()
        with self._settled:
            self._busy.add(me)
        try:
            with bound_operation.bind(self if self.recorded else None):
                scheduler.drive(heat.TaskRunner(
                    self.task_for(resource, task), resource),
                    cancellation, intervals)
        finally:
            self.handler_returned()

    def _save(self):
        """Compare-and-swap the record; OwnershipLost if it changed.

        Only a takeover (or an operator's release) writes the record of a
        running operation: then this engine is no longer its owner.
        """
        key = progress.update_operation(self.stack.context, self.stack_id,
                                        self.record, self.atomic_key)
        if key is None:
            self.fenced = 'its operation record changed under it'
            self.check_owner('its operation record')
        self.atomic_key = key


def run(stack, op, call, msg_queue=None, newstack=None):
    """Run ``call()``, a stack action of Heat's, as an operation."""
    if not managed(stack) or stack.id is None:
        return call()
    running = bound_operation.get()
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
    with bound_operation.bind(operation):
        try:
            return call()
        finally:
            operation.end()
