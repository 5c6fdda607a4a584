"""Heat's extension points: used on a patched Heat, the seam on stock.

StockHeatTest runs on a stock Heat (the default tox envs), PatchedHeatTest
on a Heat with patches/ applied (``tox -e heat-patched``); the decisions
themselves are also checked on any Heat with the extension point faked.
"""

import unittest

from oslo_config import cfg
from oslo_config import fixture as config_fixture

from heat.engine import scheduler as heat_scheduler
from heat.engine import stack as heat_stack

from heat_resume import extension
from heat_resume import heat_internals
from heat_resume import operation
from heat_resume import seam
from heat_resume import drop_in
from heat_resume_tests.unit import base

PATCHED_HEAT = extension.heat_has_extension_points()
STOCK_GROUP = drop_in.ParallelTaskGroup.__mro__[1]
GROUP = (heat_scheduler, 'DependencyTaskGroup')


@unittest.skipIf(PATCHED_HEAT, 'this Heat has the extension points')
class StockHeatTest(base.HeatResumeTestCase):
    def test_no_extension_points(self):
        self.assertFalse(extension.available())
        self.assertFalse(extension.active())
        self.assertNotIn(extension.TASK_GROUP_OPTION, cfg.CONF)

    def test_seam_replaces_the_task_group(self):
        self.assertIs(drop_in.ParallelTaskGroup,
                      heat_scheduler.DependencyTaskGroup)
        self.assertIs(STOCK_GROUP, seam._originals[GROUP])


@unittest.skipUnless(PATCHED_HEAT, 'needs a Heat with patches/ applied '
                                   '(tox -e heat-patched)')
class PatchedHeatTest(base.HeatResumeTestCase):
    def test_extension_points_are_used(self):
        self.assertTrue(extension.active())
        self.assertEqual(extension.DRIVER,
                         cfg.CONF.dependency_task_group_driver)
        self.assertIs(drop_in.ParallelTaskGroup,
                      heat_scheduler.get_task_group_class())

    def test_dependency_task_group_is_not_patched(self):
        self.assertIs(STOCK_GROUP, heat_scheduler.DependencyTaskGroup)
        self.assertNotIn(GROUP, seam._originals)

    def test_patches_without_an_extension_point_stay(self):
        self.assertIn((heat_stack.Stack, 'create'), seam._originals)

    def test_stacks_run_on_the_driver(self):
        original = operation.Operation.run_graph
        run = self.patchobject(operation.Operation, 'run_graph',
                               autospec=True, side_effect=original)
        stack = self.create(base.hot({
            'a': base.test_resource(),
            'b': base.test_resource(depends_on=['a'])}))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
        self.assertEqual(1, run.call_count)

    def test_disabled_selects_heats_own_group(self):
        cfg.CONF.set_override('enabled', False, 'heat_resume')
        seam.sync_conf()
        self.assertEqual('default', cfg.CONF.dependency_task_group_driver)
        self.assertIs(STOCK_GROUP, heat_scheduler.get_task_group_class())

    def test_uninstall_restores_heats_default(self):
        seam.uninstall()
        self.assertFalse(extension.active())
        self.assertEqual('default', cfg.CONF.dependency_task_group_driver)
        self.assertTrue(seam.install())
        self.assertEqual(extension.DRIVER,
                         cfg.CONF.dependency_task_group_driver)


class DecisionTest(base.HeatResumeTestCase):
    """The seam's choice, with the extension point faked on a stock Heat."""

    def setUp(self):
        super().setUp()
        seam.uninstall()
        if not PATCHED_HEAT:
            self.useFixture(config_fixture.Config(cfg.CONF)).register_opt(
                cfg.StrOpt(extension.TASK_GROUP_OPTION, default='default'))
            self.patchobject(heat_scheduler, 'dependency_task_group',
                             create=True, new=lambda *args, **kwargs: None)
        # runs before the option is unregistered
        self.addCleanup(seam.uninstall)
        self.registered = self.patchobject(extension, 'driver_registered',
                                           return_value=True)

    def option(self):
        return getattr(cfg.CONF, extension.TASK_GROUP_OPTION)

    def test_extension_point_replaces_the_patch(self):
        self.assertTrue(seam.install())
        self.assertTrue(extension.active())
        self.assertEqual(extension.DRIVER, self.option())
        self.assertIs(STOCK_GROUP, heat_scheduler.DependencyTaskGroup)
        self.assertNotIn(GROUP, seam._originals)
        self.assertIn((heat_stack.Stack, 'create'), seam._originals)

    def test_disabled_keeps_heats_default(self):
        cfg.CONF.set_override('enabled', False, 'heat_resume')
        self.assertTrue(seam.install())
        self.assertEqual('default', self.option())
        cfg.CONF.set_override('enabled', True, 'heat_resume')
        seam.sync_conf()
        self.assertEqual(extension.DRIVER, self.option())

    def test_uninstall_clears_the_default(self):
        self.assertTrue(seam.install())
        seam.uninstall()
        self.assertFalse(extension.active())
        self.assertEqual('default', self.option())

    def test_operators_choice_wins_and_is_logged(self):
        cfg.CONF.set_override(extension.TASK_GROUP_OPTION, 'other')
        self.assertTrue(seam.install())
        self.assertEqual('other', self.option())
        self.assertIn('heat_resume is enabled but Heat runs stacks with '
                      'that task group', self.LOG.output)

    def test_unregistered_driver_falls_back_to_the_seam(self):
        self.registered.return_value = False
        self.assertTrue(seam.install())
        self.assertFalse(extension.active())
        self.assertEqual('default', self.option())
        self.assertIs(drop_in.ParallelTaskGroup,
                      heat_scheduler.DependencyTaskGroup)
        self.assertIn('entry point is not installed', self.LOG.output)

    def test_incompatible_heat_uses_neither(self):
        self.patchobject(
            heat_internals, 'check_shape',
            side_effect=heat_internals.IncompatibleHeat('other shape'))
        self.assertFalse(seam.install())
        self.assertFalse(extension.active())
        self.assertEqual('default', self.option())
