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

"""Run a real Heat (heat-api + heat-engines) against MariaDB and RabbitMQ.

The functional tests need what unit tests cannot give: separate engine
processes that can be SIGKILLed mid-operation and restarted. ``HeatCluster``
starts them from the Heat installed next to the running interpreter (the
directory of ``sys.executable``), with Keystone replaced by the ``noauth``
paste flavor.

Isolation: every cluster gets its own database and its own RabbitMQ virtual
host (a private ``control_exchange`` alone is not enough: oslo.messaging names
topic queues after the topic only, so the ``engine`` queue would be shared by
every cluster on the broker and engines would pick up each other's RPC calls).

Every API call, reads included, is an RPC call to an engine: while no engine
runs, heatclient calls hang for rpc_response_timeout (60 s). Read the
database with ``HeatCluster.sql()`` instead.

Usage, from testtools::

    self.cluster = self.useFixture(harness.HeatCluster(engines=2))
    self.cluster.add_log_details(self)
    hc = self.cluster.client()

or from a plain script::

    with harness.HeatCluster(convergence_engine=False) as cluster:
        ...

Environment variables:

``HEAT_RESUME_KEEP_WORKDIR``
    when set (non-empty), the work dir (config, logs) is kept on cleanup.
``HEAT_RESUME_DB_URL``
    server URL without database, default
    ``mysql+pymysql://root:@127.0.0.1:3306``; PostgreSQL works too:
    ``postgresql+psycopg2://postgres@127.0.0.1:5432``.
``HEAT_RESUME_RABBIT_URL``
    broker URL without virtual host, default
    ``rabbit://guest:guest@127.0.0.1:5672``.
``HEAT_RESUME_RABBITMQCTL``
    the ``rabbitmqctl`` used to add and delete the virtual host; set it to
    an empty string to share the default vhost (clusters must then not run
    concurrently).
"""

import collections
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import fixtures
from heatclient import client as heat_client
from heatclient import exc as heat_exc
from testtools import content

from heat_resume_tests import ledger
from heat_resume_tests import services

DEFAULT_DB_URL = 'mysql+pymysql://root:@127.0.0.1:3306'
DEFAULT_RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672'
RESOURCES_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'resources')
# resources/bench_probe.py counts into this directory when it is set
BENCH_ENV = 'HEAT_RESUME_BENCH_DIR'


def plugin_config(zk_hosts, session_timeout, sweep_interval=None,
                  retry=True):
    """heat.conf's ``[heat_resume]`` for a ZooKeeper-backed cluster."""
    section = {'enabled': 'true', 'zookeeper_hosts': zk_hosts,
               'zookeeper_session_timeout': str(session_timeout)}
    if retry:
        section['in_progress_policy'] = 'retry'
    if sweep_interval is not None:
        section['takeover_sweep_interval'] = str(sweep_interval)
    return {'heat_resume': section}


class ClusterError(Exception):
    """A Heat process did not start, stop or answer as expected."""


def _group_members(pgid):
    """Return the pids of the live (non-zombie) processes in a group.

    ``Popen.wait()`` only covers the engine's master process; its forked
    worker is reparented on the master's death and may linger as a zombie
    if nobody reaps it, so we read /proc instead of using ``kill(pid, 0)``.
    """
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after "(comm)": state ppid pgrp ...
        fields = stat[stat.rindex(')') + 2:].split()
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


def _proc_cpu_seconds(pid):
    """utime + stime of a process, in seconds; 0 once it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return 0.0
    # fields after "(comm)" start at field 3 (state); utime, stime: 14, 15
    fields = stat[stat.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _proc_peak_rss(pid):
    """VmHWM of a process, in bytes; 0 once it is gone."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _tail(path, lines=100):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError as e:
        return '<%s>' % e


def _write_conf(path, sections):
    with open(path, 'w') as f:
        for section, opts in sections.items():
            f.write('[%s]\n' % section)
            for key, value in opts.items():
                if isinstance(value, bool):
                    value = str(value).lower()
                f.write('%s = %s\n' % (key, value))
            f.write('\n')


class _Process(object):
    """A child started in its own session, so its process group is ours."""

    def __init__(self, name, argv, log_dir, cwd, env=None):
        self.name = name
        # stdout/stderr; Heat itself logs to <log_dir>/<name>.log
        self.log_path = os.path.join(log_dir, name + '.out')
        self.heat_log_path = os.path.join(log_dir, name + '.log')
        with open(self.log_path, 'ab') as log:
            self.popen = subprocess.Popen(
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.pgid = self.popen.pid

    def exited_error(self):
        return ClusterError('%s exited with %s:\n%s%s' % (
            self.name, self.popen.returncode, _tail(self.log_path, 20),
            _tail(self.heat_log_path, 20)))

    def running(self):
        return self.popen.poll() is None

    def members(self):
        return _group_members(self.pgid)

    def signal(self, sig):
        try:
            os.killpg(self.pgid, sig)
        except ProcessLookupError:
            pass

    def wait_gone(self, timeout):
        """Wait until every process of the group has exited."""
        deadline = time.monotonic() + timeout
        while True:
            self.popen.poll()  # reap the leader, else it stays a zombie
            if not self.members():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


class HeatCluster(fixtures.Fixture):
    """One heat-api and N heat-engines with a private database and vhost.

    :param engines: number of engines started by setUp, named ``engine-1``
        .. ``engine-N`` (their ``[DEFAULT] host``).
    :param convergence_engine: value of ``[DEFAULT] convergence_engine``;
        ``False`` selects the legacy path heat_resume works on.
    :param config: extra options, ``{section: {option: value}}``, merged
        over the defaults, e.g. ``{'heat_resume': {'enabled': 'true'}}``.
    :param startup_timeout: seconds to wait for each process to answer.
    :param stop_grace: seconds between SIGTERM and SIGKILL on cleanup.
    :param db_url: database server URL without database (MariaDB or
        PostgreSQL, see heat_resume_tests.services); default
        $HEAT_RESUME_DB_URL or the local MariaDB.
    :param rabbit: a services.RabbitMQServer to use instead of the
        machine's broker.
    :param bench_dir: a directory where the engines' bench probe
        (resources/bench_probe.py) writes their SQL and ZooKeeper counts;
        read them with probe_counts().
    """

    def __init__(self, engines=1, convergence_engine=True, config=None,
                 startup_timeout=90, stop_grace=3, db_url=None, rabbit=None,
                 bench_dir=None):
        super(HeatCluster, self).__init__()
        self.bench_dir = bench_dir
        self.db_server_url = db_url
        self.rabbit = rabbit
        self.engine_count = engines
        self.convergence_engine = convergence_engine
        self.extra_config = config or {}
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.bin_dir = os.path.dirname(os.path.abspath(sys.executable))
        self.name = 'hr_%s' % secrets.token_hex(6)
        self.engines = {}
        self.current_engine_ids = {}
        self._known_engine_ids = {}
        self.api = None
        self.api_port = None
        self.workdir = None
        self._client = None

    # -- setup -------------------------------------------------------------

    def _setUp(self):
        t0 = time.monotonic()
        self.timings = {}
        self.workdir = tempfile.mkdtemp(prefix='heat_resume_', dir='/tmp')
        self.log_dir = os.path.join(self.workdir, 'logs')
        os.mkdir(self.log_dir)
        self.addCleanup(self._remove_workdir)

        self._create_database()
        self._create_vhost()
        self.conf_file = os.path.join(self.workdir, 'heat.conf')
        self.ledger_path = os.path.join(self.workdir, 'ledger.jsonl')
        _write_conf(self.conf_file, self._config())

        self._mark('setup', t0)
        t1 = time.monotonic()
        sync = subprocess.run(
            [self._bin('heat-manage'), '--config-file', self.conf_file,
             'db_sync'],
            cwd=self.workdir, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if sync.returncode:
            raise ClusterError('heat-manage db_sync failed:\n%s'
                               % sync.stdout[-3000:])
        self._mark('db_sync', t1)

        # Processes are stopped before the database and vhost go away.
        self.addCleanup(self._stop_all)
        t2 = time.monotonic()
        self._start_api()
        for n in range(1, self.engine_count + 1):
            self.start_engine(n, wait=False)
        self._wait_api()
        self._mark('api_up', t2)
        for n in range(1, self.engine_count + 1):
            self.wait_engine_up(n)
        self._mark('engines_up', t2)
        if self.engine_count:
            self._check_api()

    def _mark(self, name, since):
        self.timings[name] = round(time.monotonic() - since, 2)

    def _bin(self, name):
        return os.path.join(self.bin_dir, name)

    def _config(self):
        etc = os.path.join(os.path.dirname(self.bin_dir), 'etc', 'heat')
        if not os.path.isdir(etc):
            etc = '/etc/heat'
        conf = {
            'DEFAULT': {
                'transport_url': self.transport_url,
                'control_exchange': self.name,
                'convergence_engine': self.convergence_engine,
                'num_engine_workers': 1,
                'graceful_shutdown_timeout': 5,
                # Else Stack.store() asks Keystone for a trust.
                'deferred_auth_method': 'password',
                'debug': True,
                'log_dir': self.log_dir,
                'environment_dir': os.path.join(etc, 'environment.d'),
                'template_dir': os.path.join(etc, 'templates'),
                # HeatResume::Test::Ledger, see heat_resume_tests.ledger
                'plugin_dirs': RESOURCES_DIR,
            },
            'database': {
                'connection': services.database_url(self.db_url, self.name)},
            'paste_deploy': {
                'flavor': 'noauth',
                'api_paste_config': os.path.join(etc, 'api-paste.ini'),
            },
            # noauth makes every request a project-scoped user with the
            # single role 'admin'. oslo.policy 4.5+ enforces the new RBAC
            # defaults, which want 'reader'/'member' (implied by 'admin' only
            # in Keystone): GET /stacks answers 403 without this.
            'oslo_policy': {
                'enforce_new_defaults': False,
                'enforce_scope': False,
            },
            'heat_api': {'bind_host': '127.0.0.1'},
        }
        for section, opts in self.extra_config.items():
            conf.setdefault(section, {}).update(opts)
        return conf

    # -- database ----------------------------------------------------------

    def _create_database(self):
        self.db_url = (self.db_server_url or os.environ.get(
            'HEAT_RESUME_DB_URL', DEFAULT_DB_URL)).rstrip('/')
        services.create_database(self.db_url, self.name)
        self.addCleanup(services.drop_database, self.db_url, self.name)

    def sql(self, query, *args):
        """Run one statement on the cluster's database, return all rows.

        For assertions on state the API does not show (resource engine_id,
        resource_data, stack_lock, service rows).
        """
        return services.sql(self.db_url, self.name, query, *args)

    # -- message broker ----------------------------------------------------

    def _create_vhost(self):
        if self.rabbit is not None:
            base, self._ctl = self.rabbit.url, self.rabbit.ctl
        else:
            base = os.environ.get('HEAT_RESUME_RABBIT_URL',
                                  DEFAULT_RABBIT_URL).rstrip('/')
            ctl = os.environ.get('HEAT_RESUME_RABBITMQCTL', 'rabbitmqctl')
            self._rabbitmqctl = ctl and shutil.which(ctl)
            if not self._rabbitmqctl:
                self.transport_url = base + '/'
                return
        user = urllib.parse.unquote(urllib.parse.urlsplit(base).username)
        self._ctl('add_vhost', self.name)
        self.addCleanup(self._ctl, 'delete_vhost', self.name)
        self._ctl('set_permissions', '-p', self.name, user, '.*', '.*', '.*')
        self.transport_url = '%s/%s' % (base, self.name)

    def _ctl(self, *args):
        ctl = subprocess.run(
            [self._rabbitmqctl, '-q'] + list(args), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if ctl.returncode:
            raise ClusterError(
                'rabbitmqctl %s failed (set HEAT_RESUME_RABBITMQCTL= to '
                'share the default vhost instead): %s'
                % (' '.join(args), ctl.stdout))

    # -- processes ---------------------------------------------------------

    def _start_api(self):
        self.api_port = _free_port()
        self.api = _Process(
            'heat-api',
            [self._bin('heat-wsgi-api'), '--host', '127.0.0.1',
             '--port', str(self.api_port), '--',
             '--config-file', self.conf_file, '--log-file', 'heat-api.log'],
            self.log_dir, self.workdir)

    def _wait_api(self):
        """Wait until heat-api serves HTTP.

        The readiness probe is the version document: ``/v1/admin/stacks`` is
        an RPC call, and one sent before any engine has declared the
        ``engine`` queue of a fresh vhost is dropped by RabbitMQ and hangs
        the single-threaded server for rpc_response_timeout (60 s).
        """
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if not self.api.running():
                raise self.api.exited_error()
            try:
                with urllib.request.urlopen(
                        'http://127.0.0.1:%d/' % self.api_port, timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # 300 Multiple Choices: it is serving
            except OSError:
                if time.monotonic() > deadline:
                    raise ClusterError('heat-api not up after %s s'
                                       % self.startup_timeout)
                time.sleep(0.2)

    def _check_api(self):
        """Fail fast, with Heat's message, if policy refuses noauth calls."""
        req = urllib.request.Request(self.endpoint + '/stacks',
                                     headers={'X-Auth-Token': 'x'})
        try:
            urllib.request.urlopen(req, timeout=30).close()
        except urllib.error.HTTPError as e:
            raise ClusterError('GET /stacks answered %s: %s'
                               % (e.code, e.read()[:500]))

    def engine_host(self, n):
        return 'engine-%d' % n

    def _engine_ids(self, n):
        return {r[0] for r in self.sql(
            'SELECT engine_id FROM service WHERE host = %s',
            self.engine_host(n))}

    def start_engine(self, n, wait=True):
        """Start engine ``n`` (again); any ``n`` >= 1 may be used.

        :param wait: block until it has registered (see wait_engine_up).
        """
        if n in self.engines and self.engines[n].members():
            raise ClusterError('%s is still running' % self.engine_host(n))
        conf = os.path.join(self.workdir, 'engine-%d.conf' % n)
        _write_conf(conf, {'DEFAULT': {
            'host': self.engine_host(n),
            'log_file': '%s.log' % self.engine_host(n)}})
        # Service rows of earlier incarnations, to recognise the new one.
        self._known_engine_ids[n] = self._engine_ids(n)
        self.engines[n] = _Process(
            self.engine_host(n),
            [self._bin('heat-engine'), '--config-file', self.conf_file,
             '--config-file', conf],
            self.log_dir, self.workdir, env=self._engine_env())
        if wait:
            self.current_engine_ids[n] = self.wait_engine_up(n)

    def _engine_env(self):
        env = dict(os.environ, **{ledger.ENV: self.ledger_path})
        env.pop(BENCH_ENV, None)
        if self.bench_dir:
            env[BENCH_ENV] = self.bench_dir
        return env

    def engine_id(self, n):
        """Engine id of engine ``n``'s current incarnation."""
        if n not in self.current_engine_ids:
            self.current_engine_ids[n] = self.wait_engine_up(n)
        return self.current_engine_ids[n]

    def engine_log(self, n):
        with open(self.engines[n].heat_log_path, errors='replace') as f:
            return f.read()

    def wait_engine_up(self, n, timeout=None):
        """Wait until engine ``n`` is ready and return its engine_id.

        The engine worker inserts its ``service`` row (fresh engine_id) from
        start() right after its RPC servers are listening, so a new row for
        the host means the engine can take requests; stale rows of killed
        incarnations are told apart by their engine_id.
        """
        proc = self.engines[n]
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        while True:
            new = self._engine_ids(n) - self._known_engine_ids[n]
            if new:
                return new.pop()
            if not proc.running():
                raise proc.exited_error()
            if time.monotonic() > deadline:
                raise ClusterError('%s did not register' % proc.name)
            time.sleep(0.2)

    def engine_pids(self, n):
        """Pids of engine ``n``'s live processes (master and worker)."""
        return self.engines[n].members() if n in self.engines else []

    # -- resource usage (bench) --------------------------------------------

    def engine_cpu_seconds(self, n):
        """CPU seconds used so far by engine ``n``'s live processes."""
        return sum(_proc_cpu_seconds(pid) for pid in self.engine_pids(n))

    def engine_peak_rss(self, n):
        """Peak RSS in bytes of engine ``n``'s largest process.

        That is its worker, where stacks run, once it did some work; a sum
        would count twice what the worker shares with its master since
        the fork. Since the start or since reset_engine_peak_rss(n).
        """
        return max([_proc_peak_rss(pid) for pid in self.engine_pids(n)],
                   default=0)

    def reset_engine_peak_rss(self, n):
        """Make VmHWM start again from the current RSS (Linux >= 4.0)."""
        for pid in self.engine_pids(n):
            try:
                with open('/proc/%d/clear_refs' % pid, 'w') as f:
                    f.write('5')
            except OSError:
                pass  # gone meanwhile

    def probe_counts(self):
        """Sums of every engine process's bench probe counters so far.

        ``{'sql': statements, 'zk': Counter(request type: n)}``; processes
        that died keep their last counts (written every 0.2 s).
        """
        total = {'sql': 0, 'zk': collections.Counter()}
        for path in glob.glob(os.path.join(self.bench_dir, '*.json')):
            with open(path) as f:
                data = json.load(f)
            total['sql'] += data['sql']
            total['zk'].update(data['zk'])
        return total

    def lock_holder(self, stack_id):
        """Number of the engine holding the stack's lock, or None.

        With several engines, the one to kill is the one running the stack.
        """
        rows = self.sql(
            'SELECT s.host FROM stack_lock l JOIN service s '
            'ON s.engine_id = l.engine_id WHERE l.stack_id = %s', stack_id)
        for n in self.engines:
            if rows and rows[0][0] == self.engine_host(n):
                return n
        return None

    def kill_engine(self, n, sig=signal.SIGKILL, timeout=30, wait=True):
        """Signal engine ``n``'s process group and wait until it is gone.

        The default SIGKILL simulates a crash: master and forked worker die
        at once, holding whatever stack locks and IN_PROGRESS rows they had.
        With ``wait=False`` it only signals (SIGSTOP/SIGCONT: a zombie).
        """
        proc = self.engines[n]
        proc.signal(sig)
        if wait and not proc.wait_gone(timeout):
            raise ClusterError('%s survived signal %s: pids %s'
                               % (proc.name, sig, proc.members()))

    def _stop_all(self):
        """SIGTERM every group at once, SIGKILL what is left after grace."""
        procs = [p for p in list(self.engines.values()) + [self.api]
                 if p and p.members()]
        for proc in procs:
            proc.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace
        for proc in procs:
            if not proc.wait_gone(max(0, deadline - time.monotonic())):
                proc.signal(signal.SIGKILL)
                proc.wait_gone(10)

    def _remove_workdir(self):
        if os.environ.get('HEAT_RESUME_KEEP_WORKDIR'):
            print('heat_resume: kept %s' % self.workdir, file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def add_log_details(self, test, lines=200):
        """Attach the tail of every log to ``test`` if it fails.

        Read when the failure happens, i.e. before cleanup removes the
        work dir. Set HEAT_RESUME_KEEP_WORKDIR to keep the whole logs.
        """
        def attach(exc_info):
            test.addDetail('heat-workdir', content.text_content(
                self.workdir + ('' if os.environ.get(
                    'HEAT_RESUME_KEEP_WORKDIR') else
                    ' (removed; set HEAT_RESUME_KEEP_WORKDIR to keep)')))
            for name in sorted(os.listdir(self.log_dir)):
                test.addDetail(name, content.text_content(
                    _tail(os.path.join(self.log_dir, name), lines)))
        test.addOnException(attach)

    def ledger(self):
        """The test resources' ledger (heat_resume_tests.ledger)."""
        return ledger.Ledger.read(self.ledger_path)

    # -- API ---------------------------------------------------------------

    @property
    def endpoint(self):
        # noauth ignores the token and makes every caller project 'admin'.
        return 'http://127.0.0.1:%d/v1/admin' % self.api_port

    def client(self):
        """A heatclient v1 Client talking to this cluster's heat-api."""
        if self._client is None:
            self._client = heat_client.Client('1', endpoint=self.endpoint,
                                              token='x')
        return self._client

    def wait_for_stack_status(self, stack_id, status, timeout=60,
                              fail_on=None, interval=0.5):
        """Poll until the stack reaches ``status``; return the stack.

        :param status: one status, or a tuple of statuses any of which ends
            the wait.

        :param fail_on: statuses that end the wait with an AssertionError;
            by default any state not IN_PROGRESS other than ``status``.
        :returns: the stack, or None for a DELETE_COMPLETE stack the API
            no longer finds.
        """
        deadline = time.monotonic() + timeout
        wanted = (status,) if isinstance(status, str) else tuple(status)
        while True:
            try:
                stack = self.client().stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                if 'DELETE_COMPLETE' in wanted:
                    return None
                raise
            current = stack.stack_status
            if current in wanted:
                return stack
            if (current in fail_on if fail_on is not None
                    else not current.endswith('_IN_PROGRESS')):
                raise AssertionError(
                    'stack %s is %s (%s), waiting for %s' % (
                        stack_id, current, stack.stack_status_reason,
                        status))
            if time.monotonic() > deadline:
                raise AssertionError(
                    'stack %s still %s after %s s, waiting for %s' % (
                        stack_id, current, timeout, status))
            time.sleep(interval)


def main(argv=None):
    """``python -m heat_resume_tests.functional.harness``: a cluster to try.

    Starts a private ZooKeeper and the cluster, prints where they are, and
    stops everything it started on Ctrl-C.
    """
    import argparse

    from heat_resume_tests import zookeeper

    parser = argparse.ArgumentParser(description=main.__doc__.split('\n')[0])
    parser.add_argument('--engines', type=int, default=3)
    parser.add_argument('--stock', choices=('legacy', 'convergence'),
                        help='stock engines, heat_resume off')
    parser.add_argument('--db-url', help='database server URL, e.g. '
                        'postgresql+psycopg2://postgres@127.0.0.1:5432')
    parser.add_argument('--session-timeout', type=float, default=10.0)
    args = parser.parse_args(argv)
    with zookeeper.ZooKeeperServer() as zk:
        config = {} if args.stock else plugin_config(
            zk.hosts, args.session_timeout, retry=False)
        with HeatCluster(engines=args.engines, db_url=args.db_url,
                         convergence_engine=args.stock == 'convergence',
                         config=config) as cluster:
            print('heat-api:   %s (noauth: any token)' % cluster.endpoint)
            print('heat.conf:  %s' % cluster.conf_file)
            print('logs:       %s' % cluster.log_dir)
            print('zookeeper:  %s' % zk.hosts)
            for n in sorted(cluster.engines):
                print('%s: pids %s' % (cluster.engine_host(n),
                                       cluster.engine_pids(n)))
            print('Ctrl-C stops everything.', flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


if __name__ == '__main__':
    main()
