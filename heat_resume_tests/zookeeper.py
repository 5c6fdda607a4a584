"""A private ZooKeeper server for tests and demos, from Debian's package.

Its own config, data dir and port on 127.0.0.1; a short tickTime (200 ms)
so that sessions of 2-4 s expire fast in tests (the product's default
session timeout stays 10 s). Stopped by PID; ``stop()``/``start()`` keep
the data dir and port, for outage tests. With ``tls=True`` it also serves
a TLS port (``tls_hosts``) that wants client certificates; openssl makes
a throw-away CA, server and client certificate for it.
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
4lw.commands.whitelist=ruok,srvr
"""

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

LOG4J = """log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File={log}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d %p [%t] %c{{1}}: %m%n
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ZooKeeperServer(fixtures.Fixture):
    """``hosts`` is the connection string once set up."""

    def __init__(self, startup_timeout=30, tls=False):
        super().__init__()
        self.startup_timeout = startup_timeout
        self.tls = tls
        self.process = None

    def _setUp(self):
        if not os.path.exists(ZOOKEEPER_JAR):
            raise RuntimeError('%s not found: apt-get install zookeeper'
                               % ZOOKEEPER_JAR)
        self.workdir = tempfile.mkdtemp(prefix='heat_resume_zk_')
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.port = free_port()
        self.hosts = '127.0.0.1:%d' % self.port
        conf = os.path.join(self.workdir, 'conf')
        os.makedirs(conf)
        os.makedirs(os.path.join(self.workdir, 'data'))
        self.config_file = os.path.join(conf, 'zoo.cfg')
        with open(self.config_file, 'w') as f:
            f.write(CONFIG.format(data=os.path.join(self.workdir, 'data'),
                                  port=self.port))
            if self.tls:
                self.tls_port = free_port()
                self.tls_hosts = '127.0.0.1:%d' % self.tls_port
                self._make_certificates()
                f.write(TLS_CONFIG.format(port=self.tls_port,
                                          keystore=self.server_pem,
                                          ca=self.ca_file))
        with open(os.path.join(conf, 'log4j.properties'), 'w') as f:
            f.write(LOG4J.format(log=os.path.join(self.workdir, 'zk.log')))
        self.addCleanup(self.stop)
        self.start()

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

    def start(self):
        conf = os.path.dirname(self.config_file)
        classpath = ':'.join((conf, ZOOKEEPER_JAR) + NETTY_JARS)
        self.process = subprocess.Popen(
            ['java', '-Xmx256m', '-cp', classpath,
             'org.apache.zookeeper.server.quorum.QuorumPeerMain',
             self.config_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('ZooKeeper exited with %s; see %s' % (
                    self.process.returncode, self.workdir))
            if self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError('ZooKeeper did not answer on %s' % self.hosts)

    def _answers(self):
        try:
            with socket.create_connection(('127.0.0.1', self.port), 1) as s:
                s.sendall(b'ruok')
                return s.recv(4) == b'imok'
        except OSError:
            return False

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
