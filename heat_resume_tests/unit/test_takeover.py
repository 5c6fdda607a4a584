"""An engine starting up resumes what a dead engine left IN_PROGRESS."""

import time

import fixtures
from oslo_config import cfg

from heat.common import service_utils
from heat.engine import service as heat_service
from heat.objects import stack as stack_object
from heat.objects import stack_lock as stack_lock_object

from heat_resume import engine_identity
from heat_resume import progress
from heat_resume import takeover
from heat_resume_tests.unit import base
from heat_resume_tests.unit import staging


class FakeEngine(object):
    """What the wrapped reset_stack_status uses of an EngineService."""

    def __init__(self, engine_id):
        self.engine_id = engine_id
        engine_identity.set_engine_id(engine_id)
        self.thread_group_mgr = heat_service.ThreadGroupManager()


class TakeoverTest(staging.StagingMixin, base.HeatResumeTestCase):
    def setUp(self):
        super().setUp()
        # no Keystone here: act as a noauth deployment does
        cfg.CONF.set_override('flavor', 'noauth', 'paste_deploy')
        self.ctx = base.utils.dummy_context()
        self.stack_id = self.stage_create(self.four(wait=1), done=['a'],
                                          returned=['b', 'c'])
        stack_lock_object.StackLock.create(self.ctx, self.stack_id,
                                           'engine-that-died')
        self.alive = self.patchobject(service_utils, 'engine_alive',
                                      return_value=False)
        self.calls[:] = []

    def wait_for_stack(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = stack_object.Stack.get_by_id(self.ctx, self.stack_id)
            if row.status != 'IN_PROGRESS' and stack_lock_object.StackLock\
                    .get_engine_id(self.ctx, self.stack_id) is None:
                return row
            time.sleep(0.1)
        self.fail('stack still IN_PROGRESS after %ss' % timeout)

    def test_engine_start_resumes_instead_of_failing(self):
        engine = FakeEngine('engine-new')
        heat_service.EngineService.reset_stack_status(engine)
        row = self.wait_for_stack()
        self.assertEqual(('CREATE', 'COMPLETE'), (row.action, row.status),
                         row.status_reason)
        self.assertEqual(['d'], self.calls)
        self.assertEqual((None, None),
                         progress.load_operation(self.ctx, self.stack_id))

    def test_resume_on_demand(self):
        engine = FakeEngine('engine-new')
        self.assertTrue(takeover.resume_stack(self.stack_id, 'engine-new',
                                              engine.thread_group_mgr))
        row = self.wait_for_stack()
        self.assertEqual(('CREATE', 'COMPLETE'), (row.action, row.status))
        self.assertEqual(['d'], self.calls)

    def test_live_owner_keeps_its_stack(self):
        self.alive.return_value = True
        engine = FakeEngine('engine-new')
        self.assertFalse(takeover.resume_stack(self.stack_id, 'engine-new',
                                               engine.thread_group_mgr))
        self.assertEqual('engine-that-died', stack_lock_object.StackLock
                         .get_engine_id(self.ctx, self.stack_id))
        row = stack_object.Stack.get_by_id(self.ctx, self.stack_id)
        self.assertEqual('IN_PROGRESS', row.status)

    def test_stacks_without_an_operation_record_are_left_to_heat(self):
        progress.delete_operation(self.ctx, self.stack_id)
        engine = FakeEngine('engine-new')
        heat_service.EngineService.reset_stack_status(engine)
        row = self.wait_for_stack()
        self.assertEqual(('CREATE', 'FAILED'), (row.action, row.status))
        self.assertIn('Engine went down during stack CREATE',
                      row.status_reason)
        self.assertEqual([], self.calls)

    def test_disabled_plugin_leaves_heat_stock(self):
        cfg.CONF.set_override('enabled', False, 'heat_resume')
        engine = FakeEngine('engine-new')
        heat_service.EngineService.reset_stack_status(engine)
        row = self.wait_for_stack()
        self.assertEqual('FAILED', row.status)


class CommandTest(staging.StagingMixin, base.HeatResumeTestCase):
    def test_status_lists_operations_in_flight(self):
        from heat_resume.cmd import manage
        stack_id = self.stage_create(self.four(), done=['a'],
                                     returned=['b'])
        out = self.useFixture(fixtures.StringStream('stdout'))
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out.stream))
        self.assertEqual(0, manage.do_status(stack_id))
        out.stream.flush()
        text = out.getDetails()['stdout'].as_text()
        self.assertIn('stack %s: CREATE by engine engine-that-died'
                      % stack_id, text)
        self.assertRegex(text, r'\bb\s+CREATE\s+IN_PROGRESS\s+'
                               r'handler_returned')
