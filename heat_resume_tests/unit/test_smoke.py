from heat_resume_tests.unit import base


class SmokeTest(base.HeatResumeTestCase):
    def test_create(self):
        stack = self.create(base.hot({
            'a': base.test_resource(), 'b': base.test_resource(
                depends_on=['a'])}))
        self.assertEqual(('CREATE', 'COMPLETE'), stack.state,
                         stack.status_reason)
