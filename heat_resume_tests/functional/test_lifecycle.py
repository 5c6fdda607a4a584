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

"""Every stack operation heat_resume schedules, through the Heat API.

Nothing is broken here: these prove the scheduler does what stock Heat
does, end to end, and they run under tempest against a devstack too.
"""

import time

from tempest.lib import decorators
import yaml

from heat_resume_tests.functional import base

LEDGER = 'HeatResume::Test::Ledger'


def hot(resources, outputs=None):
    return {'heat_template_version': '2018-08-31',
            'resources': resources, 'outputs': outputs or {}}


def ledger(value='v', wait=0, **props):
    props.update(value=value, wait_secs=wait)
    return {'type': LEDGER, 'properties': props}


def pair(value='v', wait=0, replace=False):
    """Two resources, b after a."""
    b = ledger(value, wait, update_replace=replace)
    b['depends_on'] = ['a']
    return hot({'a': ledger(value, wait, update_replace=replace), 'b': b},
               {'b': {'value': {'get_attr': ['b', 'output']}}})


class LifecycleTest(base.HeatResumeTest):

    SHARED_CLUSTER = True

    def objects(self, stack_id):
        """{resource name: object id} of the stack's live objects."""
        return dict((name, obj) for obj, name in
                    self.ledger(stack_id).live().items())

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0001')
    def test_create_and_delete(self):
        stack_id = self.stack_create(pair(), enable_cleanup=False)
        self.assert_settled(stack_id)
        self.assertEqual(['a', 'b'], sorted(self.objects(stack_id)))
        self.stack_delete(stack_id)

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0002')
    def test_update_in_place(self):
        stack_id = self.stack_create(pair('one'))
        before = self.objects(stack_id)
        self.stack_update(stack_id, pair('two'))
        self.assert_settled(stack_id)
        self.assertEqual(before, self.objects(stack_id))
        self.assertEqual(2, len(self.ledger(stack_id).ops('update')))
        self.assertEqual('two', self.output(stack_id, 'b'))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0003')
    def test_update_with_replacement(self):
        stack_id = self.stack_create(pair('one', replace=True))
        before = set(self.objects(stack_id).values())
        self.stack_update(stack_id, pair('two', replace=True))
        self.assert_settled(stack_id)
        after = set(self.objects(stack_id).values())
        self.assertEqual(2, len(after))
        self.assertEqual(set(), before & after)  # old objects deleted
        self.assertEqual('two', self.output(stack_id, 'b'))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0004')
    def test_rollback_after_failed_create(self):
        template = pair()
        template['resources']['bad'] = {
            'type': LEDGER, 'depends_on': ['b'],
            'properties': {'fail': True, 'wait_secs': 0.5}}
        stack_id = self.stack_create(template, 'ROLLBACK_COMPLETE',
                                     disable_rollback=False)
        self.assert_settled(stack_id)
        self.assertEqual({}, self.objects(stack_id))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0005')
    def test_rollback_after_failed_update(self):
        stack_id = self.stack_create(pair('one'))
        before = self.objects(stack_id)
        template = pair('one')
        template['resources']['bad'] = {
            'type': LEDGER, 'depends_on': ['b'],
            'properties': {'fail': True, 'wait_secs': 0.5}}
        self.stack_update(stack_id, template, 'ROLLBACK_COMPLETE',
                          disable_rollback=False)
        self.assert_settled(stack_id)
        self.assertEqual(before, self.objects(stack_id))
        self.assertEqual(['a', 'b'], sorted(self.resource_states(stack_id)))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0006')
    def test_suspend_resume_and_check(self):
        stack_id = self.stack_create(pair())
        self.act(stack_id, 'SUSPEND_COMPLETE', self.hc.actions.suspend,
                 stack_id)
        self.assertEqual({'SUSPEND_COMPLETE'},
                         set(self.resource_states(stack_id).values()))
        self.act(stack_id, 'RESUME_COMPLETE', self.hc.actions.resume,
                 stack_id)
        self.act(stack_id, 'CHECK_COMPLETE', self.hc.actions.check, stack_id)
        self.assertEqual({'CHECK_COMPLETE'},
                         set(self.resource_states(stack_id).values()))
        self.assert_settled(stack_id)

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0007')
    def test_cancel_update(self):
        stack_id = self.stack_create(pair('one'))
        before = self.objects(stack_id)
        self.stack_update(stack_id, pair('two', wait=6), None)
        deadline = time.monotonic() + 30
        while not self.ledger(stack_id).ops('update'):
            self.assertLess(time.monotonic(), deadline, 'update not begun')
            time.sleep(0.2)
        self.hc.actions.cancel_update(stack_id)
        self.wait_for_status(stack_id, 'ROLLBACK_COMPLETE')
        self.assert_settled(stack_id)
        self.assertEqual(before, self.objects(stack_id))
        self.assertEqual('one', self.output(stack_id, 'b'))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0008')
    def test_resource_group_scaled(self):
        def group(count):
            return hot({'group': {
                'type': 'OS::Heat::ResourceGroup',
                'properties': {'count': count,
                               'resource_def': ledger('m', 0.5)}}})

        stack_id = self.stack_create(group(3))
        self.assertEqual(3, len(self.objects(stack_id)))
        self.stack_update(stack_id, group(5))
        self.assert_settled(stack_id)
        self.assertEqual(5, len(self.objects(stack_id)))
        self.stack_update(stack_id, group(2))
        self.assertEqual(2, len(self.objects(stack_id)))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a0009')
    def test_template_resource_nested_stack(self):
        inner = hot({'x': ledger('in', 0.5), 'y': ledger('in', 0.5)},
                    {'y': {'value': {'get_attr': ['y', 'output']}}})
        outer = hot({'n': {'type': 'inner.yaml'}},
                    {'y': {'value': {'get_attr': ['n', 'y']}}})
        stack_id = self.stack_create(
            outer, files={'inner.yaml': yaml.safe_dump(inner)})
        self.assert_settled(stack_id)
        self.assertEqual(['x', 'y'], sorted(self.objects(stack_id)))
        self.assertEqual('in', self.output(stack_id, 'y'))

    @decorators.idempotent_id('2f7f5f0e-4a4e-4b8c-9d0e-6f1d3c1a000a')
    def test_independent_resources_run_in_parallel(self):
        resources = {'p%d' % i: ledger('p', 2) for i in range(8)}
        started = time.monotonic()
        stack_id = self.stack_create(hot(resources))
        took = time.monotonic() - started
        creates = sorted(e['time'] for e in self.ledger(stack_id).ops(
            'create'))
        self.assertEqual(8, len(creates))
        # all eight began within a second: none waited for another
        self.assertLess(creates[-1] - creates[0], 1.0)
        # eight 2 s resources in sequence would take 16 s
        self.assertLess(took, 8.0)


class PostgreSQLLifecycleTest(LifecycleTest):
    """The same on PostgreSQL, Heat's other database."""

    DB_URL = 'postgresql+psycopg2://postgres@127.0.0.1:5432'


def renamed(first='test1', value3='test3', fail=False):
    """Issue 17's stack: test2 reads ``first``'s output; test3 waits 5 s.

    Stock legacy Heat runs it through an update that renames test1 and
    fails on test3, then back to the first template.
    """
    test2 = ledger({'get_attr': [first, 'output']})
    test3 = {'type': LEDGER, 'properties': {
        'value': value3, 'fail': fail, 'action_wait_secs': {'update': 5}}}
    return hot({first: ledger('test'), 'test2': test2, 'test3': test3},
               {'test2': {'value': {'get_attr': ['test2', 'output']}}})


def nested_read_by_sibling(inner_value):
    """A template resource whose output a sibling reads with get_attr."""
    inner = hot({'y': ledger(inner_value)},
                {'y': {'value': {'get_attr': ['y', 'output']}}})
    outer = hot({'n': {'type': 'inner.yaml'},
                 's': ledger({'get_attr': ['n', 'y']})},
                {'s': {'value': {'get_attr': ['s', 'output']}},
                 'n': {'value': {'get_attr': ['n', 'y']}}})
    return outer, {'inner.yaml': yaml.safe_dump(inner)}


class UpdateSemanticsTest(base.HeatResumeTest):
    """Updates whose graphs mix same-named resources of several stacks.

    An update's graph holds the new, the existing and the backup stack's
    resources, same-named and equal by Heat's ``Resource.__eq__`` (name and
    resolved definition), some of whose definitions no longer resolve.
    heat_resume must run them as stock legacy Heat does
    (StockLegacyUpdateSemanticsTest runs the same tests on it).
    """

    SHARED_CLUSTER = True

    def objects(self, stack_id):
        return sorted(self.ledger(stack_id).live().values())

    def live_backup_stacks(self, stack_id):
        return self.cluster.sql(
            'SELECT name FROM stack WHERE owner_id = %s AND name LIKE %s '
            'AND deleted_at IS NULL', stack_id, '%*')

    @decorators.idempotent_id('5b1d2c6e-0e7a-4f43-9a55-17a1c0de0011')
    def test_update_back_after_failed_update(self):
        stack_id = self.stack_create(renamed())
        self.stack_update(stack_id, renamed('test-1', 'test-3', fail=True),
                          'UPDATE_FAILED')
        failed = self.hc.stacks.get(stack_id)
        self.assertIn('Test Resource failed test3',
                      failed.stack_status_reason)
        # the failed update created test-1 and deleted test1, which it no
        # longer has
        self.assertEqual(['test-1', 'test2', 'test3'], self.objects(stack_id))

        self.stack_update(stack_id, renamed())
        self.assert_settled(stack_id)
        self.assertEqual(['test1', 'test2', 'test3'],
                         sorted(self.resource_states(stack_id)))
        self.assertEqual(['test1', 'test2', 'test3'], self.objects(stack_id))
        self.assertEqual('test', self.output(stack_id, 'test2'))
        # the stored template is the one asked for, not the failed one's
        self.assertEqual(renamed()['resources'],
                         self.hc.stacks.template(stack_id)['resources'])
        if self.cluster is not None:
            self.assertEqual((), self.live_backup_stacks(stack_id))

    @decorators.idempotent_id('5b1d2c6e-0e7a-4f43-9a55-17a1c0de0012')
    def test_update_of_nested_stack_read_by_sibling(self):
        outer, files = nested_read_by_sibling('one')
        stack_id = self.stack_create(outer, files=files)
        self.assertEqual('one', self.output(stack_id, 's'))
        outer, files = nested_read_by_sibling('two')
        self.stack_update(stack_id, outer, files=files)
        self.assert_settled(stack_id)
        self.assertEqual('two', self.output(stack_id, 'n'))
        # s is not updated by this update: stock legacy Heat (27.0.1)
        # keeps 'one' in it, and so must heat_resume
        self.assertEqual('one', self.output(stack_id, 's'))
        self.assertEqual(['s', 'y'], self.objects(stack_id))

    @decorators.idempotent_id('5b1d2c6e-0e7a-4f43-9a55-17a1c0de0013')
    def test_rename_kept_after_failed_update(self):
        """The renamed resource of a failed update is the stack's now."""
        stack_id = self.stack_create(renamed())
        self.stack_update(stack_id, renamed('test-1', 'test-3', fail=True),
                          'UPDATE_FAILED')
        # again the failed template, fixed: test1 goes, test-1 stays
        self.stack_update(stack_id, renamed('test-1', 'test-3'))
        self.assert_settled(stack_id)
        self.assertEqual(['test-1', 'test2', 'test3'],
                         sorted(self.resource_states(stack_id)))
        self.assertEqual(['test-1', 'test2', 'test3'], self.objects(stack_id))
        if self.cluster is not None:
            self.assertEqual((), self.live_backup_stacks(stack_id))


class StockLegacyUpdateSemanticsTest(UpdateSemanticsTest):
    """The same on stock legacy Heat: what heat_resume must match."""

    STOCK_LEGACY = True
