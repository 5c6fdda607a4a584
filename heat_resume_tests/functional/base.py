# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The functional tests' base class, in heat_tempest_plugin's style.

Tests talk to Heat through python-heatclient only (plus, locally, the
harness for what the API cannot do: kill an engine, read the database).
``stack_create(template, expected_status)`` registers a cleanup that deletes
the stack and proves, from the test resource's ledger, that nothing leaked.

Where the tests run:

- locally (stestr, ``tox -e functional``): against a harness.HeatCluster
  with heat_resume on and a private ZooKeeper; one per test, or one per
  class for classes that set ``SHARED_CLUSTER`` (they break nothing).
- under tempest (heat_resume_tests.tempest.plugin): against the Heat that
  tempest.conf names. Tests that need the harness skip there.
"""

import secrets
import time

from heatclient import exc as heat_exc
import testtools

from heat_resume_tests.fixtures import harness
from heat_resume_tests.fixtures import ledger
from heat_resume_tests.fixtures import services
from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.functional import scenario

# Set by the tempest plugin's load_tests: a callable returning
# (heatclient, ledger path, build timeout) for the deployment under test.
REMOTE = None


class LocalTarget(object):
    """A private ZooKeeper and a HeatCluster with heat_resume enabled.

    With the test class's PRIVATE_MARIADB / PRIVATE_RABBITMQ, the cluster
    runs on a private database server / broker node that the test may
    restart; with ZK_ENSEMBLE, on a 3-node ZooKeeper ensemble.
    """

    def __init__(self, test_class):
        self.test_class = test_class
        self._fixtures = []

    def _use(self, fixture):
        fixture.setUp()
        self._fixtures.append(fixture)
        return fixture

    def setUp(self):
        cls = self.test_class
        if cls.STOCK_LEGACY:
            self._setup_stock()
            return
        try:
            self.zk = self._use(zookeeper.ZooKeeperEnsemble()
                                if cls.ZK_ENSEMBLE
                                else zookeeper.ZooKeeperServer())
            self.mariadb = (self._use(services.MariaDBServer())
                            if cls.PRIVATE_MARIADB else None)
            self.rabbit = (self._use(services.RabbitMQServer())
                           if cls.PRIVATE_RABBITMQ else None)
            self.cluster = self._use(harness.HeatCluster(
                engines=cls.ENGINES,
                db_url=self.mariadb.url if self.mariadb else cls.DB_URL,
                rabbit=self.rabbit,
                config=cls.cluster_config(self.zk.hosts),
                engine_config=cls.ENGINE_CONFIG))
        except Exception:
            self.cleanUp()
            raise
        self.client = self.cluster.client()
        self.ledger_path = self.cluster.ledger_path

    def _setup_stock(self):
        """Stock legacy Heat: no plugin, no ZooKeeper (the baseline)."""
        cls = self.test_class
        self.zk = self.mariadb = self.rabbit = None
        self.cluster = self._use(harness.HeatCluster(
            engines=cls.ENGINES, db_url=cls.DB_URL,
            convergence_engine=False))
        self.client = self.cluster.client()
        self.ledger_path = self.cluster.ledger_path

    def cleanUp(self):
        while self._fixtures:
            self._fixtures.pop().cleanUp()


class HeatResumeTest(testtools.TestCase):
    """Base of every functional test; see the module docstring."""

    ENGINES = 2
    SESSION_TIMEOUT = 2.0
    # database server; None: $HEAT_RESUME_DB_URL or the local MariaDB
    DB_URL = None
    # see LocalTarget
    PRIVATE_MARIADB = PRIVATE_RABBITMQ = ZK_ENSEMBLE = False
    # stock legacy Heat, without heat_resume: what a test's heat_resume
    # twin must match (no ZooKeeper, no private servers)
    STOCK_LEGACY = False
    # options of single engines (harness.HeatCluster's engine_config)
    ENGINE_CONFIG = {}
    # one cluster for all tests of the class: for tests that break nothing
    SHARED_CLUSTER = False
    build_timeout = 120
    _shared = None

    @classmethod
    def cluster_config(cls, zk_hosts):
        # in_progress_policy = retry (plugin_config's default): the kill
        # tests kill at random moments and expect every operation to
        # complete, which the default policy (fail) does not promise for a
        # kill inside a handler. Their default-policy twins:
        # test_engine_death.DefaultPolicyEngineDeathTest and
        # test_everyday_stops (rolling restart, mixed fleet).
        return harness.plugin_config(zk_hosts, cls.SESSION_TIMEOUT,
                                     sweep_interval=5)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.SHARED_CLUSTER and REMOTE is None:
            cls._shared = LocalTarget(cls)
            cls._shared.setUp()

    @classmethod
    def tearDownClass(cls):
        if cls._shared is not None:
            cls._shared.cleanUp()
            cls._shared = None
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        # resources a kill caught inside handle_<action> (kill_engine):
        # with no physical id yet (caught), with or without one (inside)
        self.caught = set()
        self.inside = set()
        if REMOTE is not None:
            self.hc, self.ledger_path, self.build_timeout = REMOTE()
            self.cluster = self.zk = self.mariadb = self.rabbit = None
            return
        target = self._shared
        if target is None:
            target = LocalTarget(type(self))
            target.setUp()
            self.addCleanup(target.cleanUp)
        self.cluster, self.zk = target.cluster, target.zk
        self.mariadb, self.rabbit = target.mariadb, target.rabbit
        self.cluster.add_log_details(self)
        self.hc = target.client
        self.ledger_path = target.ledger_path

    def require_harness(self):
        """Skip where engines cannot be killed (under tempest)."""
        if self.cluster is None:
            self.skipTest('needs the local harness to kill or pause engines')

    # -- stacks ------------------------------------------------------------

    def stack_create(self, template, expected_status='CREATE_COMPLETE',
                     name=None, files=None, parameters=None,
                     disable_rollback=True, enable_cleanup=True,
                     timeout=None):
        """Create a stack, wait for ``expected_status``, return its id.

        :param expected_status: None returns at once, without waiting.
        """
        name = name or 'hr-%s-%s' % (self._testMethodName[5:40],
                                     secrets.token_hex(3))
        stack_id = self.hc.stacks.create(
            stack_name=name, template=template, files=files or {},
            parameters=parameters or {}, disable_rollback=disable_rollback,
            timeout_mins=timeout)['stack']['id']
        if enable_cleanup:
            self.addCleanup(self.stack_delete, stack_id)
        if expected_status:
            self.wait_for_status(stack_id, expected_status)
        return stack_id

    def stack_update(self, stack_id, template,
                     expected_status='UPDATE_COMPLETE', files=None,
                     disable_rollback=True):
        self.act(stack_id, expected_status, self.hc.stacks.update, stack_id,
                 template=template, files=files or {},
                 disable_rollback=disable_rollback)

    def act(self, stack_id, expected_status, call, *args, **kwargs):
        """Start an operation with ``call``, wait for ``expected_status``.

        The API returns before the engine has moved the stack out of its
        previous terminal state: that state is not taken for the result.
        """
        previous = self.hc.stacks.get(stack_id).stack_status
        call(*args, **kwargs)
        if expected_status:
            return self.wait_for_status(stack_id, expected_status,
                                        previous=previous)

    def stack_delete(self, stack_id):
        """Delete the stack (if still there); prove nothing leaked."""
        try:
            self.act(stack_id, 'DELETE_COMPLETE', self.hc.stacks.delete,
                     stack_id)
        except heat_exc.HTTPNotFound:
            pass
        self.assert_no_leaks(stack_id)

    def wait_for_status(self, stack_id, status, timeout=None, previous=None):
        """Wait for ``status``; fail fast on any other terminal status.

        :param previous: the status before the operation began; seeing it
            again means the engine has not started yet.

        :returns: the stack, or None once a deleted stack is not found.
        """
        deadline = time.monotonic() + (timeout or self.build_timeout)
        while True:
            try:
                stack = self.hc.stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                if status == 'DELETE_COMPLETE':
                    return None
                raise
            current = stack.stack_status
            if current == status:
                return stack
            if current != previous and not current.endswith('_IN_PROGRESS'):
                self.fail('stack %s is %s (%s), expected %s' % (
                    stack_id, current, stack.stack_status_reason, status))
            if time.monotonic() > deadline:
                self.fail('stack %s still %s after %s s, expected %s' % (
                    stack_id, current, timeout or self.build_timeout,
                    status))
            time.sleep(0.5)

    def output(self, stack_id, key):
        return self.hc.stacks.output_show(stack_id, key)['output'][
            'output_value']

    def resource_states(self, stack_id, nested_depth=5):
        return {r.resource_name: r.resource_status
                for r in self.hc.resources.list(
                    stack_id, nested_depth=nested_depth)}

    # -- what the ledger proves --------------------------------------------

    def ledger(self, stack_id):
        """Ledger entries of the stack and the stacks nested in it."""
        entries = ledger.Ledger.read(self.ledger_path).entries
        return ledger.Ledger(e for e in entries if e['root'] == stack_id)

    def kill_engine(self, n, stack_id, **kwargs):
        """Kill engine ``n`` (SIGKILL) while it runs ``stack_id``'s operation.

        Notes the resources the kill caught inside handle_<action> (task
        record phase ``handler_started``): between its cloud call and
        resource_id_set, an object Heat never learnt of may stay, and
        in_progress_policy = retry creates another (the documented
        window, operations.rst). For those alone a second object, and
        that object left after the delete, are allowed.
        """
        self.cluster.kill_engine(n, **kwargs)
        self.caught |= scenario.caught_in_handler(self.cluster, stack_id)
        self.inside |= scenario.inside_handler(self.cluster, stack_id)

    def _doubled(self, book):
        """Names of resources with two objects at once, minus the caught."""
        return scenario.doubled(book) - self.caught

    def assert_settled(self, stack_id):
        """Nothing IN_PROGRESS, no resource whose create ran twice."""
        busy = {n: s for n, s in self.resource_states(stack_id).items()
                if s.endswith('_IN_PROGRESS')}
        self.assertEqual({}, busy)
        self.assertEqual(set(), self._doubled(self.ledger(stack_id)))

    def assert_no_leaks(self, stack_id):
        book = self.ledger(stack_id)
        self.assertEqual(set(), self._doubled(book))
        left = {obj: name for obj, name in book.live().items()
                if name not in self.caught}
        self.assertEqual({}, left, 'objects left after delete')
        # a caught resource leaves at most its one unknown object
        for name in self.caught:
            self.assertLessEqual(list(book.live().values()).count(name), 1)
