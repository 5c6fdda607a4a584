"""An engine SIGKILLed while a nested stack is being created.

Parent and nested stack are two legacy operations of the same engine; the
restarted engine resumes both: the nested stack finishes its resources,
and the parent's template resource polls it (with its saved cookie) and
goes on with what depends on it.
"""

import testtools

from heat_resume_tests.fixtures import harness
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates

PLUGIN = {'heat_resume': {'enabled': 'true',
                          'in_progress_policy': 'retry'}}


class NestedEngineDeathTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(harness.HeatCluster(
            engines=1, config=PLUGIN))
        self.cluster.add_log_details(self)
        self.hc = self.cluster.client()

    def test_sigkill_mid_nested_create_is_resumed(self):
        stack_id = self.hc.stacks.create(
            stack_name='nested_death', template=templates.nested_parent(),
            files=templates.nested_files(),
        )['stack']['id']
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        nested_id = scenario.nested_stack_id(self.cluster, stack_id)
        scenario.wait_for_phase(self.cluster, nested_id, 'complete',
                                timeout=60)
        scenario.wait_for_phase(self.cluster, nested_id, 'handler_returned')
        self.cluster.kill_engine(1)
        # resources the kill caught inside handle_create (the documented
        # window, see test_engine_death): the retry may call it again
        caught = scenario.caught_in_handler(self.cluster, nested_id)
        nested_before = scenario.db_resource_states(self.cluster, nested_id)
        self.assertIn('CREATE_IN_PROGRESS',
                      [s for s, _ in nested_before.values()])

        self.cluster.start_engine(1)
        stack = self.cluster.wait_for_stack_status(
            stack_id, 'CREATE_COMPLETE', timeout=120)
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}
        self.assertEqual('r00', outputs['after'])
        nested = self.hc.stacks.get(nested_id)
        self.assertEqual('CREATE_COMPLETE', nested.stack_status)
        calls = scenario.handle_create_calls(self.cluster)
        self.assertEqual({1}, {n for name, n in calls.items()
                               if name not in caught}, calls)
        self.assertTrue(all(calls[name] <= 2 for name in caught), calls)
        self.assertEqual(set(), scenario.doubled(self.cluster.ledger()) -
                         caught)
        records = scenario.task_records(self.cluster, stack_id)
        self.assertTrue(records['inner'].get('resumed_by'),
                        records['inner'])


class NestedCreateCallDeathTest(testtools.TestCase):
    """Killed between a nested stack's create_stack call and resource_id_set.

    With the default policy: the nested stack exists, its resource does
    not know it; the restarted engine finds it by owner and name and
    adopts it instead of failing the resource or making a second one.
    """

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(harness.HeatCluster(
            engines=1, config={'heat_resume': {'enabled': 'true'}}))
        self.cluster.add_log_details(self)
        self.hc = self.cluster.client()

    def test_child_made_before_the_kill_is_adopted(self):
        child = {'heat_template_version': '2015-04-30',
                 'resources': {'r': {'type': 'HeatResume::Test::Ledger',
                                     'properties': {'value': 'v'}}}}
        template = {'heat_template_version': '2015-04-30',
                    'resources': {'inner': {
                        'type': 'HeatResume::Test::Nested',
                        'properties': {'id_secs': 120, 'template': child}}}}
        stack_id = self.hc.stacks.create(
            stack_name='nested_call_death',
            template=template)['stack']['id']
        nested_id = scenario.nested_stack_id(self.cluster, stack_id)
        scenario.wait_for_db_status(self.cluster, nested_id,
                                    'CREATE_COMPLETE')
        self.assertEqual({'inner': 'handler_started'}, {
            n: r['phase'] for n, r in scenario.task_records(
                self.cluster, stack_id).items()})
        self.assertEqual(((None,),), self.cluster.sql(
            'SELECT nova_instance FROM resource WHERE stack_id = %s',
            stack_id))
        self.cluster.kill_engine(1)
        self.cluster.start_engine(1)

        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE',
                                           timeout=120)
        self.assertEqual(((nested_id,),), self.cluster.sql(
            'SELECT id FROM stack WHERE owner_id = %s', stack_id))
        self.assertEqual(((nested_id,),), self.cluster.sql(
            'SELECT nova_instance FROM resource WHERE stack_id = %s',
            stack_id))
        self.assertEqual(1, len(self.cluster.ledger().live()))
