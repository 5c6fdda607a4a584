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

"""Soak: a stream of stack operations while owning engines are killed.

Not a test: it prints figures. Three heat-engines with heat_resume on a
private ZooKeeper. Each stack goes create -> update -> delete; during each
operation the engine that owns it is SIGKILLed (``--stop kill``) or
stopped gracefully (``--stop graceful``: SIGTERM, a rolling restart) at a
random moment and started again. At the end it prints the operations, the
stops, terminal states, stuck operations (still IN_PROGRESS after
--op-timeout), ledger duplicates and leaks, and the takeover latency
(stop -> first task record written by another engine). It exits 1 on any
stuck operation, duplicate or leak, and, with ``--stop graceful``, on any
operation that did not complete (a drained stop fails nothing).
``--policy`` is in_progress_policy, the default's ``fail`` by default.

    python -m heat_resume_tests.scripts.soak [--minutes 20] [--kills 100]
        [--stop kill|graceful] [--policy fail|retry]
        [--session-timeout 2] [--seed N]
"""

import argparse
import collections
import random
import signal
import statistics
import sys
import time

from heat_resume_tests.fixtures import harness
from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates
from heat_resume_tests.scripts import bench_takeover


class Soak(object):

    def __init__(self, cluster, rng, op_timeout, stop_signal=signal.SIGKILL):
        self.stop_signal = stop_signal
        self.cluster = cluster
        self.hc = cluster.client()
        self.rng = rng
        self.op_timeout = op_timeout
        self.ops = 0
        self.kills = 0
        self.latencies = []
        self.states = collections.Counter()
        self.stuck = []
        self.stacks = []

    def wait(self, stack_id, status):
        deadline = time.monotonic() + self.op_timeout
        while time.monotonic() < deadline:
            rows = self.cluster.sql(
                'SELECT action, status FROM stack WHERE id = %s', stack_id)
            current = '%s_%s' % rows[0] if rows else 'DELETE_COMPLETE'
            # the previous operation's state until this one has begun;
            # then its COMPLETE or FAILED (the default in_progress_policy
            # fails what a kill caught inside a handler), or a rollback
            if not current.endswith('_IN_PROGRESS') and (
                    current == status or current.endswith('_FAILED') or
                    not current.startswith(status.split('_')[0])):
                return current
            time.sleep(0.2)
        return 'STUCK'

    def kill_owner(self, stack_id, within):
        time.sleep(self.rng.uniform(*within))
        owner = self.cluster.lock_holder(stack_id)
        if owner is None:
            return  # already finished: no kill this time
        others = {self.cluster.engine_id(n) for n in self.cluster.engines
                  if n != owner}
        killed_at = time.monotonic()
        self.cluster.kill_engine(owner, sig=self.stop_signal)
        self.kills += 1
        try:
            self.latencies.append(self._first_action_by(
                stack_id, others) - killed_at)
        except RuntimeError:
            pass  # the dead engine had nothing left to resume
        self.cluster.start_engine(owner)

    def _first_action_by(self, stack_id, engines, timeout=30):
        deadline = time.monotonic() + timeout
        before = {n: rec.get('history', [])[-1:] for n, rec in
                  scenario.task_records(self.cluster, stack_id).items()}
        while time.monotonic() < deadline:
            for name, rec in scenario.task_records(self.cluster,
                                                   stack_id).items():
                if rec.get('engine') in engines and (
                        rec.get('history', [])[-1:] != before.get(name)):
                    return time.monotonic()
            if self.cluster.lock_holder(stack_id) is None:
                break
            time.sleep(0.02)
        raise RuntimeError('no resumed action')

    def operation(self, stack_id, status, start, within):
        self.ops += 1
        start()
        self.kill_owner(stack_id, within)
        result = self.wait(stack_id, status)
        self.states[result] += 1
        if result == 'STUCK':
            self.stuck.append(stack_id)
        return result == status

    def lifecycle(self, n):
        template = templates.chains(count=12, chains=4, create=1, update=1,
                                    delete=1)
        stack_id = self.hc.stacks.create(
            stack_name='soak-%d' % n, template=template)['stack']['id']
        self.stacks.append(stack_id)
        self.ops += 1
        self.kill_owner(stack_id, (0.2, 2.5))
        result = self.wait(stack_id, 'CREATE_COMPLETE')
        self.states[result] += 1
        if result != 'CREATE_COMPLETE':
            if result == 'STUCK':
                self.stuck.append(stack_id)
            return
        if not self.operation(
                stack_id, 'UPDATE_COMPLETE',
                lambda: self.hc.stacks.update(
                    stack_id, template=templates.chains(
                        count=12, chains=4, create=1, update=1, delete=1,
                        value='-%d' % n)), (0.2, 2.5)):
            return
        self.operation(stack_id, 'DELETE_COMPLETE',
                       lambda: self.hc.stacks.delete(stack_id), (0.2, 2.5))

    def report(self, minutes):
        book = self.cluster.ledger()
        roots = set(self.stacks)
        deleted = {s for s in roots if not self.cluster.sql(
            "SELECT id FROM stack WHERE id = %s AND NOT (action = 'DELETE' "
            "AND status = 'COMPLETE')", s)}
        entries = [e for e in book.entries if e['root'] in deleted]
        leaks = type(book)(entries).live()
        print('soak: %.1f min, %d stacks, %d operations, %d kills'
              % (minutes, len(self.stacks), self.ops, self.kills))
        print('terminal states: %s' % dict(sorted(self.states.items())))
        print('stuck: %d %s' % (len(self.stuck), self.stuck))
        print('duplicates (two live objects for one resource): %d %s'
              % (len(book.duplicates()), book.duplicates()))
        print('leaks (objects of deleted stacks still live): %d' % len(leaks))
        if self.latencies:
            print('takeover latency (kill -> first resumed action), %d: '
                  'p50 %.2f s, p95 %.2f s, max %.2f s' % (
                      len(self.latencies),
                      statistics.median(self.latencies),
                      bench_takeover.percentile(self.latencies, 95),
                      max(self.latencies)))
        return len(book.duplicates()), len(leaks)

    def failed(self):
        """Operations that ended in a state other than the one asked."""
        return sum(count for state, count in self.states.items()
                   if not state.endswith('_COMPLETE'))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=20)
    parser.add_argument('--kills', type=int, default=100)
    parser.add_argument('--session-timeout', type=float, default=2.0)
    parser.add_argument('--op-timeout', type=float, default=120)
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument('--stop', choices=('kill', 'graceful'),
                        default='kill')
    parser.add_argument('--policy', choices=('fail', 'retry'),
                        default='fail')
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    print('soak: seed %d, stop %s, in_progress_policy %s'
          % (seed, args.stop, args.policy), flush=True)
    with zookeeper.ZooKeeperServer() as zk, harness.HeatCluster(
            engines=3, config=harness.plugin_config(
                zk.hosts, args.session_timeout, sweep_interval=5,
                retry=args.policy == 'retry')) as cluster:
        soak = Soak(cluster, random.Random(seed), args.op_timeout,
                    signal.SIGTERM if args.stop == 'graceful'
                    else signal.SIGKILL)
        started = time.monotonic()
        n = 0
        while (soak.kills < args.kills and
               time.monotonic() - started < args.minutes * 60):
            n += 1
            soak.lifecycle(n)
            print('  stack %d: %d operations, %d kills, stuck %d' % (
                n, soak.ops, soak.kills, len(soak.stuck)), flush=True)
        duplicates, leaks = soak.report((time.monotonic() - started) / 60)
    missed = soak.stuck or duplicates or leaks or (
        args.stop == 'graceful' and soak.failed())
    return 1 if missed else 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main(sys.argv[1:]))
