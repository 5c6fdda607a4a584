import testtools

from heat_resume import conf


class ConfTest(testtools.TestCase):
    def test_every_option_is_listed_for_the_generator(self):
        [(group, opts)] = conf.list_opts()
        self.assertEqual('heat_resume', group)
        names = {o.name for o in opts}
        self.assertLessEqual({'enabled', 'max_concurrency',
                              'poll_interval_min', 'poll_interval_max',
                              'poll_backoff_factor', 'in_progress_policy',
                              'zookeeper_hosts', 'zookeeper_password',
                              'max_takeovers'}, names)
        self.assertEqual(len(conf.ALL_OPTS), len(opts))
        for opt in opts:
            self.assertGreater(len(opt.help), 30, opt.name)

    def test_credentials_are_secret(self):
        opts = {o.name: o for o in conf.ALL_OPTS}
        self.assertTrue(opts['zookeeper_password'].secret)

    def test_listed_options_are_copies(self):
        [(_, first)] = conf.list_opts()
        [(_, second)] = conf.list_opts()
        self.assertIsNot(first[0], second[0])
        self.assertIsNot(first[0], conf.heat_resume_opts[0])

    def test_defaults_are_off_and_safe(self):
        opts = {o.name: o for o in conf.heat_resume_opts}
        self.assertFalse(opts['enabled'].default)
        self.assertEqual('fail', opts['in_progress_policy'].default)
