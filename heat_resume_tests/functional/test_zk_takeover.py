"""Two engines and a real ZooKeeper: a survivor takes dead engines' work.

No engine is restarted here: the engine that owns the operation dies (or
is paused past its ZooKeeper session, or stops), and the other one, told
by ZooKeeper, steals the stack's lock and finishes the operation.
"""

import signal
import time

import testtools

from heat_resume_tests.functional import base
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates


class ZooKeeperTakeoverTest(base.HeatResumeTest):

    def start_create(self, name, **waits):
        template = templates.chains(count=20, chains=4, **waits)
        stack_id = self.hc.stacks.create(
            stack_name=name, template=template)['stack']['id']
        scenario.wait_mid_create(self.hc, stack_id, min_complete=4)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        owner = self.cluster.lock_holder(stack_id)
        self.assertIsNotNone(owner)
        return stack_id, owner

    def assert_completed_once(self, stack_id, returned):
        after = scenario.resource_states(self.hc, stack_id)
        self.assertEqual({'CREATE_COMPLETE'},
                         {status for status, _ in after.values()})
        calls = scenario.handle_create_calls(self.cluster)
        for name in returned:
            self.assertEqual(1, calls[name], name)

    def returned(self, stack_id):
        return [n for n, rec in scenario.task_records(
            self.cluster, stack_id).items()
            if rec['phase'] in ('handler_returned', 'complete')]

    def test_owner_killed_mid_create_survivor_finishes(self):
        stack_id, owner = self.start_create('zk_kill', create=2)
        returned = self.returned(stack_id)
        killed_at = time.monotonic()
        self.cluster.kill_engine(owner)
        survivor = 3 - owner
        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE',
                                           timeout=90)
        self.assertEqual(None, self.cluster.lock_holder(stack_id))
        self.assert_completed_once(stack_id, returned)
        events = [e.resource_status_reason or ''
                  for e in self.hc.events.list(stack_id)]
        self.assertTrue(any('resumed by engine' in r for r in events))
        record_engines = {rec.get('engine') for rec in scenario.task_records(
            self.cluster, stack_id).values()}
        self.assertIn(self.cluster.engine_id(survivor), record_engines)
        self.addDetail('takeover_seconds', testtools.content.text_content(
            '%.1f' % (time.monotonic() - killed_at)))

    def test_paused_owner_is_fenced(self):
        stack_id, owner = self.start_create('zk_zombie', create=3)
        self.cluster.kill_engine(owner, sig=signal.SIGSTOP, wait=False)
        self.addCleanup(self.cluster.kill_engine, owner, sig=signal.SIGCONT,
                        wait=False)
        scenario.wait_for_db_status(self.cluster, stack_id,
                                    'CREATE_COMPLETE')
        before = scenario.task_records(self.cluster, stack_id)
        self.cluster.kill_engine(owner, sig=signal.SIGCONT, wait=False)
        # the zombie wakes up, finds it lost the stack, writes nothing
        deadline = time.monotonic() + 20
        log = ''
        while time.monotonic() < deadline:
            log = self.cluster.engine_log(owner)
            if 'no longer owns' in log:
                break
            time.sleep(0.5)
        self.assertIn('no longer owns', log)
        time.sleep(2)
        self.assertEqual(before, scenario.task_records(self.cluster,
                                                       stack_id))
        stack = self.hc.stacks.get(stack_id)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status)
        after = scenario.resource_states(self.hc, stack_id)
        self.assertEqual({'CREATE_COMPLETE'},
                         {status for status, _ in after.values()})

    def test_graceful_stop_hands_over_at_once(self):
        stack_id, owner = self.start_create('zk_stop', create=2)
        stopped_at = time.monotonic()
        self.cluster.kill_engine(owner, sig=signal.SIGTERM)
        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE',
                                           timeout=90)
        records = scenario.task_records(self.cluster, stack_id)
        resumed = [rec['resumed_by'][0]['at'] for rec in records.values()
                   if rec.get('resumed_by')]
        self.assertTrue(resumed)
        self.addDetail('handover_seconds', testtools.content.text_content(
            '%.1f' % (time.monotonic() - stopped_at)))
        # the stopped engine comes back: it redoes nothing
        calls = scenario.handle_create_calls(self.cluster)
        self.cluster.kill_engine(owner)
        self.cluster.start_engine(owner)
        time.sleep(3)
        self.assertEqual(calls, scenario.handle_create_calls(self.cluster))
        self.assertEqual('CREATE_COMPLETE',
                         self.hc.stacks.get(stack_id).stack_status)

    def test_owner_killed_mid_delete_survivor_finishes(self):
        stack_id = scenario.start_delete(self.cluster, 'zk_delete')
        self.cluster.kill_engine(self.cluster.lock_holder(stack_id))
        scenario.assert_deleted(self.cluster, stack_id)

    def test_owner_killed_mid_update_survivor_finishes(self):
        template = templates.chains(count=12, chains=4, create=0, update=2)
        stack_id = self.hc.stacks.create(
            stack_name='zk_update', template=template)['stack']['id']
        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE')
        self.hc.stacks.update(stack_id, template=templates.chains(
            count=12, chains=4, create=0, update=2, value='-new'))
        # a complete record stays complete: kill with one resource
        # updated and another polling its update
        scenario.wait_for_phase(self.cluster, stack_id, 'complete',
                                action='UPDATE', timeout=60)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned',
                                action='UPDATE', timeout=60)
        owner = self.cluster.lock_holder(stack_id)
        self.cluster.kill_engine(owner)
        stack = self.cluster.wait_for_stack_status(
            stack_id, 'UPDATE_COMPLETE', timeout=90)
        self.assertIsNotNone(stack)
        outputs = {r.resource_name: r for r in
                   self.hc.resources.list(stack_id)}
        self.assertEqual(12, len(outputs))
        for name in outputs:
            value = self.hc.resources.get(stack_id, name).attributes
            self.assertEqual(name + '-new', value['output'], name)

    def test_owner_killed_mid_rollback_survivor_finishes(self):
        template = templates.chains(count=8, chains=4, create=0, delete=2)
        template['resources']['bad'] = {
            'type': 'OS::Heat::TestResource',
            'depends_on': ['r07'],
            'properties': {'fail': True, 'wait_secs': 1}}
        stack_id = self.hc.stacks.create(
            stack_name='zk_rollback', template=template,
            disable_rollback=False)['stack']['id']
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned',
                                action='DELETE', timeout=60)
        owner = self.cluster.lock_holder(stack_id)
        self.cluster.kill_engine(owner)
        self.cluster.wait_for_stack_status(stack_id, 'ROLLBACK_COMPLETE',
                                           timeout=90)
        states = scenario.resource_states(self.hc, stack_id)
        self.assertEqual(set(), {n for n, (s, _) in states.items()
                                 if s != 'DELETE_COMPLETE'} - {'bad'})

    def test_owner_of_a_nested_stack_killed(self):
        from heat_resume_tests.functional import test_nested_engine_death
        nested = test_nested_engine_death
        stack_id = self.hc.stacks.create(
            stack_name='zk_nested', template=nested.parent_template(),
            files={'inner.yaml': nested.yaml.safe_dump(
                nested.inner_template())})['stack']['id']
        nested_id = scenario.nested_stack_id(self.cluster, stack_id)
        scenario.wait_for_phase(self.cluster, nested_id, 'handler_returned')
        self.cluster.kill_engine(self.cluster.lock_holder(nested_id))
        stack = self.cluster.wait_for_stack_status(
            stack_id, 'CREATE_COMPLETE', timeout=120)
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}
        self.assertEqual('r00', outputs['after'])
        self.assertEqual('CREATE_COMPLETE',
                         self.hc.stacks.get(nested_id).stack_status)
