# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The devstack plugin (devstack/), run under stand-ins for devstack.

devstack cannot run in a unit test: each test sources devstack/settings
and devstack/plugin.sh as stack.sh would (errexit and xtrace on), under
devstack_stubs.sh, in a temporary root. The heat.conf and tempest.conf it
writes are read back with oslo.config against the real options, so a
wrong name or value fails here and not in a devstack job.
"""

import collections
import os
import socket
import socketserver
import subprocess
import threading

import fixtures
from oslo_config import cfg
import testtools

from heat.common import config as heat_config

from heat_resume import conf as heat_resume_conf
from heat_resume_tests.tempest import config as tempest_config

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
STUBS = os.path.join(HERE, 'devstack_stubs.sh')

# What stack.sh does around a plugin: its settings, then its plugin.sh
# with the mode and phase.
SCRIPT = '''set -o errexit -o xtrace
source "$STUB_FILE"
source "$TOP/devstack/settings"
source "$TOP/devstack/plugin.sh" "$@"
'''

# Debian's zoo.cfg, less comments.
ZOO_CFG = '''tickTime=2000
initLimit=10
syncLimit=5
dataDir={data}
clientPort=2181
'''

SECRET = 's3cr3t:pw'

# What devstack/settings calls, before any phase.
SETTINGS_CALLS = ['define_plugin heat_resume',
                  'plugin_requires heat_resume heat']

Run = collections.namedtuple('Run', 'rc stdout stderr calls')


class FakeZooKeeper(fixtures.Fixture):
    """Answers ``ruok`` as a ZooKeeper server does; records the words."""

    def _setUp(self):
        self.words = []
        words = self.words

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                word = b''
                while len(word) < 4:
                    chunk = self.request.recv(4 - len(word))
                    if not chunk:
                        break
                    word += chunk
                words.append(word.decode())
                if word == b'ruok':
                    self.request.sendall(b'imok')

        server = socketserver.ThreadingTCPServer(('127.0.0.1', 0), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)


def free_port():
    """A port nothing listens on (closed right after binding)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class DevstackPluginTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = os.path.realpath(
            self.useFixture(fixtures.TempDir()).path)
        self.dest = self.path('opt/stack')
        self.heat_conf = self.path('etc/heat/heat.conf')
        self.tempest_conf = self.path('opt/stack/tempest/etc/tempest.conf')
        self.zoo_cfg = self.path('etc/zookeeper/conf/zoo.cfg')
        self.zk_data = self.path('var/lib/zookeeper')
        self.systemd = self.path('etc/systemd/system')
        self.dropin = os.path.join(
            self.systemd, 'devstack@h-eng.service.d', 'heat_resume.conf')
        self.ledger = self.path('opt/stack/data/heat_resume/ledger.jsonl')
        self.log = self.path('calls.log')
        for d in (self.dest, self.zk_data, self.systemd,
                  os.path.dirname(self.tempest_conf)):
            os.makedirs(d, exist_ok=True)
        self.write(self.heat_conf,
                   '[DEFAULT]\ndebug = True\n\n[database]\n'
                   'connection = mysql+pymysql://heat@127.0.0.1/heat\n')
        self.write(self.zoo_cfg, ZOO_CFG.format(data=self.zk_data))
        # Only what devstack would define: nothing of the caller's
        # environment (HEAT_RESUME_* of tox -e functional) leaks in.
        self.env = {
            'PATH': os.environ['PATH'],
            'LANG': 'C.UTF-8',
            'HOME': self.root,
            'STUB_FILE': STUBS,
            'STUB_LOG': self.log,
            'STUB_ROOT': self.root,
            'TOP': TOP,
            'DEST': self.dest,
            'DATA_DIR': self.path('opt/stack/data'),
            'SERVICE_HOST': '192.0.2.10',
            'HEAT_RESUME_ZOOKEEPER_WAIT': '10',
            'SYSTEMD_DIR': self.systemd,
            'HEAT_CONF': self.heat_conf,
            'TEMPEST_CONFIG': self.tempest_conf,
            'HEAT_RESUME_ZOOKEEPER_CONF': self.zoo_cfg,
            'DEVSTACK_PLUGINS': ',heat,heat_resume',
            'ENABLED_SERVICES': 'key,mysql,rabbit,h-eng,h-api,tempest',
        }

    def path(self, relative):
        return os.path.join(self.root, relative)

    @staticmethod
    def write(path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def run_plugin(self, *args, rc=0, **settings):
        """Source settings and plugin.sh with args; check the exit code.

        ``calls`` are the recorded calls of plugin.sh, after settings'.
        """
        open(self.log, 'w').close()
        proc = subprocess.run(
            ['bash', '-c', SCRIPT, 'stack.sh'] + list(args),
            env=dict(self.env, **settings), cwd=self.root,
            capture_output=True, text=True, timeout=120)
        self.assertEqual(rc, proc.returncode, proc.stderr[-3000:])
        calls = self.read(self.log).splitlines()
        self.assertEqual(SETTINGS_CALLS, calls[:2])
        return Run(proc.returncode, proc.stdout, proc.stderr, calls[2:])

    def parsed_heat_conf(self):
        """heat.conf as heat-engine with heat_resume reads it."""
        conf = cfg.ConfigOpts()
        heat_resume_conf.register_opts(conf)
        conf.register_opts([o for o in heat_config.engine_opts
                            if o.name in ('plugin_dirs',
                                          'convergence_engine')])
        conf([], project='heat', default_config_files=[self.heat_conf])
        return conf

    def parsed_tempest_conf(self):
        conf = cfg.ConfigOpts()
        conf.register_group(tempest_config.group)
        conf.register_opts(tempest_config.opts, group=tempest_config.group)
        conf([], project='tempest', default_config_files=[self.tempest_conf])
        return conf.heat_resume

    def resources_dir(self):
        return os.path.join(self.dest, 'heat_resume', 'heat_resume_tests',
                            'resources')

    # settings

    def test_pre_install_with_heat_enabled_first_passes(self):
        run = self.run_plugin('stack', 'pre-install')
        self.assertEqual([], run.calls)

    def test_plugin_enabled_before_heat_fails_early(self):
        run = self.run_plugin('stack', 'pre-install', rc=1,
                              DEVSTACK_PLUGINS=',heat_resume,heat')
        self.assertIn("after 'enable_plugin heat", run.stderr)

    def test_disabled_service_does_nothing(self):
        before = self.read(self.heat_conf)
        for args in (('stack', 'install'), ('stack', 'post-config'),
                     ('stack', 'extra'), ('unstack',), ('clean',)):
            run = self.run_plugin(*args, DISABLED_SERVICES='heat-resume')
            self.assertEqual([], run.calls)
        self.assertEqual(before, self.read(self.heat_conf))

    # install

    def test_install_local_zookeeper_and_the_plugin(self):
        run = self.run_plugin('stack', 'install')
        self.assertIn('install_package zookeeper zookeeperd', run.calls)
        self.assertIn('setup_develop %s/heat_resume' % self.dest, run.calls)

    def test_install_with_external_zookeeper_installs_none(self):
        run = self.run_plugin(
            'stack', 'install',
            HEAT_RESUME_ZOOKEEPER_HOSTS='zk1.example.org:2181')
        self.assertEqual([], [c for c in run.calls
                              if c.startswith('install_package')])
        self.assertIn('setup_develop %s/heat_resume' % self.dest, run.calls)

    def test_install_on_rpm_distro_needs_an_external_zookeeper(self):
        run = self.run_plugin('stack', 'install', rc=1, STUB_OS='fedora')
        self.assertIn('HEAT_RESUME_ZOOKEEPER_HOSTS', run.stderr)
        self.assertNotIn('install_package zookeeper zookeeperd', run.calls)
        run = self.run_plugin(
            'stack', 'install', STUB_OS='fedora',
            HEAT_RESUME_ZOOKEEPER_HOSTS='zk1.example.org:2181')
        self.assertIn('setup_develop %s/heat_resume' % self.dest, run.calls)

    # post-config

    def test_post_config_defaults(self):
        self.run_plugin('stack', 'post-config')
        conf = self.parsed_heat_conf()
        opts = conf.heat_resume
        self.assertTrue(opts.enabled)
        self.assertFalse(conf.convergence_engine)
        self.assertEqual(['192.0.2.10:2181'], opts.zookeeper_hosts)
        self.assertEqual(10.0, opts.zookeeper_session_timeout)
        self.assertEqual('fail', opts.in_progress_policy)
        self.assertNotIn('in_progress_policy', self.read(self.heat_conf))
        self.assertIsNone(opts.zookeeper_username)
        self.assertIsNone(opts.zookeeper_password)
        self.assertNotIn('plugin_dirs', self.read(self.heat_conf))
        self.assertFalse(os.path.exists(self.dropin))
        # heat.conf's other options are kept
        text = self.read(self.heat_conf)
        self.assertIn('debug = True', text)
        self.assertIn('connection = mysql+pymysql', text)

    def test_post_config_settings(self):
        self.run_plugin('stack', 'post-config',
                        HEAT_RESUME_SESSION_TIMEOUT='4',
                        HEAT_RESUME_IN_PROGRESS_POLICY='retry',
                        HEAT_RESUME_ZOOKEEPER_PORT='2281')
        opts = self.parsed_heat_conf().heat_resume
        self.assertEqual(4.0, opts.zookeeper_session_timeout)
        self.assertEqual('retry', opts.in_progress_policy)
        self.assertEqual(['192.0.2.10:2281'], opts.zookeeper_hosts)
        self.assertIn('clientPort=2281\n', self.read(self.zoo_cfg))

    def test_post_config_refuses_an_unknown_policy(self):
        run = self.run_plugin('stack', 'post-config', rc=1,
                              HEAT_RESUME_IN_PROGRESS_POLICY='ignore')
        self.assertIn('must be fail or retry', run.stderr)

    def test_post_config_lets_the_local_zookeeper_answer_ruok(self):
        self.run_plugin('stack', 'post-config')
        self.assertIn('4lw.commands.whitelist=srvr,ruok\n',
                      self.read(self.zoo_cfg))
        self.write(self.zoo_cfg, ZOO_CFG.format(data=self.zk_data)
                   + '4lw.commands.whitelist=srvr,stat\n')
        self.run_plugin('stack', 'post-config')
        self.run_plugin('stack', 'post-config')
        cfg_text = self.read(self.zoo_cfg)
        self.assertIn('4lw.commands.whitelist=srvr,stat,ruok\n', cfg_text)
        self.assertEqual(1, cfg_text.count('4lw.commands.whitelist'))
        self.assertEqual(1, cfg_text.count('clientPort'))

    def test_post_config_external_zookeeper(self):
        hosts = 'zk1.example.org:2181,zk2.example.org:2181'
        run = self.run_plugin('stack', 'post-config',
                              HEAT_RESUME_ZOOKEEPER_HOSTS=hosts)
        self.assertEqual(hosts.split(','),
                         self.parsed_heat_conf().heat_resume.zookeeper_hosts)
        self.assertEqual(ZOO_CFG.format(data=self.zk_data),
                         self.read(self.zoo_cfg))
        self.assertEqual([], [c for c in run.calls if 'zoo.cfg' in c])

    def test_credentials_are_written_but_never_shown(self):
        run = self.run_plugin('stack', 'post-config',
                              HEAT_RESUME_ZOOKEEPER_AUTH='heat:' + SECRET)
        opts = self.parsed_heat_conf().heat_resume
        self.assertEqual('heat', opts.zookeeper_username)
        self.assertEqual(SECRET, opts.zookeeper_password)
        # the trace was on before and after the credentials
        self.assertIn('+ iniset %s heat_resume enabled True'
                      % self.heat_conf, run.stderr)
        self.assertIn('+ configure_heat_resume_zookeeper', run.stderr)
        for text in (run.stdout, run.stderr, '\n'.join(run.calls)):
            self.assertNotIn(SECRET, text)

    def test_malformed_credentials_fail_without_showing_them(self):
        run = self.run_plugin('stack', 'post-config', rc=1,
                              HEAT_RESUME_ZOOKEEPER_AUTH='noseparator')
        self.assertIn('must be user:password', run.stderr)
        for text in (run.stdout, run.stderr, '\n'.join(run.calls)):
            self.assertNotIn('noseparator', text)

    def test_test_resource_keeps_heat_default_plugin_dirs(self):
        self.run_plugin('stack', 'post-config',
                        HEAT_RESUME_ENABLE_TEST_RESOURCE='True')
        [default] = [o.default for o in heat_config.engine_opts
                     if o.name == 'plugin_dirs']
        self.assertEqual(default + [self.resources_dir()],
                         self.parsed_heat_conf().plugin_dirs)

    def test_test_resource_is_added_to_plugin_dirs_once(self):
        with open(self.heat_conf, 'a') as f:
            f.write('\n[DEFAULT]\nplugin_dirs = /opt/mine, /opt/theirs\n')
        for _ in range(2):
            self.run_plugin('stack', 'post-config',
                            HEAT_RESUME_ENABLE_TEST_RESOURCE='True')
        self.assertEqual(['/opt/mine', '/opt/theirs', self.resources_dir()],
                         self.parsed_heat_conf().plugin_dirs)

    def test_test_resource_gives_the_engine_its_ledger(self):
        run = self.run_plugin('stack', 'post-config',
                              HEAT_RESUME_ENABLE_TEST_RESOURCE='True')
        self.assertIn('iniset -sudo %s Service Environment' % self.dropin,
                      run.calls)
        self.assertEqual(
            '[Service]\nEnvironment = HEAT_RESUME_LEDGER=%s\n' % self.ledger,
            self.read(self.dropin).strip() + '\n')
        self.assertTrue(os.path.isdir(os.path.dirname(self.ledger)))

    # extra

    def test_extra_starts_zookeeper_then_restarts_the_engine(self):
        zk = self.useFixture(FakeZooKeeper())
        run = self.run_plugin('stack', 'extra', SERVICE_HOST='127.0.0.1',
                              HEAT_RESUME_ZOOKEEPER_PORT=str(zk.port))
        self.assertIn('ruok', zk.words)
        self.assertEqual(['restart_service zookeeper',
                          'sudo systemctl daemon-reload',
                          'restart_service devstack@h-eng'], run.calls)

    def test_extra_fails_when_zookeeper_does_not_answer(self):
        run = self.run_plugin('stack', 'extra', rc=1,
                              SERVICE_HOST='127.0.0.1',
                              HEAT_RESUME_ZOOKEEPER_PORT=str(free_port()),
                              HEAT_RESUME_ZOOKEEPER_WAIT='1')
        self.assertIn('did not answer ruok within 1s', run.stderr)
        self.assertNotIn('restart_service devstack@h-eng', run.calls)

    def test_extra_with_external_zookeeper_only_restarts_the_engine(self):
        run = self.run_plugin(
            'stack', 'extra',
            HEAT_RESUME_ZOOKEEPER_HOSTS='zk1.example.org:2181')
        self.assertEqual(['sudo systemctl daemon-reload',
                          'restart_service devstack@h-eng'], run.calls)

    def test_extra_without_heat_engine_restarts_none(self):
        zk = self.useFixture(FakeZooKeeper())
        run = self.run_plugin('stack', 'extra', SERVICE_HOST='127.0.0.1',
                              HEAT_RESUME_ZOOKEEPER_PORT=str(zk.port),
                              ENABLED_SERVICES='h-api')
        self.assertEqual(['restart_service zookeeper'], run.calls)

    # test-config

    def test_test_config_writes_tempest_conf(self):
        self.run_plugin('stack', 'test-config',
                        HEAT_RESUME_ENABLE_TEST_RESOURCE='True',
                        HEAT_RESUME_BUILD_TIMEOUT='600')
        opts = self.parsed_tempest_conf()
        self.assertEqual(self.ledger, opts.ledger_path)
        self.assertEqual(600, opts.build_timeout)
        self.assertIsNone(opts.heat_url)

    def test_test_config_without_test_resource_says_so(self):
        run = self.run_plugin('stack', 'test-config')
        opts = self.parsed_tempest_conf()
        self.assertEqual(300, opts.build_timeout)
        self.assertNotIn('ledger_path', self.read(self.tempest_conf))
        self.assertIn('need HeatResume::Test::Ledger', run.stdout)

    def test_test_config_without_tempest_writes_nothing(self):
        self.run_plugin('stack', 'test-config', ENABLED_SERVICES='h-eng')
        self.assertFalse(os.path.exists(self.tempest_conf))

    # unstack, clean

    def test_unstack_stops_the_local_zookeeper(self):
        run = self.run_plugin('unstack')
        self.assertEqual(['stop_service zookeeper'], run.calls)
        run = self.run_plugin('unstack', STUB_STOP_SERVICE_RC='5')
        self.assertEqual(['stop_service zookeeper'], run.calls)

    def test_unstack_leaves_an_external_zookeeper_alone(self):
        run = self.run_plugin(
            'unstack', HEAT_RESUME_ZOOKEEPER_HOSTS='zk1.example.org:2181')
        self.assertEqual([], run.calls)

    def test_clean_removes_zookeeper_data_dropin_and_ledger(self):
        self.run_plugin('stack', 'post-config',
                        HEAT_RESUME_ENABLE_TEST_RESOURCE='True')
        self.write(os.path.join(self.zk_data, 'version-2', 'log.1'), 'x')
        self.write(os.path.join(self.zk_data, 'myid'), '1\n')
        self.write(self.ledger, '{}\n')
        self.run_plugin('clean')
        self.assertEqual(['myid'], os.listdir(self.zk_data))
        self.assertFalse(os.path.exists(os.path.dirname(self.dropin)))
        self.assertFalse(os.path.exists(self.ledger))

    def test_clean_leaves_an_external_zookeeper_alone(self):
        self.write(os.path.join(self.zk_data, 'version-2', 'log.1'), 'x')
        self.run_plugin('clean',
                        HEAT_RESUME_ZOOKEEPER_HOSTS='zk1.example.org:2181')
        self.assertEqual(['version-2'], os.listdir(self.zk_data))
