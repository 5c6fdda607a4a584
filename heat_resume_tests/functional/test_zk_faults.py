"""Faults around ZooKeeper and concurrent operations, on real engines."""

import time

from heat_resume_tests.functional import base
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates


class ZooKeeperFaultTest(base.HeatResumeTest):
    # long enough for the ZooKeeper server (a JVM) to restart within it,
    # even on a loaded 2-core machine (seen: over 8 s)
    SESSION_TIMEOUT = 15.0

    def test_zookeeper_restart_within_the_session_changes_nothing(self):
        stack_id = self.stack_create(templates.chains(
            count=12, chains=4, create=2), None)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        owner = self.cluster.lock_holder(stack_id)
        stopped = time.monotonic()
        self.zk.stop()
        time.sleep(1)
        self.zk.start()
        outage = time.monotonic() - stopped
        self.assertLess(outage, self.SESSION_TIMEOUT / 2,
                        'ZooKeeper took %.1f s to restart: too long for a '
                        'restart within the session' % outage)
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)
        records = scenario.task_records(self.cluster, stack_id)
        # no takeover: the owner finished its own operation
        self.assertEqual([], [n for n, rec in records.items()
                              if rec.get('resumed_by')])
        self.assertEqual({self.cluster.engine_id(owner)},
                         {rec['engine'] for rec in records.values()})

    def test_second_operation_on_a_stack_is_refused_clearly(self):
        stack_id = self.stack_create(templates.chains(
            count=4, chains=4, create=3), None)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        error = self.assertRaises(Exception, self.hc.stacks.update,
                                  stack_id, template=templates.chains(
                                      count=4, chains=4, create=3,
                                      value='-new'))
        self.assertIn('in progress', str(error).lower())
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)
        # the refused update changed nothing
        self.assertEqual([], self.ledger(stack_id).ops('update'))

    def test_all_engines_killed_then_one_started(self):
        stack_id = self.stack_create(templates.chains(
            count=12, chains=4, create=2), None)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        returned = [n for n, rec in scenario.task_records(
            self.cluster, stack_id).items()
            if rec['phase'] in ('handler_returned', 'complete')]
        self.kill_engine(1, stack_id)
        self.kill_engine(2, stack_id)
        self.cluster.start_engine(1)
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)
        book = self.ledger(stack_id)
        for name in returned:
            self.assertEqual(1, book.calls('create', name), name)
