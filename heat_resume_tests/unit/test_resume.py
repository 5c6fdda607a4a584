"""Resuming an interrupted operation from what the database says.

Each test stages, with the real code paths, the database a dead engine
leaves behind (an engine cannot be killed in-process), then loads the
stack afresh and resumes it as a new engine would.
"""

from unittest import mock

from oslo_config import cfg

from heat.engine.resources.openstack.heat import test_resource
from heat.engine import stack as heat_stack
from heat.engine import template
from heat.rpc import client as rpc_client

from heat_resume import bound_operation
from heat_resume import operation
from heat_resume import progress
from heat_resume import resume_rules
from heat_resume_tests.unit import base
from heat_resume_tests.unit import staging


class ResumeTest(staging.StagingMixin, base.HeatResumeTestCase):
    """A create of a, b, c, d (d needs a, b, c) cut at four points."""

    def test_resume_from_every_point_with_retry(self):
        cfg.CONF.set_override('in_progress_policy', 'retry', 'heat_resume')
        stack_id = self.stage_create(self.four(), done=['a'],
                                     returned=['b'], inside=['c'])
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        # a was done, b's handler had returned: neither is created again
        self.assertEqual(['c', 'd'], sorted(self.calls))
        b = progress.load_task(stack.context, stack['b'].id)
        self.assertEqual(resume_rules.COMPLETE, b['phase'])
        self.assertEqual('engine-resuming', b['engine'])
        self.assertEqual('engine-that-died', b['resumed_by'][0]['from'])
        c = progress.load_task(stack.context, stack['c'].id)
        self.assertEqual(2, c['attempt'])
        self.assertEqual('handler_started', c['history'][-1]['phase'])

    def test_retry_deletes_what_the_interrupted_create_left(self):
        cfg.CONF.set_override('in_progress_policy', 'retry', 'heat_resume')
        stack_id = self.stage_create(self.four(), done=['a', 'b'],
                                     inside=['c'])
        with self.assertLogs('heat_resume.resumed_operation',
                             'INFO') as logs:
            with mock.patch.object(
                    test_resource.TestResource, 'handle_delete',
                    autospec=True,
                    side_effect=test_resource.TestResource.handle_delete
            ) as handle_delete:
                stack = heat_stack.Stack.load(base.utils.dummy_context(),
                                              stack_id=stack_id)
                stack['c'].resource_id_set('left-by-c')
                stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        self.assertEqual(1, handle_delete.call_count)
        self.assertIn('left-by-c', ''.join(logs.output))
        self.assertEqual(['c', 'd'], sorted(self.calls))

    def test_inside_handler_fails_by_default_with_a_reason(self):
        stack_id = self.stage_create(self.four(), done=['a'],
                                     returned=['b'], inside=['c'])
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'FAILED'), stack.state)
        self.assertEqual(('CREATE', 'FAILED'), stack['c'].state)
        self.assertIn('engine-that-died went down inside handle_create',
                      stack['c'].status_reason)
        self.assertEqual(('INIT', 'COMPLETE'), stack['d'].state)
        self.assertNotIn('c', self.calls)

    def stage_group_create(self, child_made):
        """A ResourceGroup's create killed inside handle_create: after its
        create_stack call (``child_made``) or before it."""
        group = {'type': 'OS::Heat::ResourceGroup',
                 'properties': {'count': 1,
                                'resource_def': {'type': 'OS::Heat::None'}}}
        stack_id = self.stage_create({'a': base.test_resource(), 'g': group},
                                     done=['a'], inside=['g'])
        child = None
        if child_made:
            parent = heat_stack.Stack.load(base.utils.dummy_context(),
                                           stack_id=stack_id)
            child = heat_stack.Stack(
                parent.context, parent['g'].physical_resource_name(),
                template.Template(base.hot({})), owner_id=stack_id,
                convergence=False)
            child.store()
            # a legacy stack's final state is written at its lock release
            child.state_set(child.CREATE, child.COMPLETE, 'made')
            child.persist_state_and_release_lock('engine-that-died')
        create_stack = self.patchobject(rpc_client.EngineClient,
                                        '_create_stack')
        return stack_id, child, create_stack

    def test_nested_stack_made_before_the_kill_is_adopted(self):
        # between the create_stack call and resource_id_set: the child is
        # found by owner and name and polled, not made again (StackExists)
        stack_id, child, create_stack = self.stage_group_create(True)
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        self.assertEqual(child.id, stack['g'].resource_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack['g'].state)
        create_stack.assert_not_called()

    def test_nested_stack_not_made_follows_the_policy(self):
        stack_id, _, create_stack = self.stage_group_create(False)
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'FAILED'), stack['g'].state)
        self.assertIn('went down inside handle_create',
                      stack['g'].status_reason)
        create_stack.assert_not_called()

    def test_reason_names_the_dead_engine_without_a_task_record(self):
        stack_id = self.stage_create(self.four(), done=['a'],
                                     unrecorded=['c'])
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'FAILED'), stack['c'].state)
        self.assertIn('engine-that-died went down inside handle_create',
                      stack['c'].status_reason)

    def test_polling_resumes_with_the_saved_cookie(self):
        stack_id = self.stage_create(self.four(wait=1), returned=['a', 'b',
                                                                  'c'])
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        self.assertEqual(['d'], self.calls)

    def test_checks_done_but_state_not_written(self):
        stack_id = self.stage_create(self.four(), done=['a', 'b'],
                                     checked=['c'])
        with mock.patch.object(test_resource.TestResource,
                               'check_create_complete') as check:
            stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual(['d'], self.calls)
        # only d was polled
        self.assertEqual(1, check.call_count)

    def test_nothing_started_yet(self):
        stack_id = self.stage_create(self.four())
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual(['a', 'b', 'c', 'd'], sorted(self.calls))

    def test_all_done_only_the_stack_state_left(self):
        stack_id = self.stage_create(self.four(), done=['a', 'b', 'c', 'd'])
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual([], self.calls)

    def test_attributes_of_skipped_resources_resolve(self):
        resources = {'a': base.test_resource(value='from-a'),
                     'b': {'type': 'OS::Heat::TestResource',
                           'properties': {'value': {
                               'get_attr': ['a', 'output']}}}}
        stack_id = self.stage_create(resources, done=['a'])
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        self.assertEqual('from-a', stack['b'].FnGetAtt('output'))

    def test_operation_record_notes_the_takeover(self):
        stack_id = self.stage_create(self.four(), done=['a'])
        stack = self.resume(stack_id)
        record, _ = progress.load_operation(stack.context, stack_id)
        self.assertEqual(1, record['resumes'])
        self.assertEqual('engine-resuming', record['engine'])
        self.assertEqual('engine-that-died', record['history'][0]['engine'])

    def test_resume_of_a_delete(self):
        stack = self.create(base.hot(self.four()))
        stack.state_set(stack.DELETE, stack.IN_PROGRESS, 'started')
        op = operation.Operation.begin(stack, 'DELETE')
        with bound_operation.bind(op):
            self.run_task(stack['d'].destroy)
            rsrc = stack['a']
            rsrc.state_set(rsrc.DELETE, rsrc.IN_PROGRESS)
            progress.task_started(rsrc, rsrc.DELETE, op.id)
        stack = self.resume(stack.id)
        self.assertEqual(('DELETE', 'COMPLETE'), stack.state,
                         stack.status_reason)

    def test_resume_of_a_create_rollback(self):
        resources = self.four()
        resources['d']['properties']['fail'] = True
        stack_id = self.stage_create(resources, done=['a', 'b', 'c'])
        stack = heat_stack.Stack.load(base.utils.dummy_context(),
                                      stack_id=stack_id)
        stack.state_set(stack.ROLLBACK, stack.IN_PROGRESS, 'rolling back')
        stack = self.resume(stack_id)
        self.assertEqual(('ROLLBACK', 'COMPLETE'), stack.state,
                         stack.status_reason)
        for name in 'abc':
            self.assertEqual(('DELETE', 'COMPLETE'), stack[name].state)

    def test_final_state_of_a_finished_operation_is_written(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        # the engine died before Heat persisted the state with the lock
        stack_id = stack.id
        loaded = heat_stack.Stack.load(stack.context, stack_id=stack_id)
        self.assertEqual('IN_PROGRESS', loaded.status)
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual([], self.calls)

    @staticmethod
    def resumable(stack, record):
        return resume_rules.resumable(stack.action, record.get('op'),
                                      stack.prev_raw_template_id, record)

    def test_update_resumes_once_its_target_is_stored(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        stack.state_set(stack.UPDATE, stack.IN_PROGRESS, 'Stack UPDATE')
        record, _ = progress.create_operation(stack.context, stack.id,
                                              'UPDATE', 'UPDATE', 'op')
        stack.prev_raw_template_id = None
        self.assertFalse(self.resumable(stack, record))
        stack.prev_raw_template_id = stack.t.id
        self.assertTrue(self.resumable(stack, record))
        stack.state_set(stack.ROLLBACK, stack.IN_PROGRESS, 'rolling back')
        self.assertTrue(self.resumable(stack, record))
        record['op'] = 'CHECK'
        self.assertFalse(self.resumable(stack, record))

    def test_poison_guard_gives_up_after_max_takeovers(self):
        cfg.CONF.set_override('max_takeovers', 1, 'heat_resume')
        stack_id = self.stage_create(self.four(), done=['a'],
                                     returned=['b'])
        ctx = base.utils.dummy_context()
        record, key = progress.load_operation(ctx, stack_id)
        record['resumes'] = 1
        progress.update_operation(ctx, stack_id, record, key)
        stack = self.resume(stack_id)
        self.assertEqual(('CREATE', 'FAILED'), stack.state)
        self.assertIn('gave up CREATE of the stack after 1 takeovers',
                      stack.status_reason)
        self.assertEqual(('CREATE', 'FAILED'), stack['b'].state)
        self.assertEqual([], self.calls)
