"""The seam: stock when disabled, refuses a Heat of the wrong shape."""

from unittest import mock

from oslo_config import cfg

from heat.engine import resource as heat_resource
from heat.engine import scheduler as heat_scheduler
from heat.engine import stack as heat_stack

from heat_resume import extension
from heat_resume import heat_internals
from heat_resume import progress
from heat_resume import seam
from heat_resume import drop_in
from heat_resume_tests.unit import base


class DisabledTest(base.HeatResumeTestCase):
    enabled = False

    def test_disabled_runs_the_stock_group_and_records_nothing(self):
        stock_group = drop_in.ParallelTaskGroup.__mro__[1]
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
        group = drop_in.ParallelTaskGroup(stack.dependencies)
        self.assertIsNone(group._run)

    def test_group_is_a_stock_group_for_tests_that_patch_it(self):
        if extension.active():
            self.skipTest('Heat selects it by option: not patched '
                          '(test_extension.PatchedHeatTest)')
        self.assertTrue(issubclass(heat_scheduler.DependencyTaskGroup,
                                   seam._originals[(heat_scheduler,
                                                    'DependencyTaskGroup')]))
        self.assertIs(drop_in.ParallelTaskGroup,
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
        for series, versions in heat_internals.CHECKED_RELEASES.items():
            self.assertIn('%s (openstack-heat %s)' % (
                series, ', '.join(versions)), self.LOG.output)
        self.assertIn('this Heat (openstack-heat %s)'
                      % heat_internals.heat_version(), self.LOG.output)
        self.assertIs(stock[(heat_resource.Resource, 'action_handler_task')],
                      heat_resource.Resource.action_handler_task)
        self.assertIsNot(drop_in.ParallelTaskGroup,
                         heat_scheduler.DependencyTaskGroup)

    def test_unchecked_version_of_the_right_shape_is_installed(self):
        seam.uninstall()
        with mock.patch.object(heat_internals, 'heat_version',
                               return_value='99.0.0'):
            self.assertTrue(seam.install())
        self.assertTrue(seam.installed())  # patched, or through extension
        self.assertIn('not checked against openstack-heat 99.0.0',
                      self.LOG.output)
        self.assertIn('2026.2 (openstack-heat 27.0.0, 27.0.1)',
                      self.LOG.output)
