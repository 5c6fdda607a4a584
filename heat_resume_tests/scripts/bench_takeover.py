"""Takeover figures on real engines and a real ZooKeeper (prints, no test).

* takeover latency: SIGKILL the engine that owns a create, then time until
  the survivor's first resumed resource action (a task record written by
  the survivor), over N kills; the same for a graceful stop (SIGTERM);
* ZooKeeper writes per stack operation (the server's zxid delta around a
  create on a quiet cluster) for 10 and for 200 resources.

    python -m heat_resume_tests.scripts.bench_takeover [--kills 20] [--stops 5]
        [--session-timeout 4] [--no-writes]
"""

import argparse
import signal
import socket
import statistics
import sys
import time

from heat_resume_tests.fixtures import harness
from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates


def zxid(zk):
    with socket.create_connection(('127.0.0.1', zk.port), 2) as sock:
        sock.sendall(b'srvr')
        data = b''
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    for line in data.decode().splitlines():
        if line.startswith('Zxid:'):
            return int(line.split(':')[1].strip(), 16) & 0xffffffff
    raise RuntimeError('no zxid in srvr output')


def first_resumed_action(cluster, stack_id, survivor_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for rec in scenario.task_records(cluster, stack_id).values():
            if rec.get('engine') == survivor_id:
                return time.monotonic()
        time.sleep(0.02)
    raise RuntimeError('no resumed action on %s' % stack_id)


def takeover_once(cluster, n, sig):
    hc = cluster.client()
    stack_id = hc.stacks.create(
        stack_name='takeover-%s-%d' % (sig.name, n),
        template=templates.chains(count=8, chains=4, create=3)
    )['stack']['id']
    scenario.wait_for_phase(cluster, stack_id, 'handler_returned')
    owner = cluster.lock_holder(stack_id)
    survivor = 3 - owner
    survivor_id = cluster.engine_id(survivor)
    killed = time.monotonic()
    cluster.kill_engine(owner, sig=sig, wait=False)
    latency = first_resumed_action(cluster, stack_id, survivor_id) - killed
    cluster.kill_engine(owner, sig=signal.SIGKILL)
    scenario.wait_for_db_status(cluster, stack_id, 'CREATE_COMPLETE')
    cluster.start_engine(owner)
    cluster.current_engine_ids.pop(owner, None)
    return latency


def zk_writes(cluster, zk, count):
    hc = cluster.client()
    time.sleep(1)
    before = zxid(zk)
    stack_id = hc.stacks.create(
        stack_name='writes%d' % count,
        template=templates.chains(count=count, chains=count, create=0)
    )['stack']['id']
    cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE', timeout=300)
    time.sleep(1)
    return zxid(zk) - before


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * len(values))) - 1)]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kills', type=int, default=20)
    parser.add_argument('--stops', type=int, default=5)
    parser.add_argument('--session-timeout', type=float, default=4.0)
    parser.add_argument('--no-writes', dest='writes', action='store_false',
                        help='skip the ZooKeeper writes count')
    args = parser.parse_args(argv)
    with zookeeper.ZooKeeperServer() as zk, harness.HeatCluster(
            engines=2, config=harness.plugin_config(
                zk.hosts, args.session_timeout,
                sweep_interval=10)) as cluster:
        if args.writes:
            print('ZooKeeper writes per stack create: 10 resources: %d, '
                  '200 resources: %d' % (zk_writes(cluster, zk, 10),
                                         zk_writes(cluster, zk, 200)),
                  flush=True)
        for title, sig, runs in (('SIGKILL', signal.SIGKILL, args.kills),
                                 ('SIGTERM', signal.SIGTERM, args.stops)):
            if not runs:
                continue
            latencies = []
            for n in range(runs):
                latencies.append(takeover_once(cluster, n, sig))
                print('  %s %2d: %.2f s' % (title, n + 1, latencies[-1]),
                      flush=True)
            print('%s -> first resumed action, %d runs, session timeout '
                  '%.0f s: median %.2f s, p95 %.2f s, max %.2f s' % (
                      title, runs, args.session_timeout,
                      statistics.median(latencies),
                      percentile(latencies, 95), max(latencies)),
                  flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
