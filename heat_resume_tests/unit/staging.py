"""What a dead engine leaves behind, staged with the real code paths.

An engine cannot be killed in-process: test_resume, test_takeover and
test_cli stage its database (a create cut mid-way by 'engine-that-died')
with StagingMixin, then resume it as 'engine-resuming'.
"""

from heat.engine.resources.openstack.heat import test_resource
from heat.engine import stack as heat_stack

from heat_resume import bound_operation
from heat_resume import engine_identity
from heat_resume import operation
from heat_resume import progress
from heat_resume import resume_rules
from heat_resume import resumed_operation
from heat_resume_tests.unit import base


class StagingMixin(object):
    """Stages what a dead engine leaves behind; counts handle_create."""

    def setUp(self):
        super().setUp()
        self.calls = []
        original = test_resource.TestResource.handle_create

        def handle_create(rsrc):
            self.calls.append(rsrc.name)
            return original(rsrc)

        self.patchobject(test_resource.TestResource, 'handle_create',
                         side_effect=handle_create, autospec=True)

    def stage_create(self, resources, done=(), returned=(), inside=(),
                     checked=(), unrecorded=()):
        """Leave a stack as an engine that died mid-create would."""
        engine_identity.set_engine_id('engine-that-died')
        self.addCleanup(engine_identity.set_engine_id, None)
        stack = self.parse(base.hot(resources))
        stack._store_resources()
        stack.state_set(stack.CREATE, stack.IN_PROGRESS, 'started')
        op = operation.Operation.begin(stack, 'CREATE')
        with bound_operation.bind(op):
            for name in done:
                self.run_task(stack[name].create)
            for name in list(returned) + list(checked):
                rsrc = stack[name]
                rsrc.state_set(rsrc.CREATE, rsrc.IN_PROGRESS)
                record, _ = progress.task_started(rsrc, rsrc.CREATE, op.id)
                cookie = rsrc.handle_create()
                progress.task_returned(rsrc, record, cookie)
                if name in checked:
                    progress.task_finished(rsrc, record, ok=True)
            for name in inside:
                rsrc = stack[name]
                rsrc.state_set(rsrc.CREATE, rsrc.IN_PROGRESS)
                progress.task_started(rsrc, rsrc.CREATE, op.id)
            # killed after Heat wrote IN_PROGRESS, before the task record
            for name in unrecorded:
                rsrc = stack[name]
                rsrc.state_set(rsrc.CREATE, rsrc.IN_PROGRESS)
        return stack.id

    def resume(self, stack_id):
        engine_identity.set_engine_id('engine-resuming')
        stack = heat_stack.Stack.load(base.utils.dummy_context(),
                                      stack_id=stack_id)
        record, key = progress.load_operation(stack.context, stack_id)
        self.assertTrue(resume_rules.resumable(
            stack.action, record.get('op'), stack.prev_raw_template_id,
            record))
        op = resumed_operation.ResumedOperation(stack, record, key)
        self.calls[:] = []
        op.resume()
        return stack

    def four(self, **props):
        return {'a': base.test_resource(**props),
                'b': base.test_resource(**props),
                'c': base.test_resource(**props),
                'd': base.test_resource(depends_on=['a', 'b', 'c'])}
