"""resume_rules: what a resume does, from records alone (no Heat)."""

import testtools

from heat_resume import resume_rules as rules


class DecideTest(testtools.TestCase):
    def decide(self, res_action, res_status, phase=None, saved=True,
               action='CREATE', policy='fail'):
        record = phase and {'action': res_action, 'phase': phase,
                            'cookie_saved': saved}
        return rules.decide(action, res_action, res_status, record, policy)

    def test_not_started_runs(self):
        self.assertEqual(rules.RUN, self.decide('INIT', 'COMPLETE'))

    def test_done_is_skipped(self):
        self.assertEqual(rules.SKIP,
                         self.decide('CREATE', 'COMPLETE', 'complete'))

    def test_returned_handler_is_polled(self):
        self.assertEqual(rules.POLL, self.decide(
            'CREATE', 'IN_PROGRESS', 'handler_returned'))

    def test_unsaved_cookie_follows_policy(self):
        self.assertEqual(rules.FAIL, self.decide(
            'CREATE', 'IN_PROGRESS', 'handler_returned', saved=False))
        self.assertEqual(rules.RETRY, self.decide(
            'CREATE', 'IN_PROGRESS', 'handler_started', policy='retry'))

    def test_caught_in_handler_fails_by_default(self):
        self.assertEqual(rules.FAIL, self.decide(
            'CREATE', 'IN_PROGRESS', 'handler_started'))

    def test_lost_state_write_is_finished(self):
        self.assertEqual(rules.FINISH,
                         self.decide('CREATE', 'IN_PROGRESS', 'complete'))

    def test_delete_always_runs_again(self):
        self.assertEqual(rules.RUN, self.decide(
            'DELETE', 'IN_PROGRESS', 'handler_started', action='DELETE'))
        self.assertEqual(rules.RUN, self.decide(
            'DELETE', 'COMPLETE', 'complete', action='DELETE'))

    def test_failed_resource_runs_again(self):
        self.assertEqual(rules.RUN, self.decide('CREATE', 'FAILED',
                                                'failed'))

    def test_record_of_another_action_is_not_polled(self):
        record = {'action': 'UPDATE', 'phase': 'handler_returned',
                  'cookie_saved': True}
        self.assertEqual(rules.FAIL, rules.decide(
            'CREATE', 'CREATE', 'IN_PROGRESS', record, 'fail'))


class PollableTest(testtools.TestCase):
    def test_needs_the_action_the_phase_and_a_saved_cookie(self):
        record = {'action': 'CREATE', 'phase': rules.RETURNED,
                  'cookie_saved': True}
        self.assertTrue(rules.pollable(record, 'CREATE'))
        self.assertFalse(rules.pollable(record, 'UPDATE'))
        self.assertFalse(rules.pollable(dict(record, cookie_saved=False),
                                        'CREATE'))
        self.assertFalse(rules.pollable(dict(record, phase=rules.STARTED),
                                        'CREATE'))
        self.assertFalse(rules.pollable(None, 'CREATE'))


class ResumableTest(testtools.TestCase):
    def test_update_needs_its_target_template(self):
        record = {'op': 'UPDATE'}
        self.assertFalse(rules.resumable('UPDATE', 'UPDATE', None, record))
        self.assertTrue(rules.resumable('UPDATE', 'UPDATE', 7, record))

    def test_rollback_of_a_create_or_update_only(self):
        for op, expected in (('CREATE', True), ('UPDATE', True),
                             ('CHECK', False), ('DELETE', False)):
            self.assertEqual(expected, rules.resumable(
                'ROLLBACK', op, None, {'op': op}), op)

    def test_a_finished_operation_always_resumes(self):
        record = {'op': 'SNAPSHOT', 'final': ['SNAPSHOT', 'COMPLETE', '']}
        self.assertTrue(rules.resumable('SNAPSHOT', 'SNAPSHOT', None,
                                        record))

    def test_other_actions(self):
        for action in rules.RESUMABLE:
            if action != 'UPDATE':
                self.assertTrue(rules.resumable(action, action, None, {}))
        self.assertFalse(rules.resumable('SNAPSHOT', 'SNAPSHOT', None, {}))


class ResourceActionTest(testtools.TestCase):
    def test_rollback_of_a_create_deletes(self):
        self.assertEqual('DELETE', rules.resource_action('ROLLBACK',
                                                         'CREATE'))

    def test_rollback_of_an_update_updates_back(self):
        self.assertEqual('ROLLBACK', rules.resource_action('ROLLBACK',
                                                           'UPDATE'))

    def test_other_actions_are_themselves(self):
        self.assertEqual('CREATE', rules.resource_action('CREATE',
                                                         'CREATE'))


class MayAdoptTest(testtools.TestCase):
    STARTED = {'action': 'CREATE', 'phase': 'handler_started'}

    def test_a_create_caught_in_its_handler_may_adopt_under_any_policy(self):
        for choice in (rules.RETRY, rules.FAIL):
            self.assertTrue(rules.may_adopt(choice, 'CREATE', self.STARTED))

    def test_no_record_does_not_adopt(self):
        # (no child found: test_resume, the policy decides)
        self.assertFalse(rules.may_adopt(rules.RETRY, 'CREATE', None))

    def test_only_creates_adopt(self):
        self.assertFalse(rules.may_adopt(
            rules.RETRY, 'UPDATE', dict(self.STARTED, action='UPDATE')))
        self.assertFalse(rules.may_adopt(rules.POLL, 'CREATE', self.STARTED))
