"""The drop-in for Heat's DependencyTaskGroup: where traversals enter.

Heat builds a DependencyTaskGroup for every legacy stack traversal
(create/check/suspend/resume in Stack.stack_task, delete, and the two
groups of an update) and steps it with a TaskRunner that sleeps one
second between steps. ParallelTaskGroup keeps that interface and, for a
stack heat_resume manages, hands the group to the operation the stack
thread runs (operation.Operation.run_graph), or to a detached run for a
stack action heat_resume keeps no record of. Other stacks get the stock
behaviour unchanged.
"""

from heat_resume import bound_operation
from heat_resume import heat_internals as heat
from heat_resume import operation


def _stack_of(dependencies):
    for key in dependencies:
        return getattr(key, 'stack', None)
    return None


class ParallelTaskGroup(heat.DependencyTaskGroup):
    """DependencyTaskGroup that runs a managed stack's graph in parallel."""

    def __init__(self, dependencies, task=lambda o: o(), reverse=False,
                 name=None, error_wait_time=None,
                 aggregate_exceptions=False):
        super().__init__(dependencies, task=task, reverse=reverse, name=name,
                         error_wait_time=error_wait_time,
                         aggregate_exceptions=aggregate_exceptions)
        stack = _stack_of(dependencies)
        self._run = None
        if operation.managed(stack):
            run = bound_operation.get() or operation.Operation.detached(stack)
            self._run = run.run_graph(
                dependencies, task, reverse=reverse,
                error_wait_time=self.error_wait_time,
                aggregate_exceptions=self.aggregate_exceptions,
                name=self.name)

    def __call__(self):
        if self._run is None:
            return super().__call__()
        return self._run
