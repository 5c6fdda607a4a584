"""The seam: stock when disabled, refuses a Heat of the wrong shape."""

import os
from unittest import mock

from oslo_config import cfg
import testtools

from heat.engine import resource as heat_resource
from heat.engine import scheduler as heat_scheduler
from heat.engine import stack as heat_stack

from heat_resume import extension
from heat_resume import progress
from heat_resume import seam
from heat_resume import taskgroup
from heat_resume_tests.unit import base


class DisabledTest(base.HeatResumeTestCase):
    enabled = False

    def test_disabled_runs_the_stock_group_and_records_nothing(self):
        stock_group = taskgroup.ParallelTaskGroup.__mro__[1]
        stock_call = self.patchobject(stock_group, '__call__',
                                      wraps=stock_group.__call__,
                                      autospec=True)
        stack = self.create(base.hot({'a': base.test_resource()}))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state)
        self.assertEqual(1, stock_call.call_count)
        self.assertIsNone(progress.load_task(stack.context, stack['a'].id))
        self.assertEqual((None, None),
                         progress.load_operation(stack.context, stack.id))

    def test_disabled_leaves_convergence_engine_alone(self):
        self.assertTrue(cfg.CONF.convergence_engine)


class EnabledTest(base.HeatResumeTestCase):
    def test_new_stacks_are_legacy_stacks(self):
        self.assertFalse(cfg.CONF.convergence_engine)

    def test_convergence_stacks_are_left_to_heat(self):
        stack = self.parse(base.hot({'a': base.test_resource()}))
        stack.convergence = True
        group = taskgroup.ParallelTaskGroup(stack.dependencies)
        self.assertFalse(group._managed)

    def test_group_is_a_stock_group_for_tests_that_patch_it(self):
        if extension.active():
            self.skipTest('Heat selects it by option: not patched '
                          '(test_extension.PatchedHeatTest)')
        self.assertTrue(issubclass(heat_scheduler.DependencyTaskGroup,
                                   seam._originals[(heat_scheduler,
                                                    'DependencyTaskGroup')]))
        self.assertIs(taskgroup.ParallelTaskGroup,
                      heat_scheduler.DependencyTaskGroup)

    def test_uninstall_restores_every_symbol(self):
        patched = dict(seam._originals)
        seam.uninstall()
        for (owner, name), original in patched.items():
            self.assertIs(original, owner.__dict__[name])
        self.assertTrue(seam.install())

    def test_install_twice_patches_once(self):
        wrapped = heat_stack.Stack.create
        self.assertTrue(seam.install())
        self.assertIs(wrapped, heat_stack.Stack.create)


class ShapeTest(base.HeatResumeTestCase):
    def test_unknown_heat_shape_is_refused_and_logged(self):
        # every symbol a successful install replaces, as stock Heat has it
        stock = {(owner, name): original
                 for (owner, name), original in seam._originals.items()}
        self.assertIn((heat_resource.Resource, 'action_handler_task'), stock)
        seam.uninstall()

        def other_shape(self, action, handler_args=None):
            pass

        with mock.patch.object(heat_resource.Resource,
                               'action_handler_task', other_shape):
            self.assertFalse(seam.install())
            self.assertIs(other_shape,
                          heat_resource.Resource.action_handler_task)
            # the engine stays stock: nothing else was patched either
            for (owner, name), original in stock.items():
                if name != 'action_handler_task':
                    self.assertIs(original, owner.__dict__[name], name)
        self.assertFalse(seam.installed())
        self.assertTrue(cfg.CONF.convergence_engine)
        self.assertIn('heat_resume is NOT installed', self.LOG.output)
        self.assertIn('Resource.action_handler_task', self.LOG.output)
        self.assertIn('The engine runs stock Heat', self.LOG.output)
        # the log line names every release it was checked against
        for series, versions in seam.CHECKED_RELEASES.items():
            self.assertIn('%s (openstack-heat %s)' % (
                series, ', '.join(versions)), self.LOG.output)
        self.assertIn('this Heat (openstack-heat %s)' % seam.heat_version(),
                      self.LOG.output)
        self.assertIs(stock[(heat_resource.Resource, 'action_handler_task')],
                      heat_resource.Resource.action_handler_task)
        self.assertIsNot(taskgroup.ParallelTaskGroup,
                         heat_scheduler.DependencyTaskGroup)

    def test_missing_symbol_is_named(self):
        with mock.patch.object(seam, 'EXPECTED_SHAPE', [
                (heat_stack.Stack, 'no_such_method', ['self'])]):
            error = self.assertRaises(seam.IncompatibleHeat,
                                      seam.check_shape)
        self.assertIn('Stack.no_such_method is missing', str(error))

    def test_shape_of_this_heat_is_known(self):
        seam.check_shape()

    def test_this_heat_is_a_checked_release(self):
        # a new pin in constraints/ needs its release checked and listed
        self.assertIn(seam.heat_version(), seam.CHECKED_VERSIONS)

    def test_unchecked_version_of_the_right_shape_is_installed(self):
        seam.uninstall()
        with mock.patch.object(seam, 'heat_version', return_value='99.0.0'):
            self.assertTrue(seam.install())
        self.assertTrue(seam.installed())  # patched, or through extension
        self.assertIn('not checked against openstack-heat 99.0.0',
                      self.LOG.output)
        self.assertIn('2026.2 (openstack-heat 27.0.0, 27.0.1)',
                      self.LOG.output)


class ConstraintsTest(testtools.TestCase):
    def test_each_series_pins_a_checked_heat(self):
        # constraints/heat-<series>.txt is what each tox env installs
        top = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        for series, versions in seam.CHECKED_RELEASES.items():
            path = os.path.join(top, 'constraints', 'heat-%s.txt' % series)
            with open(path) as f:
                pins = [line.split('==', 1)[1].strip() for line in f
                        if line.startswith('openstack-heat==')]
            self.assertEqual(1, len(pins), path)
            self.assertIn(pins[0], versions, path)
