from oslo_config import cfg
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


class SizingTest(testtools.TestCase):
    def conf(self, **database):
        from oslo_db import options as db_options
        opts = cfg.ConfigOpts()
        conf.register_opts(opts)
        db_options.set_defaults(opts)
        opts([], default_config_files=[])
        for name, value in database.items():
            opts.set_override(name, value, 'database')
        return opts

    def test_a_pool_below_the_concurrency_is_named(self):
        warnings = conf.sizing_warnings(self.conf(max_pool_size=5))
        self.assertEqual(1, len(warnings))
        self.assertIn('max_pool_size = 5 is below [heat_resume] '
                      'max_concurrency = 16', warnings[0])

    def test_a_pool_that_fits_is_quiet(self):
        self.assertEqual([], conf.sizing_warnings(self.conf(
            max_pool_size=20)))

    def test_connection_bound_counts_heats_overflow_raise(self):
        opts = self.conf(max_pool_size=20, max_overflow=10)
        opts.register_opt(cfg.IntOpt('executor_thread_pool_size',
                                     default=64))
        # Heat raises max_overflow to the executor's 64 threads
        self.assertEqual(84, conf.connection_bound(opts))
        opts.set_override('max_overflow', 100, 'database')
        self.assertEqual(120, conf.connection_bound(opts))

    def test_connection_bound_without_an_executor_option(self):
        self.assertEqual(30, conf.connection_bound(self.conf(
            max_pool_size=20, max_overflow=10)))
