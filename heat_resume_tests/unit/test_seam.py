"""The seam: stock when disabled, refuses a Heat of the wrong shape."""

from unittest import mock

from oslo_config import cfg

from heat.engine import resource as heat_resource
from heat.engine import scheduler as heat_scheduler
from heat.engine import stack as heat_stack

from heat_resume import progress
from heat_resume import seam
from heat_resume import taskgroup
from heat_resume_tests.unit import base


class DisabledTest(base.HeatResumeTestCase):
    enabled = False

    def test_disabled_runs_the_stock_group_and_records_nothing(self):
        stock_call = self.patchobject(
            heat_scheduler.DependencyTaskGroup.__mro__[1], '__call__',
            wraps=heat_scheduler.DependencyTaskGroup.__mro__[1].__call__,
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
        group = heat_scheduler.DependencyTaskGroup(stack.dependencies)
        self.assertFalse(group._managed)

    def test_group_is_a_stock_group_for_tests_that_patch_it(self):
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
        seam.uninstall()
        original = heat_resource.Resource.action_handler_task

        def other_shape(self, action, handler_args=None):
            pass

        with mock.patch.object(heat_resource.Resource,
                               'action_handler_task', other_shape):
            self.assertFalse(seam.install())
            self.assertIs(other_shape,
                          heat_resource.Resource.action_handler_task)
        self.assertFalse(seam.installed())
        self.assertIn('heat_resume is NOT installed', self.LOG.output)
        self.assertIn('Resource.action_handler_task', self.LOG.output)
        self.assertIs(original, heat_resource.Resource.action_handler_task)
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
