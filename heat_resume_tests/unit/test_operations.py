"""Every legacy stack operation, run by heat_resume on real Heat resources."""

import queue
import threading
import time
from unittest import mock

from oslo_config import cfg

from heat.engine import resource as heat_resource
from heat.engine.resources.openstack.heat import test_resource
from heat.engine import stack as heat_stack
from heat.engine import template as heat_template
from heat.objects import resource as resource_objects
from heat.rpc import api as rpc_api

from heat_resume import engine_identity
from heat_resume import progress
from heat_resume import resume_rules
from heat_resume_tests.unit import base


def task_record(rsrc):
    return progress.load_task(rsrc.context, rsrc.id)


class CreateTest(base.HeatResumeTestCase):
    def test_create_records_progress_per_resource(self):
        stack = self.create(base.hot({
            'a': base.test_resource(),
            'b': base.test_resource(depends_on=['a']),
            'r': {'type': 'OS::Heat::RandomString'},
            'n': {'type': 'OS::Heat::None'}}))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        for name in ('a', 'b', 'r'):
            record = task_record(stack[name])
            self.assertEqual('CREATE', record['action'])
            self.assertEqual(resume_rules.COMPLETE, record['phase'])
            self.assertEqual(engine_identity.engine_id(), record['engine'])
            self.assertEqual(1, record['attempt'])
            self.assertIsNotNone(record['finished_at'])
            row = resource_objects.Resource.get_obj(stack.context,
                                                    stack[name].id)
            self.assertIsNone(row.engine_id)
        # TestResource's cookie is (datetime, wait): saved as JSON
        self.assertTrue(task_record(stack['a'])['cookie_saved'])
        self.assertEqual(0, task_record(stack['a'])['cookie'][1])
        self.assertEqual(32, len(stack['r'].FnGetAtt('value')))

    def test_operation_record_lives_until_the_lock_is_released(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        record, _ = progress.load_operation(stack.context, stack.id)
        self.assertEqual('CREATE', record['op'])
        self.assertEqual(['CREATE', 'COMPLETE'], record['final'][:2])
        stack.persist_state_and_release_lock('engine-x')
        self.assertEqual((None, None),
                         progress.load_operation(stack.context, stack.id))

    def test_wide_graph_finishes_in_about_its_critical_path(self):
        # every not-yet-complete check of TestResource sleeps 1s: stock
        # legacy steps all of them in one thread, so 12 cost 12s a round
        resources = {'root': base.test_resource()}
        for i in range(12):
            resources['w%d' % i] = base.test_resource(
                wait=0.5, depends_on=['root'])
        stack = self.create(base.hot(resources))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertLess(stack.elapsed, 4.0)

    def test_concurrency_bound_per_stack(self):
        cfg.CONF.set_override('max_concurrency', 2, 'heat_resume')
        lock = threading.Lock()
        state = {'now': 0, 'peak': 0}
        original = test_resource.TestResource.handle_create

        def handle_create(rsrc):
            with lock:
                state['now'] += 1
                state['peak'] = max(state['peak'], state['now'])
            time.sleep(0.2)
            with lock:
                state['now'] -= 1
            return original(rsrc)

        self.patchobject(test_resource.TestResource, 'handle_create',
                         side_effect=handle_create, autospec=True)
        stack = self.create(base.hot(
            {'r%d' % i: base.test_resource() for i in range(6)}))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual(2, state['peak'])

    def test_failure_rolls_back(self):
        stack = self.parse(base.hot({
            'good': base.test_resource(),
            'bad': base.test_resource(fail=True, depends_on=['good'])}))
        stack.disable_rollback = False
        stack.create()
        self.assertEqual(('ROLLBACK', 'COMPLETE'), stack.state,
                         stack.status_reason)
        self.assertEqual(('DELETE', 'COMPLETE'), stack['good'].state)

    def test_failure_without_rollback(self):
        stack = self.create(base.hot({
            'bad': base.test_resource(fail=True),
            'after': base.test_resource(depends_on=['bad'])}))
        self.assertEqual(('CREATE', 'FAILED'), stack.state)
        self.assertIn('Test Resource failed bad', stack.status_reason)
        self.assertEqual(('INIT', 'COMPLETE'), stack['after'].state)
        self.assertEqual(resume_rules.FAILED,
                         task_record(stack['bad'])['phase'])

    def test_timeout_aborts_in_flight_resources(self):
        stack = self.parse(base.hot({'slow': base.test_resource(wait=30)}))
        stack.timeout_secs = lambda: 1
        started = time.monotonic()
        stack.create()
        self.assertEqual(('CREATE', 'FAILED'), stack.state)
        self.assertEqual('Create timed out', stack.status_reason)
        self.assertEqual(('CREATE', 'FAILED'), stack['slow'].state)
        self.assertLess(time.monotonic() - started, 6)


class LifecycleTest(base.HeatResumeTestCase):
    def setUp(self):
        super().setUp()
        self.stack = self.create(base.hot({
            'a': base.test_resource(),
            'b': base.test_resource(depends_on=['a']),
            'n': {'type': 'OS::Heat::None'}}))
        self.assertEqual(('CREATE', 'COMPLETE'), self.stack.state)

    def updated(self, resources, **kwargs):
        tmpl = heat_template.Template(base.hot(resources))
        return heat_stack.Stack(self.stack.context, self.stack.name, tmpl,
                                **kwargs)

    def test_delete(self):
        ids = [self.stack[n].id for n in ('a', 'b', 'n')]
        self.stack.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), self.stack.state)
        for rid in ids:
            self.assertRaises(Exception, resource_objects.Resource.get_obj,
                              self.stack.context, rid)

    def test_suspend_resume_check(self):
        for action in ('suspend', 'resume', 'check'):
            getattr(self.stack, action)()
            self.assertEqual((action.upper(), 'COMPLETE'), self.stack.state,
                             self.stack.status_reason)
            self.assertEqual((action.upper(), 'COMPLETE'),
                             self.stack['b'].state)

    def test_check_aggregates_failures(self):
        # create: Heat 24.x's TestResource has no handle_check of its own
        self.patchobject(test_resource.TestResource, 'handle_check',
                         side_effect=ValueError('broken'), create=True)
        self.stack.check()
        self.assertEqual(('CHECK', 'FAILED'), self.stack.state)
        self.assertEqual(('CHECK', 'FAILED'), self.stack['a'].state)
        # as in stock Heat: what depends on the failure is not checked,
        # what does not is
        self.assertEqual(('CREATE', 'COMPLETE'), self.stack['b'].state)
        self.assertEqual(('CHECK', 'COMPLETE'), self.stack['n'].state)

    def test_update_in_place(self):
        a_id = self.stack['a'].id
        self.stack.update(self.updated({
            'a': base.test_resource(value='changed'),
            'b': base.test_resource(depends_on=['a']),
            'n': {'type': 'OS::Heat::None'}}))
        self.assertEqual(('UPDATE', 'COMPLETE'), self.stack.state,
                         self.stack.status_reason)
        self.assertEqual(a_id, self.stack['a'].id)
        self.assertEqual('changed', self.stack['a'].FnGetAtt('output'))
        self.assertEqual('UPDATE', task_record(self.stack['a'])['action'])

    def test_update_with_replacement_cleans_up(self):
        a_id = self.stack['a'].id
        self.stack.update(self.updated({
            'a': base.test_resource(value='new', update_replace=True),
            'b': base.test_resource(depends_on=['a']),
            'c': base.test_resource()}))
        self.assertEqual(('UPDATE', 'COMPLETE'), self.stack.state,
                         self.stack.status_reason)
        self.assertNotEqual(a_id, self.stack['a'].id)
        self.assertNotIn('n', self.stack)
        self.assertRaises(Exception, resource_objects.Resource.get_obj,
                          self.stack.context, a_id)

    def test_failed_update_rolls_back(self):
        self.stack.update(self.updated({
            'a': base.test_resource(value='x', fail=True),
            'b': base.test_resource(depends_on=['a']),
            'n': {'type': 'OS::Heat::None'}}, disable_rollback=False))
        self.assertEqual(('ROLLBACK', 'COMPLETE'), self.stack.state,
                         self.stack.status_reason)

    def test_cancel_update_with_rollback(self):
        messages = queue.Queue()
        # the cancel arrives while 'a' is being updated (it takes 20s)
        timer = threading.Timer(0.5, messages.put,
                                [rpc_api.THREAD_CANCEL_WITH_ROLLBACK])
        timer.start()
        self.addCleanup(timer.cancel)
        started = time.monotonic()
        self.stack.update(self.updated({
            'a': base.test_resource(value='slow', wait=20),
            'b': base.test_resource(depends_on=['a']),
            'n': {'type': 'OS::Heat::None'}}, disable_rollback=False),
            msg_queue=messages)
        self.assertEqual(('ROLLBACK', 'COMPLETE'), self.stack.state,
                         self.stack.status_reason)
        self.assertEqual('v', self.stack['a'].FnGetAtt('output'))
        # read within MESSAGE_POLL, not at Heat's next 1 s step
        self.assertLess(time.monotonic() - started, 4)

    def test_cancel_before_anything_started(self):
        messages = queue.Queue()
        messages.put(rpc_api.THREAD_CANCEL)
        self.stack.update(self.updated({
            'a': base.test_resource(value='new'),
            'b': base.test_resource(depends_on=['a']),
            'n': {'type': 'OS::Heat::None'}}), msg_queue=messages)
        self.assertEqual(('UPDATE', 'FAILED'), self.stack.state)
        self.assertEqual('v', self.stack['a'].FnGetAtt('output'))


class GroupChoiceTest(base.HeatResumeTestCase):
    def test_resources_run_on_worker_threads(self):
        threads = set()
        original = heat_resource.Resource.state_set

        def state_set(rsrc, *args, **kwargs):
            threads.add(threading.current_thread().name)
            return original(rsrc, *args, **kwargs)

        with mock.patch.object(heat_resource.Resource, 'state_set',
                               autospec=True, side_effect=state_set):
            self.create(base.hot({'a': base.test_resource()}))
        self.assertNotIn(threading.current_thread().name, threads)
