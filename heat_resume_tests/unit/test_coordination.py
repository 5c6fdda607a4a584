"""coordination.py against a real, private ZooKeeper (no fakes)."""

import json
import threading
import time

import fixtures
from heat.common import exception
from heat.objects import stack_lock as stack_lock_object
from kazoo import client as kazoo_client
from kazoo import exceptions as kazoo_exceptions
from kazoo.recipe import lock as kazoo_lock
from oslo_config import cfg
import testtools

from heat_resume import conf
from heat_resume import bound_operation
from heat_resume import coordination
from heat_resume import operation
from heat_resume import progress
from heat_resume import resumed_operation
from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.unit import base


wait_for = zookeeper.wait_for


class CoordinationTest(base.ZooKeeperTestCase):
    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        conf.register_opts(self.conf)
        self.conf([], default_config_files=[])
        self.conf.set_override('zookeeper_hosts', [self.zk.hosts],
                               conf.GROUP)
        self.conf.set_override('zookeeper_session_timeout', 2.0, conf.GROUP)
        self.conf.set_override('zookeeper_connection_timeout', 5.0,
                               conf.GROUP)

    def coordinator(self, engine_id, **kwargs):
        coord = coordination.Coordinator(self.conf.heat_resume, engine_id,
                                         **kwargs)
        coord.start()
        self.addCleanup(coord.stop)
        return coord

    def expire_session(self, coord):
        """Expire coord's session for real: kazoo's own test trick."""
        session_id, password = coord.client.client_id
        other = kazoo_client.KazooClient(hosts=self.zk.hosts,
                                         client_id=(session_id, password))
        other.start(5)
        other.stop()
        other.close()

    def test_engines_register_and_see_each_other(self):
        a = self.coordinator('engine-a')
        b = self.coordinator('engine-b', versions={'heat': '27.0.1'})
        self.assertTrue(wait_for(lambda: a.members() == {'engine-a',
                                                         'engine-b'}))
        self.assertTrue(b.is_member('engine-a'))
        data, _ = a.client.get(a.members_path + '/engine-b')
        member = json.loads(data)
        self.assertEqual('engine-b', member['engine'])
        self.assertEqual('27.0.1', member['heat'])
        self.assertLessEqual({'host', 'pid', 'started'}, set(member))

    def test_an_engine_leaving_is_noticed(self):
        lost = []
        seen = threading.Event()
        a = self.coordinator('engine-a', on_members_lost=lambda engines: (
            lost.extend(engines), seen.set()))
        b = self.coordinator('engine-b')
        self.assertTrue(wait_for(lambda: 'engine-b' in a.members()))
        b.stop()
        self.assertTrue(seen.wait(10))
        self.assertEqual(['engine-b'], lost)
        self.assertFalse(a.is_member('engine-b'))

    def test_lock_is_exclusive_and_tokens_grow(self):
        a = self.coordinator('engine-a')
        b = self.coordinator('engine-b')
        first = a.lock('stack-1')
        self.assertIsNotNone(first)
        self.assertIsNone(b.lock('stack-1'))
        self.assertEqual('engine-a', b.holder('stack-1'))
        first.release()
        second = b.lock('stack-1')
        self.assertIsNotNone(second)
        self.assertGreater(second.token, first.token)
        self.assertIsNone(b.holder('stack-2'))

    def test_session_expiry_loses_locks_and_membership(self):
        abandoned = []
        done = threading.Event()
        a = self.coordinator('engine-a', on_session_lost=lambda locks: (
            abandoned.extend(locks), done.set()))
        b = self.coordinator('engine-b')
        held = a.lock('stack-1')
        self.assertTrue(wait_for(lambda: 'engine-a' in b.members()))
        self.expire_session(a)
        self.assertTrue(done.wait(10))
        self.assertEqual([held], abandoned)
        self.assertFalse(held.held())
        self.assertTrue(wait_for(lambda: b.lock('stack-1') is not None))
        # a reconnects with a new session and joins again
        self.assertTrue(wait_for(lambda: a.state == coordination.CONNECTED))
        self.assertTrue(wait_for(lambda: 'engine-a' in b.members()))

    def test_connection_loss_suspends_then_resumes_the_session(self):
        # a session long enough to outlive the server's restart, even on
        # a loaded machine where the JVM takes seconds to start
        self.conf.set_override('zookeeper_session_timeout', 20.0, conf.GROUP)
        a = self.coordinator('engine-a')
        held = a.lock('stack-1')
        self.zk.stop()
        self.assertTrue(wait_for(lambda: a.state == coordination.SUSPENDED))
        self.assertFalse(held.held())
        self.assertRaises(coordination.CoordinationUnavailable,
                          a.is_member, 'engine-a')
        # a writer waits out the suspension instead of giving up
        waited = []
        writer = threading.Thread(
            target=lambda: waited.append(held.wait_held(20)))
        writer.start()
        time.sleep(0.5)
        early = list(waited)
        self.zk.start()
        writer.join(25)
        self.assertEqual([], early)
        self.assertEqual([True], waited)
        self.assertTrue(wait_for(lambda: a.state == coordination.CONNECTED))
        self.assertTrue(held.held())

    def test_lock_not_released_in_an_outage_is_released_once_back(self):
        a = self.coordinator('engine-a')
        b = self.coordinator('engine-b')
        held = a.lock('stack-1')
        original = kazoo_lock.Lock.release
        calls = []

        def release(lock):
            calls.append(lock)
            if len(calls) == 1:
                raise kazoo_exceptions.ConnectionLoss()
            return original(lock)

        self.useFixture(fixtures.MockPatchObject(
            kazoo_lock.Lock, 'release', autospec=True, side_effect=release))
        held.release()
        # the session lives on: the node would hold the stack forever
        self.assertEqual('engine-a', b.holder('stack-1'))
        a._joined()  # what a reconnection (CONNECTED) runs
        self.assertIsNone(b.holder('stack-1'))
        self.assertEqual(2, len(calls))

    def test_lock_node_is_not_kept_when_locking_fails_half_way(self):
        a = self.coordinator('engine-a')
        b = self.coordinator('engine-b')
        self.useFixture(fixtures.MockPatchObject(
            a.client, 'exists', side_effect=kazoo_exceptions.ConnectionLoss()))
        self.assertRaises(coordination.CoordinationUnavailable,
                          a.lock, 'stack-1')
        self.assertIsNone(b.holder('stack-1'))

    def test_unreachable_zookeeper_is_a_clear_error(self):
        self.zk.stop()
        coord = coordination.Coordinator(self.conf.heat_resume, 'engine-a')
        self.addCleanup(coord.stop)
        self.conf.set_override('zookeeper_connection_timeout', 1.0,
                               conf.GROUP)
        error = self.assertRaises(coordination.CoordinationUnavailable,
                                  coord.start)
        self.assertIn(self.zk.hosts, str(error))
        self.assertRaises(coordination.CoordinationUnavailable,
                          coord.lock, 'stack-1')
        self.zk.start()  # it keeps trying in the background
        self.assertTrue(wait_for(lambda: coord.state ==
                                 coordination.CONNECTED, timeout=15))

    def test_acl_keeps_other_clients_out(self):
        self.conf.set_override('zookeeper_username', 'heat', conf.GROUP)
        self.conf.set_override('zookeeper_password', 's3cret', conf.GROUP)
        a = self.coordinator('engine-a')
        held = a.lock('stack-1')
        self.assertIsNotNone(held)
        stranger = kazoo_client.KazooClient(hosts=self.zk.hosts)
        stranger.start(5)
        self.addCleanup(stranger.stop)
        nodes = a.client.get_children(a.lock_path('stack-1'))
        self.assertRaises(kazoo_exceptions.NoAuthError, stranger.delete,
                          '%s/%s' % (a.lock_path('stack-1'), nodes[0]))
        self.assertRaises(kazoo_exceptions.NoAuthError, stranger.get,
                          a.members_path + '/engine-a')


class OperationOwnershipTest(base.ZooKeeperTestCase,
                             base.HeatResumeTestCase):
    """Operations take a ZooKeeper lock, or refuse clearly without one."""

    def setUp(self):
        super().setUp()
        cfg.CONF.set_override('zookeeper_hosts', [self.zk.hosts],
                              conf.GROUP)
        cfg.CONF.set_override('zookeeper_session_timeout', 2.0, conf.GROUP)
        self.coord = coordination.Coordinator(cfg.CONF.heat_resume,
                                              'engine-a')
        self.coord.start()
        self.addCleanup(self.coord.stop)
        coordination.set_active(self.coord)
        self.addCleanup(coordination.set_active, None)

    def test_failed_resume_releases_the_lock(self):
        # a resume that fails leaves the stack to the next sweep, unlocked
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        stack.state_set(stack.CREATE, stack.IN_PROGRESS, 'started')
        record, key = progress.create_operation(
            stack.context, stack.id, 'CREATE', 'CREATE', 'op-1')
        del record['started_at']  # damaged: no timeout to carry on
        self.assertIsNotNone(progress.update_operation(
            stack.context, stack.id, record, key))
        op = resumed_operation.ResumedOperation(stack, record, key + 1)
        self.assertRaises(KeyError, op.resume)
        self.assertIsNone(self.coord.holder(stack.id))
        self.assertNotIn(stack.id, operation.Operation.live)

    def test_create_holds_the_lock_and_records_its_token(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        seen = {}
        original = operation.Operation.take_lock

        def take_lock(op):
            original(op)
            seen['holder'] = self.coord.holder(op.stack_id)
            seen['token'] = op.record['token']

        self.patchobject(operation.Operation, 'take_lock', autospec=True,
                         side_effect=take_lock)
        stack.create()
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual('engine-a', seen['holder'])
        self.assertIsNotNone(seen['token'])
        self.assertIsNone(self.coord.holder(stack.id))  # released

    def test_operation_owned_elsewhere_is_refused(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        other = coordination.Coordinator(cfg.CONF.heat_resume, 'engine-b')
        other.start()
        self.addCleanup(other.stop)
        self.assertIsNotNone(other.lock(stack.id))
        # the owner's state is not ours to write
        self.assertRaises(exception.ActionInProgress, stack.create)
        self.assertEqual(('INIT', 'COMPLETE'), stack['a'].state)

    def test_no_session_refuses_new_operations_clearly(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        self.zk.stop()
        self.assertTrue(wait_for(
            lambda: self.coord.state != coordination.CONNECTED))
        stack.create()
        self.assertEqual(('CREATE', 'FAILED'), stack.state)
        self.assertIn('heat_resume refused to start CREATE',
                      stack.status_reason)
        self.assertIn('no ZooKeeper session', stack.status_reason)
        self.assertEqual(('INIT', 'COMPLETE'), stack['a'].state)

    def test_fenced_operation_writes_nothing(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        op = operation.Operation.begin(stack, 'CREATE')
        self.addCleanup(op.release_lock)
        record, key = progress.load_operation(stack.context, stack.id)
        record['token'] = -1  # another engine took it over...
        progress.update_operation(stack.context, stack.id, record, key)
        with bound_operation.bind(op):
            self.assertRaises(operation.OwnershipLost, stack['a'].state_set,
                              'CREATE', 'IN_PROGRESS')
        self.assertEqual(('INIT', 'COMPLETE'), stack['a'].state)
        self.assertTrue(operation.Operation.fenced_away(stack.id))

    def test_unfenced_operation_reads_the_token_for_each_write(self):
        # no stack_lock row: the checks are the only fence
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        op = operation.Operation.begin(stack, 'CREATE')
        self.addCleanup(op.release_lock)
        self.assertFalse(op.fenced_in_db)
        reads = self.useFixture(fixtures.MockPatchObject(
            progress, 'load_operation', wraps=progress.load_operation)).mock
        with bound_operation.bind(op):
            stack['a'].state_set('CREATE', 'IN_PROGRESS')
            stack['a'].state_set('CREATE', 'COMPLETE')
        self.assertEqual(2, reads.call_count)

    def test_database_fenced_operation_reads_no_token(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        op = self.fenced_operation(stack, 'CREATE')
        reads = self.useFixture(fixtures.MockPatchObject(
            progress, 'load_operation', wraps=progress.load_operation)).mock
        with bound_operation.bind(op):
            stack['a'].state_set('CREATE', 'IN_PROGRESS')
            stack['a'].state_set('CREATE', 'COMPLETE')
        self.assertEqual(0, reads.call_count)
        self.assertEqual(('CREATE', 'COMPLETE'), stack['a'].state)

    def fenced_create(self, lock_holder):
        """A create fenced by its own lost session; Heat's lock is
        ``lock_holder``'s when the thread ends."""
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        stack_lock_object.StackLock.create(stack.context, stack.id,
                                           'engine-a')
        op = operation.Operation.begin(stack, 'CREATE')
        op.fenced = 'its ZooKeeper session was lost'
        with bound_operation.bind(op):
            self.assertRaises(operation.OwnershipLost, stack.state_set,
                              'CREATE', 'COMPLETE', 'done')
        op.end()
        if lock_holder != 'engine-a':
            stack_lock_object.StackLock.steal(stack.context, stack.id,
                                              'engine-a', lock_holder)
        stack.persist_state_and_release_lock('engine-a')
        return stack

    def test_fenced_owner_frees_heats_lock_for_a_resume(self):
        # every engine lost ZooKeeper, none took over: the stack must not
        # stay locked by a live engine that runs nothing for it
        stack = self.fenced_create('engine-a')
        self.assertIsNone(stack_lock_object.StackLock.get_engine_id(
            stack.context, stack.id))
        self.assertIsNone(self.coord.holder(stack.id))
        record, _ = progress.load_operation(stack.context, stack.id)
        self.assertEqual('CREATE', record['op'])  # kept for the resume

    def test_fenced_owner_leaves_a_stolen_lock_alone(self):
        stack = self.fenced_create('engine-b')
        self.assertEqual('engine-b', stack_lock_object.StackLock.
                         get_engine_id(stack.context, stack.id))

    def test_a_new_operation_forgets_an_earlier_loss(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        first = operation.Operation.begin(stack, 'UPDATE')
        first.fenced = 'its ZooKeeper session was lost'
        with bound_operation.bind(first):
            self.assertRaises(operation.OwnershipLost, stack.state_set,
                              'UPDATE', 'COMPLETE', 'done')
        first.end()  # an update releases Heat's lock without persist
        second = operation.Operation.begin(stack, 'CHECK')
        self.addCleanup(second.release_lock)
        self.assertFalse(operation.Operation.fenced_away(stack.id))


class HandlerTest(testtools.TestCase):
    def handler_in(self, code):
        import subprocess
        import sys
        out = subprocess.run(
            [sys.executable, '-c', code + '\nfrom heat_resume import '
             'coordination\nprint(type(coordination._handler()).__name__)'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, out.returncode, out.stderr)
        return out.stdout.split()[-1]

    def test_threading_handler_on_native_threads(self):
        self.assertEqual('SequentialThreadingHandler', self.handler_in(''))

    def test_eventlet_handler_when_monkey_patched(self):
        self.assertEqual('SequentialEventletHandler', self.handler_in(
            'import eventlet\neventlet.monkey_patch()'))


class TLSTest(base.ZooKeeperTestCase):
    ZOOKEEPER_TLS = True

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        conf.register_opts(self.conf)
        self.conf([], default_config_files=[])
        for name, value in (('zookeeper_hosts', [self.zk.tls_hosts]),
                            ('zookeeper_connection_timeout', 5.0),
                            ('zookeeper_use_tls', True),
                            ('zookeeper_ca_file', self.zk.ca_file)):
            self.conf.set_override(name, value, conf.GROUP)

    def test_tls_with_a_client_certificate(self):
        self.conf.set_override('zookeeper_cert_file', self.zk.client_cert,
                               conf.GROUP)
        self.conf.set_override('zookeeper_key_file', self.zk.client_key,
                               conf.GROUP)
        coord = coordination.Coordinator(self.conf.heat_resume, 'engine-a')
        self.addCleanup(coord.stop)
        coord.start()
        self.assertIsNotNone(coord.lock('stack-1'))

    def test_tls_refused_without_a_client_certificate(self):
        self.conf.set_override('zookeeper_connection_timeout', 2.0,
                               conf.GROUP)
        coord = coordination.Coordinator(self.conf.heat_resume, 'engine-a')
        self.addCleanup(coord.stop)
        self.assertRaises(coordination.CoordinationUnavailable, coord.start)
