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

"""Stock legacy, stock convergence and heat_resume engines, side by side.

Not a test: it prints figures (``tox -e bench``). For each kind of engine
it starts one HeatCluster of three real heat-engines (the same MariaDB
server and RabbitMQ broker for all, a database and vhost of their own;
heat_resume with a private ZooKeeper) and creates then deletes the same
stacks: a fan-out, a chain, a DAG with waits, nested stacks, one
1000-resource stack and 50 stacks at once. Wall time runs from the API
call to the terminal status read from the database; CPU and peak RSS come
from /proc; SQL statements and ZooKeeper requests are counted inside the
engines (heat_resume_tests/resources/bench_probe.py). Then, on the
heat_resume cluster, the owning engine is SIGKILLed (and stopped with
SIGTERM) at random moments and the takeover latency is measured.

It prints one table and writes a bar chart of the wall times (PNG) and
the raw figures (JSON, which ``--replay`` prints and charts again). The
in-process bench is still there:
``python -m heat_resume_tests.scripts.bench``.

    python -m heat_resume_tests.scripts.bench_engines [--quick] [--only KIND]
        [--chart FILE.png] [--timeout S] [--replay FILE.json]
"""

import argparse
from importlib import metadata as importlib_metadata
import collections
import concurrent.futures
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import textwrap
import time

from heatclient import client as heat_client
import pymysql

from heat_resume_tests.fixtures import harness
from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates
from heat_resume_tests.scripts import bench_takeover

KINDS = ('legacy', 'convergence', 'heat_resume')
TITLES = {'legacy': 'stock legacy', 'convergence': 'stock convergence',
          'heat_resume': 'heat_resume'}
ENGINES = 3
SESSION_TIMEOUT = 4.0  # the product's default is 10 s
POLL = 0.1  # seconds between two reads of the stacks' status
SETTLE = 0.6  # > 2 probe write intervals: counts are on disk


# -- templates ----------------------------------------------------------------

Case = collections.namedtuple('Case', [
    'name', 'title', 'stacks', 'resources', 'stack_ops', 'critical_path',
    'path'])
Case.__doc__ = """What one row pair (create, delete) of the table runs.

``stacks``: (template, files) of each stack created at once;
``resources``: all of them, nested ones included; ``stack_ops``: stack
operations per create or delete (nested stacks are operations too);
``critical_path``: seconds of waits along the longest chain (None for
zero-wait stacks) and ``path`` that chain.
"""


def test_resource(create=0, depends_on=()):
    """A TestResource whose create waits ``create`` s, delete none."""
    res = {'type': 'OS::Heat::TestResource',
           'properties': {'value': 'v', 'action_wait_secs': {
               'create': create, 'update': 0, 'delete': 0}}}
    if depends_on:
        res['depends_on'] = sorted(depends_on)
    return res


def hot(resources, description):
    return {'heat_template_version': '2018-08-31',
            'description': description, 'resources': resources}


def zero_wait_case(name, title, resources):
    return Case(name, title, [(hot(resources, title), None)],
                len(resources), 1, None, None)


def fanout(width):
    resources = {'root': test_resource()}
    for i in range(width):
        resources['leaf%04d' % i] = test_resource(depends_on=['root'])
    return zero_wait_case('fanout', '1 root + %d' % width, resources)


def chains(count, length, name='chain', title=None):
    """``count`` independent chains of ``length`` zero-wait resources."""
    resources = {}
    for c in range(count):
        for i in range(length):
            deps = ['c%02d_%03d' % (c, i - 1)] if i else ()
            resources['c%02d_%03d' % (c, i)] = test_resource(depends_on=deps)
    return zero_wait_case(name, title or 'chain of %d' % length, resources)


def dag_resources(layers, width):
    """Layers of TestResources waiting 1-3 whole seconds, uneven edges.

    Node i of a layer needs nodes i and i + layer of the one before, so
    that chains cross; no more than ``width`` wait at once, below
    heat_resume's max_concurrency of 16.
    """
    resources = {}
    for layer in range(layers):
        for i in range(width):
            deps = ()
            if layer:
                deps = {'n%02d_%02d' % (layer - 1, j)
                        for j in (i, (i + layer) % width)}
            wait = 1 + (layer * 7 + i * 3) % 3
            resources['n%02d_%02d' % (layer, i)] = test_resource(wait, deps)
    return resources


def critical_path(resources):
    """(seconds, names) of the longest chain of create waits.

    Whole seconds because TestResource's completion check sleeps 1 s
    while not complete: a wait of W s is over at the W-th check, a few
    ms after W s, where a fractional wait would end at the next whole
    second.
    """
    longest = {}

    def chain(name):
        if name not in longest:
            deps = resources[name].get('depends_on', ())
            before = max((chain(d) for d in deps), default=(0, []))
            wait = resources[name]['properties']['action_wait_secs']['create']
            longest[name] = (before[0] + wait, before[1] + [name])
        return longest[name]

    return max(chain(name) for name in sorted(resources))


def dag(layers, width):
    resources = dag_resources(layers, width)
    seconds, path = critical_path(resources)
    title = '%d-resource DAG, waits' % len(resources)
    return Case('dag', title, [(hot(resources, title), None)],
                len(resources), 1, seconds, path)


def nested(count, size):
    """A parent of ``count`` template resources of ``size`` each."""
    child = hot({'r%03d' % i: test_resource() for i in range(size)},
                '%d zero-wait TestResources' % size)
    parent = {'s%02d' % i: {'type': 'child.yaml'} for i in range(count)}
    title = '%d nested x %d' % (count, size)
    return Case('nested', title,
                [(hot(parent, title), {'child.yaml': json.dumps(child)})],
                count * (size + 1), count + 1, None, None)


def many_stacks(count, size):
    """``count`` stacks of ``size`` zero-wait resources (2 chains)."""
    one = chains(2, size // 2)
    title = '%d stacks x %d at once' % (count, size)
    return Case('stacks', title, one.stacks * count, count * size, count,
                None, None)


def cases(quick):
    """The rows, scale last: a stock engine's timeout skips only them."""
    if quick:
        return [fanout(20), chains(1, 10), dag(5, 4), nested(3, 5),
                many_stacks(10, 10), chains(5, 20, 'big', '100 in 5x20')]
    return [fanout(200), chains(1, 50), dag(10, 10), nested(10, 20),
            many_stacks(50, 10), chains(20, 50, 'big', '1000 in 20x50')]


# -- one cluster --------------------------------------------------------------

def cluster_config(kind, zk_hosts, executor_threads=None):
    """The same heat.conf for every kind but the [heat_resume] section.

    Heat's default database pool keeps 5 connections and closes the
    overflow ones on return, so parallel engines (up to max_concurrency,
    16, threads per heat_resume operation; convergence's RPC workers)
    open a connection per transaction: 20 are kept. max_overflow is
    raised by Heat's engine to executor_thread_pool_size (64) anyway, so
    ten nested stacks on three heat_resume engines can reach MariaDB's
    default of 151 connections (see doc/source/benchmarks.rst).
    """
    config = {'DEFAULT': {'debug': False, 'rpc_response_timeout': 300},
              'database': {'max_pool_size': 20, 'max_overflow': 10}}
    if executor_threads:
        # bounds the RPC server's threads and, through Heat, max_overflow
        config['DEFAULT']['executor_thread_pool_size'] = executor_threads
    if kind == 'heat_resume':
        config.update(harness.plugin_config(zk_hosts, SESSION_TIMEOUT,
                                            sweep_interval=10))
    return config


class Meter(object):
    """What the engines of a cluster used between start() and stop()."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.engines = sorted(cluster.engines)

    def start(self):
        time.sleep(SETTLE)
        for n in self.engines:
            self.cluster.reset_engine_peak_rss(n)
        self.counts = self.cluster.probe_counts()
        self.cpu = self._cpu()
        self.started = time.monotonic()

    def stop(self):
        self.wall = time.monotonic() - self.started
        cpu = self._cpu() - self.cpu
        time.sleep(SETTLE)
        counts = self.cluster.probe_counts()
        return {'wall': self.wall, 'cpu': cpu,
                'sql': counts['sql'] - self.counts['sql'],
                'zk': dict(counts['zk'] - self.counts['zk']),
                'rss': max(self.cluster.engine_peak_rss(n)
                           for n in self.engines)}

    def _cpu(self):
        return sum(self.cluster.engine_cpu_seconds(n) for n in self.engines)


def wait_terminal(cluster, stack_ids, action, timeout):
    """Poll the database until every stack's ``action`` has ended.

    Returns 'ok', 'timeout' or 'FAILED: reason'. A deleted stack may be
    gone from the table (convergence purges it).
    """
    deadline = time.monotonic() + timeout
    pending, failed = set(stack_ids), []
    while pending:
        try:
            rows = cluster.sql(
                'SELECT id, action, status, status_reason FROM stack WHERE '
                'id IN (%s)' % ', '.join(['%s'] * len(pending)), *pending)
        except pymysql.err.OperationalError as exc:
            print('  (database: %s; polling on)' % exc, flush=True)
            rows = [(stack_id, None, None, None) for stack_id in pending]
        found = set()
        for stack_id, act, status, reason in rows:
            found.add(stack_id)
            if act == action and status in ('COMPLETE', 'FAILED'):
                pending.discard(stack_id)
                if status == 'FAILED':
                    failed.append(reason)
        if action == 'DELETE':
            pending &= found
        if pending and time.monotonic() > deadline:
            return 'timeout'
        if pending:
            time.sleep(POLL)
    return 'FAILED: %s' % failed[0] if failed else 'ok'


def api_calls(cluster, calls):
    """Run the API calls at once (each thread its own client)."""
    def call(job):
        hc = heat_client.Client('1', endpoint=cluster.endpoint, token='x')
        return job(hc)

    if len(calls) == 1:
        return [call(calls[0])]
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        return list(pool.map(call, calls))


def create_call(name, template, files):
    def create(hc):
        return hc.stacks.create(stack_name=name, template=template,
                                files=files or {})['stack']['id']
    return create


def delete_call(stack_id):
    def delete(hc):
        hc.stacks.delete(stack_id)
        return stack_id
    return delete


def run_case(cluster, case, timeout):
    """{'create': figures, 'delete': figures} of one case."""
    meter = Meter(cluster)
    meter.start()
    ids = api_calls(cluster, [
        create_call('%s-%d' % (case.name, i), template, files)
        for i, (template, files) in enumerate(case.stacks)])
    status = wait_terminal(cluster, ids, 'CREATE', timeout)
    result = {'create': dict(meter.stop(), status=status)}
    if status != 'ok':
        result['delete'] = {'status': 'not run'}
        return result
    meter.start()
    api_calls(cluster, [delete_call(i) for i in ids])
    status = wait_terminal(cluster, ids, 'DELETE', timeout)
    result['delete'] = dict(meter.stop(), status=status)
    return result


# -- takeover -----------------------------------------------------------------

def first_action_by(cluster, stack_id, engine_ids, timeout=60):
    """When a task record of the stack is first written by one of them.

    None when the stack ended first (the kill came too late).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for rec in scenario.task_records(cluster, stack_id).values():
            if rec.get('engine') in engine_ids:
                return time.monotonic()
        if cluster.lock_holder(stack_id) is None:
            return None
        time.sleep(0.02)
    return None


def takeover_once(cluster, rng, n, sig):
    """Kill the owner of a create at a random moment; latency or None."""
    stack_id = cluster.client().stacks.create(
        stack_name='takeover-%s-%d' % (sig.name, n),
        template=templates.chains(count=16, chains=4, create=1)
    )['stack']['id']
    time.sleep(rng.uniform(0.2, 3.5))
    owner = cluster.lock_holder(stack_id)
    latency = None
    if owner is not None:
        others = {cluster.engine_id(m) for m in cluster.engines
                  if m != owner}
        killed = time.monotonic()
        cluster.kill_engine(owner, sig=sig, wait=False)
        resumed = first_action_by(cluster, stack_id, others)
        latency = resumed and resumed - killed
        cluster.kill_engine(owner, sig=signal.SIGKILL)
    scenario.wait_for_db_status(cluster, stack_id, 'CREATE_COMPLETE')
    if owner is not None:
        cluster.start_engine(owner)
    return latency


def takeovers(cluster, sig, runs, rng):
    """``runs`` latencies; kills that came too late are done again."""
    latencies, attempts = [], 0
    while len(latencies) < runs and attempts < 3 * runs:
        attempts += 1
        try:
            latency = takeover_once(cluster, rng, attempts, sig)
        except Exception as exc:
            print('  %s attempt %d failed: %s' % (sig.name, attempts, exc),
                  flush=True)
            restart_dead_engines(cluster)
            continue
        if latency is not None:
            latencies.append(latency)
            print('  %s %2d: %.2f s' % (sig.name, len(latencies), latency),
                  flush=True)
    return latencies


def restart_dead_engines(cluster):
    for n in sorted(cluster.engines):
        if not cluster.engine_pids(n):
            cluster.start_engine(n)


# -- a whole kind -------------------------------------------------------------

def run_kind(kind, rows, args, rng, checkpoint):
    """Every case on one cluster of this kind; takeover on heat_resume.

    ``checkpoint(figures)`` is called after each case.
    """
    with contextlib.ExitStack() as stack:
        bench_dir = tempfile.mkdtemp(prefix='heat_resume_bench_')
        stack.callback(shutil.rmtree, bench_dir, True)
        zk_hosts = None
        if kind == 'heat_resume':
            zk_hosts = stack.enter_context(zookeeper.ZooKeeperServer()).hosts
        cluster = stack.enter_context(harness.HeatCluster(
            engines=ENGINES, convergence_engine=kind == 'convergence',
            config=cluster_config(kind, zk_hosts, args.executor_threads),
            bench_dir=bench_dir))
        warm_up(cluster)
        results = {'cases': {}}
        for case in rows:
            try:
                result = run_case(cluster, case, args.timeout)
            except Exception as exc:
                result = {'create': {'status': 'error: %s' % exc},
                          'delete': {'status': 'not run'}}
            results['cases'][case.name] = result
            print_case(kind, case, result)
            checkpoint(results)
            if result['create']['status'] != 'ok' or \
                    result['delete']['status'] != 'ok':
                break  # a stack may still run: the rest would suffer
        if kind == 'heat_resume':
            results['takeover'] = {}
            for sig, runs in ((signal.SIGKILL, args.kills),
                              (signal.SIGTERM, args.stops)):
                results['takeover'][sig.name] = takeovers(cluster, sig, runs,
                                                          rng)
                checkpoint(results)
        return results


def warm_up(cluster):
    """A few stacks first: the engines' first stack pays for imports and
    caches, and heat_resume's for the ZooKeeper paths it creates once."""
    case = many_stacks(2 * ENGINES, 10)
    result = run_case(cluster, case, 300)
    if result['delete']['status'] != 'ok':
        raise RuntimeError('warm-up failed: %s' % result)


def print_case(kind, case, result):
    for op in ('create', 'delete'):
        fig = result[op]
        if fig['status'] == 'not run':
            continue
        if 'wall' not in fig:
            print('  %-12s %-22s %-6s %s' % (kind, case.title, op,
                                             fig['status']), flush=True)
            continue
        print('  %-12s %-22s %-6s %7.2f s  cpu %6.1f s  sql %7d  zk %4d  '
              '%s' % (kind, case.title, op, fig['wall'], fig['cpu'],
                      fig['sql'], op_requests(fig['zk']), fig['status']),
              flush=True)


# -- report -------------------------------------------------------------------

def op_requests(zk):
    """ZooKeeper requests of the stack operations (kazoo's pings, which
    count with time, the probe does not see)."""
    return sum(zk.values())


def figure(results, kind, case, op):
    """The figures of one cell; None when not run."""
    fig = results.get(kind, {}).get('cases', {}).get(case['name'], {})
    fig = fig.get(op)
    return fig if fig and fig['status'] != 'not run' else None


def wall(fig):
    return fig['wall'] if fig and fig['status'] == 'ok' else None


def fmt(value, spec, width):
    return ('%' + spec) % value if value is not None else '-'.rjust(width)


def ratio(a, b):
    return a / b if a is not None and b else None


COLUMNS = {
    'wall': ('wall s', '7.2f'), 'crit': ('/crit', '6.2f'),
    'legacy': ('/leg', '6.3f'), 'convergence': ('/conv', '6.3f'),
    'cpu': ('CPU s', '6.1f'), 'sql': ('SQL/r', '6.1f'),
    'zk': ('ZK/op', '6.1f'), 'rss': ('MiB', '5.0f')}


def kind_columns(kind):
    if kind == 'heat_resume':
        return ('wall', 'crit', 'legacy', 'convergence', 'cpu', 'sql', 'zk',
                'rss')
    return ('wall', 'crit', 'cpu', 'sql', 'rss')


def cell_values(results, kind, case, op):
    fig = figure(results, kind, case, op)
    crit = case['critical_path'] if op == 'create' else None
    values = {'wall': wall(fig), 'crit': ratio(wall(fig), crit)}
    for stock in ('legacy', 'convergence'):
        values[stock] = ratio(wall(fig), wall(figure(results, stock, case,
                                                     op)))
    if fig and 'cpu' in fig:
        values.update(
            cpu=fig['cpu'], sql=fig['sql'] / case['resources'],
            zk=(op_requests(fig['zk']) / case['stack_ops']
                if kind == 'heat_resume' else None),
            rss=fig['rss'] / 2 ** 20)
    return values


def table(results):
    """The table's lines: rows template x operation, columns per kind."""
    kinds = [k for k in KINDS if k in results['kinds']]
    head1, head2 = '%-24s %-6s %5s' % ('', '', ''), '%-24s %-6s %5s' % (
        'template', 'op', 'res')
    for kind in kinds:
        cols = kind_columns(kind)
        width = sum(int(COLUMNS[c][1].split('.')[0]) + 1 for c in cols)
        head1 += ' |' + TITLES[kind].center(width)
        head2 += ' |' + ''.join(' %*s' % (int(COLUMNS[c][1].split('.')[0]),
                                          COLUMNS[c][0]) for c in cols)
    lines = [head1, head2]
    for case in results['cases']:
        for op in ('create', 'delete'):
            line = '%-24s %-6s %5d' % (case['title'], op, case['resources'])
            for kind in kinds:
                line += ' |' + cells(results['kinds'], kind, case, op)
            lines.append(line)
    return lines


def cells(by_kind, kind, case, op):
    fig = figure(by_kind, kind, case, op)
    cols = kind_columns(kind)
    if fig is not None and fig['status'] != 'ok':
        width = sum(int(COLUMNS[c][1].split('.')[0]) + 1 for c in cols)
        return ('%s' % fig['status'][:width - 1]).rjust(width)
    values = cell_values(by_kind, kind, case, op)
    return ''.join(' ' + fmt(values.get(c), COLUMNS[c][1],
                             int(COLUMNS[c][1].split('.')[0]))
                   for c in cols)


def takeover_lines(results):
    taken = results['kinds'].get('heat_resume', {}).get('takeover', {})
    lines = []
    for name, title in (('SIGKILL', 'kill (SIGKILL)'),
                        ('SIGTERM', 'graceful stop (SIGTERM)')):
        values = taken.get(name)
        if values:
            lines.append(
                'takeover after %s, %d runs: kill -> first resumed action '
                'p50 %.2f s, p95 %.2f s, max %.2f s (session timeout %.0f s)'
                % (title, len(values), statistics.median(values),
                   bench_takeover.percentile(values, 95), max(values),
                   results['session_timeout']))
    return lines


def dag_line(results):
    for case in results['cases']:
        if case['critical_path']:
            return 'critical path of the %s: %d s, %s' % (
                case['title'], case['critical_path'],
                ' -> '.join(case['path']))
    return None


def machine_lines(results):
    info = results.get('machine')
    if not info:
        return []
    loads = ', '.join('%s %.1f-%.1f' % ((kind,) + tuple(data['load']))
                      for kind, data in results['kinds'].items()
                      if 'load' in data)
    return ['%s, %d CPUs; load average (1 min) before-after: %s' % (
        info['date'], info['cpus'], loads),
        ', '.join('%s %s' % kv for kv in info['versions'].items())]


def report(results):
    lines = machine_lines(results) + [dag_line(results), ''] + \
        table(results) + [''] + takeover_lines(results) + [''] + \
        target_lines(results)
    print('\n'.join(line for line in lines if line is not None), flush=True)


# -- targets ------------------------------------------------------------------

def target_lines(results):
    by_kind = results['kinds']
    if 'heat_resume' not in by_kind:
        return []
    lines = ['targets (reported, not asserted):']
    for case in results['cases']:
        if case['critical_path']:
            value = ratio(wall(figure(by_kind, 'heat_resume', case,
                                      'create')), case['critical_path'])
            lines.append('  %s create <= 1.03 x critical path: %s' % (
                case['title'], verdict(value, value is not None and
                                       value <= 1.03, '%.3f x')))
    for case in results['cases']:
        if not case['critical_path']:
            lines.extend(speedup_lines(by_kind, case))
    lines.extend(takeover_targets(results))
    lines.append('  ZooKeeper requests per stack operation independent of '
                 'the resource count: %s' % zk_verdict(results))
    lines.append('  ZooKeeper requests per stack operation: %s' %
                 zk_summary(results))
    return lines


def zk_verdict(results):
    """Met when every create (every delete) made as many requests."""
    totals = collections.defaultdict(set)
    for case in results['cases']:
        for op in ('create', 'delete'):
            fig = figure(results['kinds'], 'heat_resume', case, op)
            if fig and fig['status'] == 'ok':
                totals[op].add(op_requests(fig['zk']) / case['stack_ops'])
    if not totals:
        return 'not measured'
    met = all(len(values) == 1 for values in totals.values())
    return '%s (%s)' % ('met' if met else 'MISSED', ', '.join(
        '%s %s' % (op, '/'.join('%.1f' % v for v in sorted(values)))
        for op, values in sorted(totals.items())))


def verdict(value, met, spec):
    if value is None:
        return 'not measured'
    return (spec % value) + (' (met)' if met else ' (MISSED)')


def speedup_lines(by_kind, case):
    lines = []
    for op in ('create', 'delete'):
        ours = wall(figure(by_kind, 'heat_resume', case, op))
        stock = [w for w in (wall(figure(by_kind, k, case, op))
                             for k in ('legacy', 'convergence'))
                 if w is not None]
        if ours is None or not stock:
            continue
        speedup = min(stock) / ours
        label = 'met, stretch met' if speedup >= 3 else (
            'met' if speedup >= 2 else 'MISSED')
        lines.append('  %s %s >= 2x (3x) faster than the faster stock: '
                     '%.1fx (%s)' % (case['title'], op, speedup, label))
    return lines


def takeover_targets(results):
    limit = results['session_timeout'] + 2
    lines = []
    for name, values in results['kinds']['heat_resume'].get(
            'takeover', {}).items():
        if values:
            p95 = bench_takeover.percentile(values, 95)
            lines.append('  %s takeover p95 <= %.0f s: %s' % (
                name, limit, verdict(p95, p95 <= limit, '%.2f s')))
    return lines


def zk_summary(results):
    parts = []
    for case in results['cases']:
        for op in ('create', 'delete'):
            fig = figure(results['kinds'], 'heat_resume', case, op)
            if fig and fig['status'] == 'ok':
                per_op = {k: v / case['stack_ops']
                          for k, v in sorted(fig['zk'].items())}
                parts.append('%s %s (%d resources, %d stacks): %s' % (
                    case['name'], op, case['resources'], case['stack_ops'],
                    ' '.join('%s %.1f' % kv for kv in per_op.items())))
    return ('\n    ' + '\n    '.join(parts)) if parts else 'not measured'


# -- chart --------------------------------------------------------------------

def chart(results, path):
    """Grouped bars of wall time per row and kind, log scale."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    kinds = [k for k in KINDS if k in results['kinds']]
    rows = [(case, op) for case in results['cases']
            for op in ('create', 'delete')]
    fig, ax = pyplot.subplots(figsize=(13, 5.5))
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        xs, heights, hatches = [], [], []
        for x, (case, op) in enumerate(rows):
            cell = figure(results['kinds'], kind, case, op)
            if cell is None or cell['status'] not in ('ok', 'timeout'):
                continue
            xs.append(x + (k - (len(kinds) - 1) / 2) * width)
            timed_out = cell['status'] == 'timeout'
            heights.append(results['timeout'] if timed_out else cell['wall'])
            hatches.append('//' if timed_out else '')
        bars = ax.bar(xs, heights, width, label=TITLES[kind])
        for bar, hatch, height in zip(bars, hatches, heights):
            bar.set_hatch(hatch)
            ax.annotate('>%.0f' % height if hatch else '%.3g' % height,
                        (bar.get_x() + width / 2, height), ha='center',
                        va='bottom', fontsize=6)
    ax.set_yscale('log')
    ax.set_ylim(top=ax.get_ylim()[1] * 1.6)  # room for the labels
    ax.set_ylabel('wall time, s (log scale; hatched: timeout)')
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(['%s\n%s' % (textwrap.fill(case['title'], 13), op)
                        for case, op in rows], fontsize=7)
    ax.set_title('Three heat-engines per kind, one machine: API call to '
                 'terminal status')
    ax.legend(loc='upper left', ncol=len(kinds))
    ax.grid(axis='y', which='both', alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)


# -- main ---------------------------------------------------------------------

def case_record(case):
    return {'name': case.name, 'title': case.title,
            'resources': case.resources, 'stack_ops': case.stack_ops,
            'critical_path': case.critical_path, 'path': case.path}


def run(args):
    rng = random.Random(args.seed)
    rows = cases(args.quick)
    results = {'cases': [case_record(c) for c in rows], 'kinds': {},
               'timeout': args.timeout, 'session_timeout': SESSION_TIMEOUT,
               'quick': args.quick, 'seed': args.seed, 'machine': machine()}
    for kind in args.only:
        print('== %s: %d engines' % (TITLES[kind], ENGINES), flush=True)
        load = os.getloadavg()[0]

        def checkpoint(figures, kind=kind):
            save(dict(results, kinds=dict(results['kinds'], **{
                kind: figures})), args)

        try:
            results['kinds'][kind] = run_kind(kind, rows, args, rng,
                                              checkpoint)
        except Exception as exc:
            print('%s: %s' % (kind, exc), flush=True)
            results['kinds'][kind] = {'cases': {}, 'error': str(exc)}
        results['kinds'][kind]['load'] = [load, os.getloadavg()[0]]
        save(results, args)
    return results


def save(results, args):
    """The figures so far, as JSON next to the chart: a crash loses
    nothing measured, and --replay prints them again."""
    with open(os.path.splitext(args.chart)[0] + '.json', 'w') as f:
        json.dump(results, f, indent=1)


def machine():
    """What the figures were measured on."""
    versions = {}
    for dist in ('openstack-heat', 'heat-resume', 'SQLAlchemy', 'PyMySQL',
                 'oslo.db', 'kazoo'):
        try:
            versions[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            versions[dist] = None
    return {'cpus': os.cpu_count(), 'versions': versions,
            'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}


def replay(paths):
    """Saved figures; a kind measured again in a later file wins."""
    results = None
    for path in paths:
        with open(path) as f:
            saved = json.load(f)
        if results is None:
            results = saved
        else:
            results['kinds'].update(saved['kinds'])
    return results


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='smaller stacks and fewer kills')
    parser.add_argument('--only', default=','.join(KINDS),
                        help='comma-separated kinds among %s' % ', '.join(
                            KINDS))
    parser.add_argument('--chart', default='bench-engines.png',
                        help='the PNG to write; the figures go to the same '
                        'name with .json')
    parser.add_argument('--timeout', type=float, default=300,
                        help='seconds before one run is reported "timeout"')
    parser.add_argument('--kills', type=int,
                        help='SIGKILLs of the owner (default 20, quick 3)')
    parser.add_argument('--stops', type=int,
                        help='SIGTERMs of the owner (default 5, quick 1)')
    parser.add_argument('--executor-threads', type=int,
                        help='[DEFAULT] executor_thread_pool_size of every '
                        'engine (Heat default 64; it also raises '
                        '[database] max_overflow to it)')
    parser.add_argument('--seed', type=int, default=random.randrange(10**6),
                        help='of the random kill moments')
    parser.add_argument('--replay', metavar='FILE.json', nargs='+',
                        help='print and chart saved figures, run nothing; '
                        'with several files, the kinds of the later ones '
                        'replace those of the earlier ones')
    args = parser.parse_args(argv)
    if args.replay:
        results = replay(args.replay)
    else:
        args.only = [k for k in args.only.split(',') if k]
        if set(args.only) - set(KINDS):
            parser.error('--only: kinds are %s' % ', '.join(KINDS))
        if args.kills is None:
            args.kills = 3 if args.quick else 20
        if args.stops is None:
            args.stops = 1 if args.quick else 5
        print('bench: seed %d' % args.seed, flush=True)
        results = run(args)
    report(results)
    chart(results, args.chart)
    print('chart: %s' % args.chart)
    return 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main(sys.argv[1:]))
