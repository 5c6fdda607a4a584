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

"""Private MariaDB and RabbitMQ servers that fault tests may stop, and SQL.

The machine's own servers are shared with CI and must never be stopped, so
outage tests get their own: a workdir in /tmp, a free port on 127.0.0.1,
stopped by PID. ``stop()``/``start()`` keep data and port, so what a test
created survives a restart. The database helpers let the Heat harness use
a MariaDB or a PostgreSQL server URL alike.
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import fixtures
import pymysql

from heat_resume_tests.zookeeper import free_port

RABBITMQ_BIN = os.environ.get('HEAT_RESUME_RABBITMQ_BIN',
                              '/usr/lib/rabbitmq/bin')
# small InnoDB so that a fresh datadir starts in about a second
MARIADB_OPTS = ('--no-defaults', '--skip-name-resolve', '--skip-log-bin',
                '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=8M')


class _Server(fixtures.Fixture):
    """Start/stop by PID; subclasses say how to start and when it is up."""

    process = None

    def __init__(self, startup_timeout=60):
        super().__init__()
        self.startup_timeout = startup_timeout

    def _workdir(self, what):
        self.workdir = tempfile.mkdtemp(prefix='heat_resume_%s_' % what)
        self.addCleanup(shutil.rmtree, self.workdir, True)
        return self.workdir

    def _popen(self, args, **kwargs):
        log = open(os.path.join(self.workdir, 'console.log'), 'ab')
        with log:  # own session: a ^C of the test runner does not hit it
            return subprocess.Popen(args, stdout=log, stderr=log,
                                    cwd=self.workdir, start_new_session=True,
                                    **kwargs)

    def _wait(self, ready):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited with %s; see %s' % (
                    type(self).__name__, self.process.returncode,
                    self.workdir))
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError('%s not up in %ss; see %s' % (
            type(self).__name__, self.startup_timeout, self.workdir))

    def _main_pid(self):
        return self.process.pid

    def stop(self, kill=False, grace=30):
        """SIGTERM (a clean shutdown), SIGKILL after ``grace`` seconds.

        ``kill=True`` SIGKILLs at once, like a crash.
        """
        if self.process is None or self.process.poll() is not None:
            return
        pid, steps = self._main_pid(), ((signal.SIGTERM, grace),
                                        (signal.SIGKILL, 10))
        for sig, wait in steps[kill:]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait)
                break
        with contextlib.suppress(ProcessLookupError):  # any rest of it
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def restart(self, kill=False):
        self.stop(kill=kill)
        self.start()


class MariaDBServer(_Server):
    """``url`` is the server URL (no database), as harness.DEFAULT_DB_URL.

    root logs in over TCP with an empty password (real grant tables).
    """

    def _setUp(self):
        self._workdir('mariadb')
        self.datadir = os.path.join(self.workdir, 'data')
        self.port = free_port()
        self.url = 'mysql+pymysql://root:@127.0.0.1:%d' % self.port
        # mariadbd refuses to run as root unless told to
        self._user = ['--user=root'] if os.geteuid() == 0 else []
        with open(os.path.join(self.workdir, 'install.log'), 'wb') as log:
            subprocess.run(
                ['mariadb-install-db', *MARIADB_OPTS, *self._user,
                 '--datadir=' + self.datadir, '--skip-test-db',
                 '--auth-root-authentication-method=normal'],
                stdout=log, stderr=log, check=True)
        self.addCleanup(self.stop)
        self.start()

    def start(self):
        path = os.path.join
        self.process = self._popen(
            ['/usr/sbin/mariadbd', *MARIADB_OPTS, *self._user,
             '--datadir=' + self.datadir, '--port=%d' % self.port,
             '--bind-address=127.0.0.1',
             '--socket=' + path(self.workdir, 'sock'),
             '--pid-file=' + path(self.workdir, 'mariadbd.pid'),
             '--log-error=' + path(self.workdir, 'error.log')])
        self._wait(self._answers)

    def _answers(self):
        with contextlib.suppress(pymysql.err.OperationalError):
            pymysql.connect(host='127.0.0.1', port=self.port, user='root',
                            password='', connect_timeout=1).close()
            return True


class RabbitMQServer(_Server):
    """``url`` is 'rabbit://guest:guest@127.0.0.1:<port>', without vhost.

    A private epmd on a free port too: the node could otherwise start one
    that outlives it. Workdir as HOME holds the Erlang cookie, so ``ctl``
    reaches the node as any user; the node needs no plugin.
    """

    def _setUp(self):
        work = self._workdir('rabbitmq')
        self.port, dist, epmd = free_port(), free_port(), free_port()
        self.nodename = 'hr%s@localhost' % secrets.token_hex(4)
        self.url = 'rabbit://guest:guest@127.0.0.1:%d' % self.port
        files = {'rabbitmq.conf': '', 'rabbitmq-env.conf': '',
                 'enabled_plugins': '[].\n',
                 '.erlang.cookie': secrets.token_hex(16)}
        for name, text in files.items():
            with open(os.path.join(work, name), 'w') as f:
                f.write(text)
        os.chmod(os.path.join(work, '.erlang.cookie'), 0o400)
        self.env = dict(
            os.environ, HOME=work, ERL_EPMD_PORT=str(epmd),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
            RABBITMQ_NODE_PORT=str(self.port), RABBITMQ_DIST_PORT=str(dist),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
                '-kernel inet_dist_use_interface {127,0,0,1}'))
        for var, name in (('MNESIA_BASE', 'mnesia'), ('LOG_BASE', 'log'),
                          ('CONFIG_FILE', 'rabbitmq.conf'),
                          ('ADVANCED_CONFIG_FILE', 'advanced.config'),
                          ('ENABLED_PLUGINS_FILE', 'enabled_plugins'),
                          ('CONF_ENV_FILE', 'rabbitmq-env.conf')):
            self.env['RABBITMQ_' + var] = os.path.join(work, name)
        epmd = self._popen(['epmd', '-port', str(epmd),
                            '-address', '127.0.0.1'], env=self.env)
        self.addCleanup(epmd.wait, 10)
        self.addCleanup(epmd.kill)
        self.addCleanup(self.stop)
        self.start()

    def start(self):
        self.process = self._popen(
            [os.path.join(RABBITMQ_BIN, 'rabbitmq-server')], env=self.env)
        self._wait(self._answers)
        self.ctl('await_startup', '--timeout', str(self.startup_timeout))

    def _answers(self):
        with contextlib.suppress(OSError):
            socket.create_connection(('127.0.0.1', self.port), 1).close()
            return True

    def _main_pid(self):
        # rabbitmq-server is a shell that runs erl (beam.smp) as a child
        children = '/proc/%d/task/%d/children' % ((self.process.pid,) * 2)
        with contextlib.suppress(OSError):
            with open(children) as f:
                for pid in map(int, f.read().split()):
                    with open('/proc/%d/comm' % pid) as comm:
                        if comm.read().startswith('beam'):
                            return pid
        return self.process.pid

    def ctl(self, *args):
        """``rabbitmqctl -n nodename -q *args``; its output."""
        result = subprocess.run(
            [os.path.join(RABBITMQ_BIN, 'rabbitmqctl'), '-n', self.nodename,
             '-q', *args], env=self.env, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError('rabbitmqctl %s failed (%s): %s' % (
                ' '.join(args), result.returncode, result.stderr.strip()))
        return result.stdout


# -- databases on a server URL: mysql+pymysql:// or postgresql(+psycopg2):// --

def _kind(server_url):
    kind = urllib.parse.urlsplit(server_url).scheme.split('+')[0]
    if kind not in ('mysql', 'postgresql'):
        raise ValueError('no MariaDB/PostgreSQL URL: %s' % server_url)
    return kind


def _connect(server_url, name=None):
    url = urllib.parse.urlsplit(server_url)
    args = dict(host=url.hostname or '127.0.0.1',
                user=urllib.parse.unquote(url.username or 'root'),
                password=urllib.parse.unquote(url.password or ''))
    if _kind(server_url) == 'mysql':
        return pymysql.connect(port=url.port or 3306, database=name,
                               autocommit=True, **args)
    import psycopg2  # only the PostgreSQL runs need it
    conn = psycopg2.connect(port=url.port or 5432,
                            dbname=name or 'postgres', **args)
    conn.autocommit = True
    return conn


def sql(server_url, name, query, *args):
    """All rows of ``query`` (``%s`` placeholders) on database ``name``."""
    with contextlib.closing(_connect(server_url, name)) as conn:
        with conn.cursor() as cur:
            cur.execute(query, args or None)
            return cur.fetchall() if cur.description else []


def _quoted(server_url, name):
    if not re.fullmatch(r'\w+', name):
        raise ValueError('bad database name %r' % name)
    return ('`%s`' if _kind(server_url) == 'mysql' else '"%s"') % name


def create_database(server_url, name):
    charset = ' CHARACTER SET utf8mb4' if _kind(server_url) == 'mysql' else ''
    sql(server_url, None,
        'CREATE DATABASE %s%s' % (_quoted(server_url, name), charset))


def drop_database(server_url, name):
    """Drop ``name`` even if engines killed mid-test left sessions open."""
    force = ' WITH (FORCE)' if _kind(server_url) == 'postgresql' else ''
    sql(server_url, None, 'DROP DATABASE IF EXISTS %s%s' % (
        _quoted(server_url, name), force))


def database_url(server_url, name):
    """The SQLAlchemy URL that Heat's [database] connection should get."""
    url = '%s/%s' % (server_url.rstrip('/'), name)
    return url + '?charset=utf8mb4' if _kind(server_url) == 'mysql' else url
