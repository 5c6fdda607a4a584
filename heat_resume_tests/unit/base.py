"""Unit-test bases: heat_resume installed in Heat; a private ZooKeeper."""

import time

import fixtures
from oslo_config import cfg
import testtools

from heat.common import template_format
from heat.engine import scheduler as heat_scheduler
from heat.tests import common
from heat.tests import utils

from heat_resume import conf
from heat_resume import engine_identity
from heat_resume import heat_internals
from heat_resume import operation
from heat_resume import seam
from heat_resume_tests.fixtures import sqlite_db
from heat_resume_tests.fixtures import zookeeper


def hot(resources, outputs=None):
    tmpl = {'heat_template_version': '2015-04-30', 'resources': resources}
    if outputs:
        tmpl['outputs'] = outputs
    return tmpl


def test_resource(wait=0, depends_on=(), **props):
    res = {'type': 'OS::Heat::TestResource',
           'properties': dict({'value': 'v', 'wait_secs': wait}, **props)}
    if depends_on:
        res['depends_on'] = list(depends_on)
    return res


class HeatResumeTestCase(common.HeatTestCase):
    enabled = True

    def setUp(self):
        self.useFixture(fixtures.MonkeyPatch(
            'heat.tests.utils.setup_dummy_db', sqlite_db.setup_file_db))
        super().setUp()
        conf.register_opts()
        cfg.CONF.set_override('enabled', self.enabled, conf.GROUP)
        cfg.CONF.set_override('poll_interval_min', 0.005, conf.GROUP)
        cfg.CONF.set_override('poll_interval_max', 0.05, conf.GROUP)
        self.assertTrue(seam.install())
        self.addCleanup(seam.uninstall)

    def parse(self, tmpl, **kwargs):
        if not isinstance(tmpl, dict):
            tmpl = template_format.parse(tmpl)
        return utils.parse_stack(tmpl, **kwargs)

    def create(self, tmpl, **kwargs):
        stack = self.parse(tmpl, **kwargs)
        started = time.monotonic()
        stack.create()
        stack.elapsed = time.monotonic() - started
        return stack

    @staticmethod
    def run_task(task):
        heat_scheduler.TaskRunner(task)()

    def fenced_operation(self, stack, op):
        """Begin ``op`` as 'engine-a', holding Heat's stack_lock row: an
        operation the database fences (fence.py)."""
        engine_identity.set_engine_id('engine-a')
        self.addCleanup(engine_identity.set_engine_id, None)
        heat_internals.StackLockObject.create(stack.context, stack.id,
                                              'engine-a')
        operation_ = operation.Operation.begin(stack, op)
        self.addCleanup(operation_.release_lock)
        self.assertTrue(operation_.fenced_in_db)
        return operation_


class ZooKeeperTestCase(testtools.TestCase):
    """A test that needs a real ZooKeeper: setUp starts a private server.

    Each test gets a ZooKeeper server of its own, ``self.zk``
    (heat_resume_tests.fixtures.zookeeper: a JVM from Debian's zookeeper
    package, on a free port of 127.0.0.1, its own data dir), stopped on
    cleanup; ``ZOOKEEPER_TLS`` adds a TLS port. A class that starts its
    servers in the test itself (an ensemble, timed) sets
    ``START_ZOOKEEPER = False``. Put it first among the bases: the server
    starts after the other bases' setUp (Heat's, for HeatResumeTestCase).
    """

    START_ZOOKEEPER = True
    ZOOKEEPER_TLS = False

    def setUp(self):
        super().setUp()
        if self.START_ZOOKEEPER:
            self.zk = self.useFixture(
                zookeeper.ZooKeeperServer(tls=self.ZOOKEEPER_TLS))
