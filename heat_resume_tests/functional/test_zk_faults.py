"""Faults around ZooKeeper and concurrent operations, on real engines."""

import time

import testtools

from heat_resume_tests.functional import harness
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates
from heat_resume_tests import zookeeper


class ZooKeeperFaultTest(testtools.TestCase):
    # long enough for the ZooKeeper server to restart within it
    SESSION_TIMEOUT = 8.0

    def setUp(self):
        super().setUp()
        self.zk = self.useFixture(zookeeper.ZooKeeperServer())
        self.cluster = self.useFixture(harness.HeatCluster(engines=2, config={
            'heat_resume': {
                'enabled': 'true',
                'in_progress_policy': 'retry',
                'zookeeper_hosts': self.zk.hosts,
                'zookeeper_session_timeout': str(self.SESSION_TIMEOUT),
                'takeover_sweep_interval': '5',
            }}))
        self.cluster.add_log_details(self)
        self.hc = self.cluster.client()

    def test_zookeeper_restart_within_the_session_changes_nothing(self):
        stack_id = self.hc.stacks.create(
            stack_name='zk_restart', template=templates.chains(
                count=12, chains=4, create=2))['stack']['id']
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        owner = self.cluster.lock_holder(stack_id)
        self.zk.stop()
        time.sleep(1)
        self.zk.start()
        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE',
                                           timeout=90)
        records = scenario.task_records(self.cluster, stack_id)
        # no takeover: the owner finished its own operation
        self.assertEqual([], [n for n, rec in records.items()
                              if rec.get('resumed_by')])
        self.assertEqual({self.cluster.engine_id(owner)},
                         {rec['engine'] for rec in records.values()})

    def test_second_operation_on_a_stack_is_refused_clearly(self):
        stack_id = self.hc.stacks.create(
            stack_name='zk_twice', template=templates.chains(
                count=4, chains=4, create=3))['stack']['id']
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        error = self.assertRaises(Exception, self.hc.stacks.update,
                                  stack_id, template=templates.chains(
                                      count=4, chains=4, create=3,
                                      value='-new'))
        self.assertIn('in progress', str(error).lower())
        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE',
                                           timeout=60)

    def test_all_engines_killed_then_one_started(self):
        stack_id = self.hc.stacks.create(
            stack_name='zk_all_dead', template=templates.chains(
                count=12, chains=4, create=2))['stack']['id']
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        returned = [n for n, rec in scenario.task_records(
            self.cluster, stack_id).items()
            if rec['phase'] in ('handler_returned', 'complete')]
        self.cluster.kill_engine(1)
        self.cluster.kill_engine(2)
        self.cluster.start_engine(1)
        self.cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE',
                                           timeout=90)
        calls = scenario.handle_create_calls(self.cluster)
        for name in returned:
            self.assertEqual(1, calls[name], name)
