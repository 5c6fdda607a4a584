"""Test case bases for the real-process tests."""

import testtools

from heat_resume_tests.functional import harness
from heat_resume_tests import zookeeper


class ZooKeeperClusterTest(testtools.TestCase):
    """Two heat-engines with heat_resume on a private ZooKeeper."""

    SESSION_TIMEOUT = 2.0

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
