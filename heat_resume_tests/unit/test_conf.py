import subprocess
import sys

import fixtures
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


class ValidateTest(testtools.TestCase):
    """Bad [heat_resume] values stop the engine with one clear line."""

    def conf_with(self, text):
        path = self.useFixture(fixtures.TempDir()).join('heat.conf')
        with open(path, 'w') as f:
            f.write('[heat_resume]\n' + text + '\n')
        opts = cfg.ConfigOpts()
        conf.register_opts(opts)
        opts(['--config-file', path])
        return opts

    def test_good_values_pass(self):
        conf.validate(self.conf_with('max_concurrency = 8\n'
                                     'zookeeper_hosts = 127.0.0.1:2181'))

    def test_a_typo_is_named(self):
        error = self.assertRaises(conf.InvalidConfig, conf.validate,
                                  self.conf_with('max_concurrency = eight'))
        self.assertIn('[heat_resume] max_concurrency', str(error))
        self.assertNotIn('\n', str(error))

    def test_a_malformed_zookeeper_host_is_named(self):
        error = self.assertRaises(
            conf.InvalidConfig, conf.validate,
            self.conf_with('zookeeper_hosts = 127.0.0.1:2181,zk2:two'))
        self.assertIn("zookeeper_hosts: 'zk2:two' is not host:port",
                      str(error))

    def test_the_engine_stops_with_one_line(self):
        path = self.useFixture(fixtures.TempDir()).join('heat.conf')
        with open(path, 'w') as f:
            f.write('[heat_resume]\nin_progress_policy = sometimes\n')
        code = ('from oslo_config import cfg; '
                'from heat_resume import heat_internals; '
                'cfg.CONF(["--config-file", %r], project="heat"); '
                'import heat_resume.plugin' % path)
        proc = subprocess.run([sys.executable, '-c', code],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(1, proc.returncode, proc.stderr)
        last = proc.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith(
            'heat_resume: [heat_resume] in_progress_policy:'), last)
        self.assertNotIn('Traceback', proc.stderr)
