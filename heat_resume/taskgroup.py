"""The drop-in for heat.engine.scheduler.DependencyTaskGroup.

Heat builds a DependencyTaskGroup for every legacy stack traversal
(create/check/suspend/resume in Stack.stack_task, delete, and the two
groups of an update) and drives it with a TaskRunner that sleeps one
second between steps. ParallelTaskGroup keeps that interface and, for a
stack heat_resume manages, hands the graph to the Scheduler while the
stack thread waits for it.

Heat's TaskRunner delivers two things between its steps: the stack
timeout (thrown in) and cancel messages (its progress callback reads the
stack's message queue). The waiting thread reads the queue itself every
MESSAGE_POLL seconds, and yields to the TaskRunner only once the
operation's deadline has passed (then every YIELD_INTERVAL), so a
finished graph is never kept waiting by the TaskRunner's one-second
sleep. Other stacks get the stock behaviour unchanged.
"""

import time

from oslo_config import cfg
from oslo_log import log as logging

from heat.engine import scheduler as heat_scheduler

from heat_resume import current
from heat_resume import graph as graphm
from heat_resume import operation as operationm
from heat_resume import scheduler

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# How often the waiting stack thread reads the stack's message queue.
MESSAGE_POLL = 0.1
# Past the deadline (or without an operation), how often it hands control
# to Heat's TaskRunner, which then sleeps ~1s before stepping it again.
YIELD_INTERVAL = 2.0


def _stack_of(dependencies):
    for key in dependencies:
        return getattr(key, 'stack', None)
    return None


class ParallelTaskGroup(heat_scheduler.DependencyTaskGroup):
    """DependencyTaskGroup that runs a managed stack's graph in parallel."""

    def __init__(self, dependencies, task=lambda o: o(), reverse=False,
                 name=None, error_wait_time=None,
                 aggregate_exceptions=False):
        super().__init__(dependencies, task=task, reverse=reverse, name=name,
                         error_wait_time=error_wait_time,
                         aggregate_exceptions=aggregate_exceptions)
        self._managed = operationm.managed(_stack_of(dependencies))
        if self._managed:
            self._task = task
            self._operation = current.operation()
            self._task_graph = graphm.TaskGraph.from_dependencies(
                dependencies, reverse=reverse)

    def __call__(self):
        if not self._managed:
            return super().__call__()
        return self._run_parallel()

    def _run_parallel(self):
        opts = CONF.heat_resume
        op = self._operation
        if op is not None:
            op.check_messages()
        sched = scheduler.Scheduler(
            self._task_graph, self._run_node,
            max_workers=opts.max_concurrency,
            grace_period=self.error_wait_time,
            aggregate=self.aggregate_exceptions, name=self.name)
        sched.start()
        thrown = None
        next_yield = (op.deadline if op is not None
                      else time.monotonic() + YIELD_INTERVAL)
        try:
            while not sched.wait(MESSAGE_POLL):
                try:
                    if op is not None:
                        op.check_messages()
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
        if thrown is not None:
            raise thrown
        errors = [exc for key, exc in sched.errors]
        if errors and self.aggregate_exceptions:
            raise heat_scheduler.ExceptionGroup(errors)
        if errors:
            raise errors[0]

    def _run_node(self, key, cancellation):
        op = self._operation
        if op is not None:
            op.check_owner('a new action on %s' % getattr(key, 'name', key))
        task = op.task_for(key, self._task) if op is not None else self._task
        opts = CONF.heat_resume
        intervals = scheduler.Backoff(opts.poll_interval_min,
                                      opts.poll_backoff_factor,
                                      opts.poll_interval_max)
        with current.bound(op):
            scheduler.drive(heat_scheduler.TaskRunner(task, key),
                            cancellation, intervals)
