"""Stopping an engine: drain, then hand over; and who counts as alive."""

import threading
import time

import fixtures
from oslo_config import cfg
import testtools

from heat_resume import bound_operation
from heat_resume import conf
from heat_resume import handler_loop
from heat_resume import heat_internals
from heat_resume import membership
from heat_resume import operation
from heat_resume import progress
from heat_resume_tests.unit import base


class FakeStack(object):
    id = 'stack-1'

    def timeout_secs(self):
        return 60


class DrainTest(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.op = operation.Operation(FakeStack(), {'op': 'CREATE'}, 0)
        operation.Operation.live[self.op.stack_id] = self.op
        self.addCleanup(operation.Operation.live.pop, self.op.stack_id,
                        None)
        self.addCleanup(operation.Operation.draining.clear)

    def busy_worker(self, returns_after):
        """A worker inside its handler for ``returns_after`` seconds."""
        inside = threading.Event()

        def work():
            with self.op._settled:
                self.op._busy.add(threading.get_ident())
            inside.set()
            time.sleep(returns_after)
            self.op.handler_returned()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        inside.wait(5)
        self.addCleanup(thread.join)
        return thread

    def test_waits_for_a_running_handler(self):
        self.busy_worker(0.3)
        started = time.monotonic()
        self.assertEqual(0, operation.Operation.drain_all(5))
        self.assertGreaterEqual(time.monotonic() - started, 0.25)
        self.assertIsNone(self.op.fenced)  # draining hands nothing over

    def test_bounded_by_its_timeout(self):
        self.busy_worker(2)
        started = time.monotonic()
        self.assertEqual(1, operation.Operation.drain_all(0.2))
        self.assertLess(time.monotonic() - started, 1.5)

    def test_no_new_action_starts_until_handed_over(self):
        operation.Operation.drain_all(0)
        passed = threading.Event()

        def new_action():
            self.op._wait_unless_draining()
            passed.set()

        threading.Thread(target=new_action, daemon=True).start()
        self.assertFalse(passed.wait(0.3))
        operation.Operation.hand_over_all('stopping')
        self.assertTrue(passed.wait(2))
        # and the owner check that follows refuses it before any write
        self.assertRaises(operation.OwnershipLost, self.op.check_owner,
                          'a new action')

    def test_drain_timeout_follows_graceful_shutdown_timeout(self):
        opts = cfg.ConfigOpts()
        opts.register_opt(cfg.IntOpt('graceful_shutdown_timeout',
                                     default=60))
        self.assertEqual(58, conf.drain_timeout(opts))
        opts.set_override('graceful_shutdown_timeout', 3)
        self.assertEqual(1.5, conf.drain_timeout(opts))
        opts.set_override('graceful_shutdown_timeout', 0)
        self.assertIsNone(conf.drain_timeout(opts))


class HandedOverPollTest(testtools.TestCase):
    """A fenced engine never cancels what a peer now polls."""

    class Resource(object):
        name = 'r'

        def __init__(self):
            self.cancelled = []

        def handle_create_cancel(self, cookie):
            self.cancelled.append(cookie)

    def poll(self, op):
        resource = self.Resource()
        poll = handler_loop._poll(resource, lambda cookie: False, 'cookie',
                                  'create', op)
        next(poll)
        poll.close()
        return resource.cancelled

    def test_owner_cancels_on_close(self):
        op = operation.Operation(FakeStack(), {}, 0)
        self.assertEqual(['cookie'], self.poll(op))

    def test_fenced_engine_does_not(self):
        op = operation.Operation(FakeStack(), {}, 0)
        op.fenced = 'engine b took the operation over'
        self.assertEqual([], self.poll(op))


class EngineAliveTest(testtools.TestCase):
    """ZooKeeper answers for heat_resume engines only (mixed fleets)."""

    class Coordinator(object):
        def __init__(self, members):
            self.members = members

        def is_member(self, engine_id):
            return engine_id in self.members

    def setUp(self):
        super().setUp()
        member = membership.Membership.__new__(membership.Membership)
        member.coordinator = self.Coordinator({'engine-a'})
        member._left = set()
        self.member = member
        membership._membership['current'] = member
        self.addCleanup(membership._membership.__setitem__, 'current',
                        None)

    def test_member_is_alive(self):
        self.assertTrue(membership.engine_alive('engine-a'))

    def test_engine_seen_to_leave_is_dead(self):
        self.member._left.add('engine-b')
        self.assertFalse(membership.engine_alive('engine-b'))

    def test_unknown_engine_is_asked_by_rpc(self):
        # None: Heat's own liveness check (an RPC ping) decides
        self.assertIsNone(membership.engine_alive('stock-engine'))


class SweepIsolationTest(testtools.TestCase):
    def test_one_bad_stack_is_logged_once_and_skipped(self):
        member = membership.Membership.__new__(membership.Membership)
        member.engine_id = 'engine-a'
        member.thread_group_mgr = None
        member._unresumable = set()
        calls = []

        def resume_stack(stack_id, engine_id, tgm):
            calls.append(stack_id)
            if stack_id == 'bad':
                raise ValueError('malformed record')
            return object()

        self.useFixture(fixtures.MonkeyPatch(
            'heat_resume.takeover.resume_stack', resume_stack))
        logged = self.useFixture(fixtures.FakeLogger(
            'heat_resume.membership'))
        self.assertFalse(member._take('bad'))
        self.assertTrue(member._take('good'))
        self.assertFalse(member._take('bad'))
        self.assertEqual(['bad', 'good', 'bad'], calls)
        self.assertEqual(1, logged.output.count('cannot resume stack bad'))


class RecordChangedTest(base.HeatResumeTestCase):
    def test_a_changed_record_is_ownership_lost(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.store()
        op = operation.Operation.begin(stack, 'CREATE')
        self.addCleanup(op.release_lock)
        # a takeover rewrote the record (its compare-and-swap came first)
        record, key = progress.load_operation(stack.context, stack.id)
        record['engine'] = 'engine-b'
        self.assertIsNotNone(progress.update_operation(
            stack.context, stack.id, record, key))
        self.assertRaises(operation.OwnershipLost, op._save)
        self.assertTrue(operation.Operation.fenced_away(stack.id))

    def test_handler_writes_are_fenced(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        op = operation.Operation.begin(stack, 'UPDATE')
        self.addCleanup(op.release_lock)
        op.fenced = 'engine b took the operation over'
        rsrc = stack['a']
        before = rsrc.resource_id
        with bound_operation.bind(op):
            self.assertRaises(operation.OwnershipLost, rsrc.data_set,
                              'k', 'v')
            self.assertRaises(operation.OwnershipLost,
                              rsrc.resource_id_set, 'other-id')
        self.assertNotIn('k', rsrc.data())
        self.assertEqual(before, rsrc.resource_id)


class DatabaseFenceTest(base.HeatResumeTestCase):
    """The database itself refuses a zombie's writes (fence.py)."""

    def owned(self, stack):
        return self.fenced_operation(stack, 'UPDATE')

    def test_owner_writes(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        op = self.owned(stack)
        with bound_operation.bind(op):
            stack['a'].state_set('UPDATE', 'COMPLETE', 'owner wrote it')
        row = heat_internals.ResourceObject.get_obj(stack.context,
                                                    stack['a'].id)
        self.assertEqual('owner wrote it', row.status_reason)

    def test_stolen_lock_refuses_every_write(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        op = self.owned(stack)
        # a takeover stole Heat's lock; this engine's local checks pass
        heat_internals.StackLockObject.steal(stack.context, stack.id,
                                             'engine-a', 'engine-b')
        rsrc = stack['a']
        stack_before = heat_internals.StackObject.get_by_id(stack.context,
                                                            stack.id)
        logged = self.useFixture(fixtures.FakeLogger(
            'heat_resume.operation'))
        with bound_operation.bind(op):
            self.assertRaises(operation.OwnershipLost, rsrc.state_set,
                              'UPDATE', 'COMPLETE', 'zombie wrote it')
            self.assertRaises(operation.OwnershipLost, stack.state_set,
                              'UPDATE', 'COMPLETE', 'zombie wrote it')
        row = heat_internals.ResourceObject.get_obj(stack.context, rsrc.id)
        self.assertEqual(('CREATE', 'COMPLETE'), (row.action, row.status))
        stack_row = heat_internals.StackObject.get_by_id(stack.context,
                                                         stack.id)
        self.assertEqual((stack_before.action, stack_before.status,
                          stack_before.status_reason),
                         (stack_row.action, stack_row.status,
                          stack_row.status_reason))
        self.assertIn('refused by the database', logged.output)
        self.assertIn('engine-b', logged.output)

    def no_task_record(self, stack):
        """The task record cannot be written (a database error)."""
        self.useFixture(fixtures.MockPatchObject(
            progress, '_write_task', return_value=False))
        return self.useFixture(fixtures.MockPatchObject(
            stack['a'], 'handle_update', return_value=None)).mock

    def test_handler_called_once_the_database_says_owner(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        op = self.owned(stack)
        handler = self.no_task_record(stack)
        with bound_operation.bind(op):
            next(handler_loop.run_handler(stack['a'], 'UPDATE'))
        handler.assert_called_once_with()

    def test_no_handler_call_without_a_proof_of_ownership(self):
        # no fenced write proved ownership, and the lock moved: the cloud
        # call, which the database cannot refuse, is not made
        stack = self.create(base.hot({'a': base.test_resource()}))
        op = self.owned(stack)
        handler = self.no_task_record(stack)
        heat_internals.StackLockObject.steal(stack.context, stack.id,
                                             'engine-a', 'engine-b')
        with bound_operation.bind(op):
            self.assertRaises(operation.OwnershipLost, next,
                              handler_loop.run_handler(stack['a'], 'UPDATE'))
        handler.assert_not_called()
