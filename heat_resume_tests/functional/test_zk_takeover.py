"""Two engines and a real ZooKeeper: a survivor takes dead engines' work.

No engine is restarted here: the engine that owns the operation dies (or
is paused past its ZooKeeper session, or stops), and the other one, told
by ZooKeeper, steals the stack's lock and finishes the operation.
"""

import os
import random
import signal
import time

import testtools

from heat_resume_tests.functional import base
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates


class ZooKeeperTakeoverTest(base.HeatResumeTest):

    def kill_owner_at_random(self, stack_id, within, sig=signal.SIGKILL):
        """Kill the stack's owner ``within`` (lo, hi) seconds from now.

        The moment is random (the delay is in the test's details; set
        HEAT_RESUME_SEED to repeat a run); the stack must still be owned.
        """
        seed = os.environ.get('HEAT_RESUME_SEED') or str(random.random())
        delay = random.Random(seed).uniform(*within)
        self.addDetail('kill_after', testtools.content.text_content(
            '%.2f s (HEAT_RESUME_SEED=%s)' % (delay, seed)))
        time.sleep(delay)
        owner = self.cluster.lock_holder(stack_id)
        self.assertIsNotNone(owner, 'the operation ended before the kill')
        self.kill_engine(owner, stack_id, sig=sig)
        return owner

    def returned(self, stack_id):
        return [n for n, rec in scenario.task_records(
            self.cluster, stack_id).items()
            if rec['phase'] in ('handler_returned', 'complete')]

    def test_owner_killed_mid_create_survivor_finishes(self):
        # five levels of 2 s resources: the create takes over 10 s
        stack_id = self.stack_create(templates.chains(count=20, chains=4,
                                                      create=2), None)
        owner = self.kill_owner_at_random(stack_id, (0.5, 8))
        killed_at = time.monotonic()
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.addDetail('takeover_seconds', testtools.content.text_content(
            '%.1f' % (time.monotonic() - killed_at)))
        self.assertEqual(None, self.cluster.lock_holder(stack_id))
        self.assert_settled(stack_id)
        # every resource has its object; a second one only where the kill
        # caught a handler before resource_id_set (assert_settled checks)
        self.assertEqual(20, len(set(self.ledger(stack_id).live().values())))
        events = [e.resource_status_reason or ''
                  for e in self.hc.events.list(stack_id)]
        self.assertTrue(any('resumed by engine' in r for r in events))
        record_engines = {rec.get('engine') for rec in scenario.task_records(
            self.cluster, stack_id).values()}
        self.assertIn(self.cluster.engine_id(3 - owner), record_engines)

    def start_create(self, create):
        """Start a 20-resource create, return when some handler returned."""
        stack_id = self.stack_create(templates.chains(
            count=20, chains=4, create=create), None)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        return stack_id, self.cluster.lock_holder(stack_id)

    def test_paused_owner_is_fenced(self):
        stack_id, owner = self.start_create(create=3)
        self.cluster.kill_engine(owner, sig=signal.SIGSTOP, wait=False)
        self.addCleanup(self.cluster.kill_engine, owner, sig=signal.SIGCONT,
                        wait=False)
        scenario.wait_for_db_status(self.cluster, stack_id,
                                    'CREATE_COMPLETE')
        before = scenario.written(self.cluster, stack_id)
        objects = self.ledger(stack_id).entries
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
        # no write to any table, and no cloud call, after the takeover
        self.assertEqual(before, scenario.written(self.cluster, stack_id))
        self.assertEqual(objects, self.ledger(stack_id).entries)
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)

    def test_graceful_stop_hands_over_at_once(self):
        stack_id, owner = self.start_create(create=2)
        stopped_at = time.monotonic()
        self.cluster.kill_engine(owner, sig=signal.SIGTERM)
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        records = scenario.task_records(self.cluster, stack_id)
        resumed = [rec['resumed_by'][0]['at'] for rec in records.values()
                   if rec.get('resumed_by')]
        self.assertTrue(resumed)
        self.addDetail('handover_seconds', testtools.content.text_content(
            '%.1f' % (time.monotonic() - stopped_at)))
        # the stopped engine comes back: it redoes nothing
        creates = len(self.ledger(stack_id).ops('create'))
        self.cluster.start_engine(owner)
        time.sleep(3)
        self.assertEqual(creates, len(self.ledger(stack_id).ops('create')))
        self.assert_settled(stack_id)

    def test_owner_killed_mid_delete_survivor_finishes(self):
        stack_id = self.stack_create(templates.chains(
            count=12, chains=4, create=0, delete=2), enable_cleanup=False)
        self.hc.stacks.delete(stack_id)
        # three levels of 2 s deletes
        self.kill_owner_at_random(stack_id, (0.2, 4))
        self.wait_for_status(stack_id, 'DELETE_COMPLETE')
        self.assertEqual([], list(self.cluster.sql(
            'SELECT name FROM resource WHERE stack_id = %s', stack_id)))
        self.assert_no_leaks(stack_id)

    def test_owner_killed_mid_update_survivor_finishes(self):
        stack_id = self.stack_create(templates.chains(
            count=12, chains=4, create=0, update=2))
        objects = self.ledger(stack_id).live()
        self.stack_update(stack_id, templates.chains(
            count=12, chains=4, create=0, update=2, value='-new'), None)
        self.kill_owner_at_random(stack_id, (0.2, 4))
        self.wait_for_status(stack_id, 'UPDATE_COMPLETE')
        self.assert_settled(stack_id)
        # updated in place: the same objects, each with its new value;
        # one the kill caught inside handle_update is replaced instead
        # (the resume fails it, Heat's update replaces it): exactly those
        after = self.ledger(stack_id).live()
        kept = {obj: name for obj, name in objects.items()
                if name not in self.inside}
        self.assertEqual(kept, {obj: name for obj, name in after.items()
                                if name not in self.inside})
        self.assertEqual(sorted(objects.values()), sorted(after.values()))
        for name in objects.values():
            value = self.hc.resources.get(stack_id, name).attributes
            self.assertEqual(name + '-new', value['output'], name)

    def test_owner_killed_mid_rollback_survivor_finishes(self):
        template = templates.chains(count=8, chains=4, create=0, delete=2)
        template['resources']['bad'] = {
            'type': templates.LEDGER, 'depends_on': ['r07'],
            'properties': {'fail': True, 'wait_secs': 1}}
        stack_id = self.stack_create(template, None, disable_rollback=False)
        # the rollback has begun (handler_started lasts milliseconds)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned',
                                action='DELETE', timeout=60)
        # at most two levels of 2 s deletes are left
        self.kill_owner_at_random(stack_id, (0, 2))
        self.wait_for_status(stack_id, 'ROLLBACK_COMPLETE')
        self.assert_settled(stack_id)
        self.assertEqual({}, self.ledger(stack_id).live())

    def test_owner_of_a_nested_stack_killed(self):
        stack_id = self.stack_create(templates.nested_parent(), None,
                                     files=templates.nested_files())
        nested_id = scenario.nested_stack_id(self.cluster, stack_id)
        scenario.wait_for_phase(self.cluster, nested_id, 'handler_returned')
        self.kill_engine(self.cluster.lock_holder(nested_id), nested_id)
        stack = self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}
        self.assertEqual('r00', outputs['after'])
        self.assertEqual('CREATE_COMPLETE',
                         self.hc.stacks.get(nested_id).stack_status)
        self.assert_settled(stack_id)
