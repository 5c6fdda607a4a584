"""A private ZooKeeper server for tests and demos, from Debian's package.

Its own config, data dir and port on 127.0.0.1; a short tickTime (200 ms)
so that sessions of 2-4 s expire fast in tests (the product's default
session timeout stays 10 s). Stopped by PID; ``stop()``/``start()`` keep
the data dir and port, for outage tests. With ``tls=True`` it also serves
a TLS port (``tls_hosts``) that wants client certificates; openssl makes
a throw-away CA, server and client certificate for it.

``ZooKeeperEnsemble`` runs several such servers as one quorum (same
config plus ``myid`` and ``server.N`` lines), so that tests can kill the
leader and see what a client session lives through.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import fixtures

ZOOKEEPER_JAR = os.environ.get('HEAT_RESUME_ZOOKEEPER_JAR',
                               '/usr/share/java/zookeeper.jar')

CONFIG = """tickTime=200
dataDir={data}
clientPort={port}
clientPortAddress=127.0.0.1
minSessionTimeout=400
maxSessionTimeout=20000
admin.enableServer=false
4lw.commands.whitelist={words}
"""

# initLimit/syncLimit are in ticks: 2 s to join a leader, 1 s of silence
# before a follower gives up on it
QUORUM_CONFIG = """initLimit=10
syncLimit=5
{servers}"""

TLS_CONFIG = """secureClientPort={port}
secureClientPortAddress=127.0.0.1
serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
ssl.keyStore.location={keystore}
ssl.keyStore.type=PEM
ssl.trustStore.location={ca}
ssl.trustStore.type=PEM
ssl.clientAuth=need
"""

# Debian's zookeeper.jar manifest leaves out what its Netty server needs
NETTY_JARS = ('/usr/share/java/netty-codec.jar',
              '/usr/share/java/netty-resolver.jar')
# ... and a logging backend: without one slf4j drops every line and
# log4j.properties (below) does nothing. Both come with libzookeeper-java;
# they add about 0.4 s to a start, so a standalone server logs only with
# HEAT_RESUME_ZOOKEEPER_LOG=1.
LOG_JARS = ('/usr/share/java/slf4j-log4j12.jar',
            '/usr/share/java/log4j-1.2.jar')

LOG4J = """log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File={log}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d %p [%t] %c{{1}}: %m%n
# not a line per four-letter word: fixtures poll with them
log4j.logger.org.apache.zookeeper.server.NIOServerCnxn=WARN
log4j.logger.org.apache.zookeeper.server.NettyServerCnxn=WARN
"""


def free_port():
    return free_ports(1)[0]


def free_ports(count):
    """Distinct free ports: every socket stays bound until all are picked."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            socks.append(sock)
            sock.bind(('127.0.0.1', 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def four_letter_word(port, word, timeout=1):
    """The server's whole answer to ``word``, or '' if it does not answer."""
    chunks = []
    try:
        with socket.create_connection(('127.0.0.1', port), timeout) as s:
            s.sendall(word.encode('ascii'))
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        pass
    return b''.join(chunks).decode('utf-8', 'replace')


def _check_jar():
    if not os.path.exists(ZOOKEEPER_JAR):
        raise RuntimeError('%s not found: apt-get install zookeeper'
                           % ZOOKEEPER_JAR)


def wait_for(predicate, timeout=10, interval=0.05):
    """Poll ``predicate`` until it is true; False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class ZooKeeperServer(fixtures.Fixture):
    """``hosts`` is the connection string once set up."""

    heap = '256m'
    four_letter_words = 'ruok,srvr'
    logs = bool(os.environ.get('HEAT_RESUME_ZOOKEEPER_LOG'))

    def __init__(self, startup_timeout=30, tls=False):
        super().__init__()
        self.startup_timeout = startup_timeout
        self.tls = tls
        self.process = None
        self.port = None

    def _setUp(self):
        self._prepare()
        self.addCleanup(self.stop)
        self.start()

    def _prepare(self):
        """Work dir, ports and config: everything but the process."""
        _check_jar()
        self.workdir = self._make_workdir()
        self.addCleanup(shutil.rmtree, self.workdir, True)
        if self.port is None:
            self.port = free_port()
        self.hosts = '127.0.0.1:%d' % self.port
        conf = os.path.join(self.workdir, 'conf')
        os.makedirs(conf)
        self.data_dir = os.path.join(self.workdir, 'data')
        os.makedirs(self.data_dir)
        self.config_file = os.path.join(conf, 'zoo.cfg')
        with open(self.config_file, 'w') as f:
            f.write(CONFIG.format(data=self.data_dir, port=self.port,
                                  words=self.four_letter_words))
            f.write(self._extra_config())
        with open(os.path.join(conf, 'log4j.properties'), 'w') as f:
            f.write(LOG4J.format(log=os.path.join(self.workdir, 'zk.log')))

    def _make_workdir(self):
        return tempfile.mkdtemp(prefix='heat_resume_zk_')

    def _extra_config(self):
        if not self.tls:
            return ''
        self.tls_port = free_port()
        self.tls_hosts = '127.0.0.1:%d' % self.tls_port
        self._make_certificates()
        return TLS_CONFIG.format(port=self.tls_port,
                                 keystore=self.server_pem, ca=self.ca_file)

    def _make_certificates(self):
        def path(name):
            return os.path.join(self.workdir, name)

        def openssl(*args):
            subprocess.run(('openssl',) + args, check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        self.ca_file = path('ca.pem')
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days',
                '2', '-subj', '/CN=heat-resume-test-ca', '-keyout',
                path('ca.key'), '-out', self.ca_file)
        with open(path('san.cnf'), 'w') as f:
            f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\n')
        for name in ('server', 'client'):
            openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj',
                    '/CN=%s' % name, '-keyout', path(name + '.key'), '-out',
                    path(name + '.csr'))
            openssl('x509', '-req', '-in', path(name + '.csr'), '-CA',
                    self.ca_file, '-CAkey', path('ca.key'),
                    '-CAcreateserial', '-days', '2', '-extfile',
                    path('san.cnf'), '-out', path(name + '.crt'))
        self.server_pem = path('server.pem')
        with open(self.server_pem, 'w') as out:
            for part in ('server.key', 'server.crt'):
                with open(path(part)) as f:
                    out.write(f.read())
        self.client_cert = path('client.crt')
        self.client_key = path('client.key')

    def start(self, wait=True):
        conf = os.path.dirname(self.config_file)
        classpath = ':'.join((conf, ZOOKEEPER_JAR) + NETTY_JARS +
                             (LOG_JARS if self.logs else ()))
        self.process = subprocess.Popen(
            ['java', '-Xmx' + self.heap] + self._jvm_options() +
            ['-cp', classpath,
             'org.apache.zookeeper.server.quorum.QuorumPeerMain',
             self.config_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.workdir, start_new_session=True)
        if wait:
            self.wait_until_serving()

    def _jvm_options(self):
        return []

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def wait_until_serving(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('ZooKeeper exited with %s; see %s' % (
                    self.process.returncode, self.workdir))
            if self._serving():
                return
            time.sleep(0.1)
        raise RuntimeError('ZooKeeper did not answer on %s' % self.hosts)

    def _serving(self):
        return four_letter_word(self.port, 'ruok') == 'imok'

    def mode(self):
        """'standalone', 'leader' or 'follower'; None while not serving."""
        for line in four_letter_word(self.port, 'srvr').splitlines():
            if line.startswith('Mode: '):
                return line[len('Mode: '):].strip()
        return None

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


class EnsembleMember(ZooKeeperServer):
    """Server ``myid`` of a ZooKeeperEnsemble; set up by the ensemble.

    Its set-up does not wait: alone it cannot serve, the ensemble waits
    for the quorum. A later ``start()`` waits until it serves again, i.e.
    has rejoined a quorum.
    """

    heap = '128m'
    four_letter_words = 'ruok,srvr,stat,mntr'
    logs = True  # zk.log: worth 0.4 s when a quorum does not form

    def __init__(self, myid, port, servers, parent, startup_timeout=30):
        super().__init__(startup_timeout)
        self.myid = myid
        self.port = port
        self.servers_config = servers
        self.parent = parent

    def _setUp(self):
        self._prepare()
        with open(os.path.join(self.data_dir, 'myid'), 'w') as f:
            f.write('%d\n' % self.myid)
        self.addCleanup(self.stop)
        self.start(wait=False)

    def _make_workdir(self):
        return tempfile.mkdtemp(prefix='zk%d_' % self.myid, dir=self.parent)

    def _extra_config(self):
        return QUORUM_CONFIG.format(servers=self.servers_config)

    def _jvm_options(self):
        # Three JVMs share two cores: one GC thread and the quick JIT only
        return ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']

    def _serving(self):
        # ruok says imok before there is a quorum; srvr tells the truth
        return self.mode() in ('leader', 'follower')


class ZooKeeperEnsemble(fixtures.Fixture):
    """``size`` servers on 127.0.0.1 as one quorum: leader-loss tests.

    ``hosts`` names every member; ``servers`` are the members (with
    ``start()``, ``stop()``, ``port``, ``mode()``), in ``myid`` order.
    """

    def __init__(self, size=3, startup_timeout=60):
        super().__init__()
        self.size = size
        self.startup_timeout = startup_timeout

    def _setUp(self):
        _check_jar()
        self.workdir = tempfile.mkdtemp(prefix='heat_resume_zk_ensemble_')
        self.addCleanup(shutil.rmtree, self.workdir, True)
        ports = free_ports(3 * self.size)
        clients = ports[:self.size]
        peers = ports[self.size:]
        servers = ''.join(
            'server.%d=127.0.0.1:%d:%d\n' % (i + 1, peer, election)
            for i, (peer, election) in enumerate(zip(peers[::2],
                                                     peers[1::2])))
        self.servers = [
            self.useFixture(EnsembleMember(i + 1, clients[i], servers,
                                           self.workdir,
                                           self.startup_timeout))
            for i in range(self.size)]
        self.hosts = ','.join(s.hosts for s in self.servers)
        # All members, not just a quorum of them; fails fast if one exits
        deadline = time.monotonic() + self.startup_timeout
        for server in self.servers:
            server.wait_until_serving(max(deadline - time.monotonic(), 0.1))
        self.wait_for_quorum(self.startup_timeout)

    def modes(self):
        """Each running member's mode (None: not serving), by index."""
        return {i: s.mode() for i, s in enumerate(self.servers) if s.running}

    def leader(self):
        """Index of the one member that says it leads, else None."""
        leaders = [i for i, mode in self.modes().items() if mode == 'leader']
        return leaders[0] if len(leaders) == 1 else None

    def wait_for_quorum(self, timeout=30):
        """Wait for one leader and every running member following it.

        Returns the leader's index.
        """
        deadline = time.monotonic() + timeout
        while True:
            modes = self.modes()
            leaders = [i for i, mode in modes.items() if mode == 'leader']
            if (len(leaders) == 1 and len(modes) > self.size // 2 and
                    all(mode in ('leader', 'follower')
                        for mode in modes.values())):
                return leaders[0]
            if time.monotonic() > deadline:
                raise RuntimeError('No quorum after %ss: %s\n%s' % (
                    timeout, modes, self._log_tails()))
            time.sleep(0.05)

    def stop_leader(self):
        """Kill the current leader; returns its index."""
        index = self.leader()
        if index is None:
            raise RuntimeError('No leader: %s' % self.modes())
        self.servers[index].stop()
        return index

    def _log_tails(self, lines=5):
        # the work dir goes with the fixture: quote the logs' last lines
        tails = []
        for i, server in enumerate(self.servers):
            try:
                with open(os.path.join(server.workdir, 'zk.log')) as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                tail = ['(no log)\n']
            tails.append('%d: %s' % (i, '   '.join(tail)))
        return ''.join(tails)
