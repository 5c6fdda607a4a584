"""heat_resume in an eventlet-patched process, as heat-engine 24.x runs.

Heat 2025.1 (24.x) is the last series whose heat-engine starts with
``eventlet.monkey_patch()``. Each test runs a child Python that patches
first, as heat-engine does, then checks that the scheduler's workers are
green threads (concurrent, and never blocking the hub), that kazoo's
eventlet handler is chosen and talks to a real ZooKeeper, and that Heat
stacks run through the seam. tox -e py3-heat2025.1 runs them on Heat
24.x; they pass on every series, eventlet being installed with Heat.
"""

import json
import os
import subprocess
import sys
import textwrap

import testtools

from heat_resume_tests.unit import base

try:
    import eventlet  # noqa: F401  only the children patch with it
except ImportError:  # pragma: no cover - every Heat series brings it
    eventlet = None

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def run_patched(code, timeout=120):
    """Run ``code`` in a monkey-patched child; return its last JSON line."""
    script = 'import eventlet\neventlet.monkey_patch()\n' + textwrap.dedent(
        code)
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', script],
                         capture_output=True, text=True, timeout=timeout,
                         cwd=TOP)
    if out.returncode != 0:
        raise AssertionError('child failed (%d): %s%s' % (
            out.returncode, out.stdout[-2000:], out.stderr[-4000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


SCHEDULER = '''
import json
import threading
import time

from eventlet import patcher
from heat_resume import graph
from heat_resume import scheduler

threads = set()


def run(key, cancellation):
    threads.add(threading.get_native_id())
    time.sleep(0.5)


ticks = []


def ticker():
    while True:
        ticks.append(time.monotonic())
        time.sleep(0.02)


threading.Thread(target=ticker, daemon=True).start()
result = {'patched': patcher.is_monkey_patched('thread')}
for workers in (4, 2):
    sched = scheduler.Scheduler(
        graph.TaskGraph({'n%d' % i: set() for i in range(4)}), run,
        max_workers=workers)
    del ticks[:]
    started = time.monotonic()
    sched.start()
    finished = sched.wait(10)
    elapsed = time.monotonic() - started
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    result[workers] = {'finished': finished, 'elapsed': elapsed,
                       'errors': len(sched.errors),
                       'longest_tick_gap': max(gaps or [elapsed])}
result['native_threads'] = len(threads | {threading.get_native_id()})
print(json.dumps(result))
'''


COORDINATION = '''
import json

from oslo_config import cfg

from heat_resume import conf
from heat_resume import coordination

opts = cfg.ConfigOpts()
conf.register_opts(opts)
opts([], default_config_files=[])
opts.set_override('zookeeper_hosts', [%(hosts)r], conf.GROUP)
opts.set_override('zookeeper_connection_timeout', 10.0, conf.GROUP)
coord = coordination.Coordinator(opts.heat_resume, 'engine-green')
coord.start()
lock = coord.lock('stack-1')
result = {'handler': type(coord.client.handler).__name__,
          'state': coord.state, 'member': coord.is_member('engine-green'),
          'holder': coord.holder('stack-1'), 'token': lock.token}
lock.release()
result['after_release'] = coord.holder('stack-1')
coord.stop()
print(json.dumps(result))
'''


STACKS = '''
import io
import json
import unittest

suite = unittest.defaultTestLoader.loadTestsFromNames([
    'heat_resume_tests.unit.test_smoke',
    'heat_resume_tests.unit.test_operations'])
result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
print(json.dumps({'run': result.testsRun, 'bad': [
    '%s: %s' % (test.id(), trace[-1500:])
    for test, trace in result.failures + result.errors]}))
'''


@testtools.skipIf(eventlet is None, 'eventlet is not installed')
class EventletTest(testtools.TestCase):
    def test_scheduler_workers_are_green_and_concurrent(self):
        result = run_patched(SCHEDULER)
        self.assertTrue(result['patched'])
        # futurist's ThreadPoolExecutor makes green threads once threading
        # is patched: all of them share the one native thread
        self.assertEqual(1, result['native_threads'])
        four, two = result['4'], result['2']
        self.assertTrue(four['finished'] and two['finished'])
        self.assertEqual(0, four['errors'] + two['errors'])
        # 4 sleeps of 0.5 s on 4 workers overlap; on 2 they take two turns
        self.assertLess(four['elapsed'], 1.0)
        self.assertGreaterEqual(two['elapsed'], 1.0)
        self.assertLess(two['elapsed'], 2.0)
        # another green thread kept running all along: nothing blocked
        # the hub (a native wait would stall it for the whole run)
        for run in (four, two):
            self.assertLess(run['longest_tick_gap'], 0.25)

    def test_stacks_run_through_the_seam(self):
        result = run_patched(STACKS, timeout=300)
        self.assertEqual([], result['bad'])
        self.assertGreater(result['run'], 10)


@testtools.skipIf(eventlet is None, 'eventlet is not installed')
class EventletZooKeeperTest(base.ZooKeeperTestCase):
    def test_kazoo_eventlet_handler_with_a_real_zookeeper(self):
        result = run_patched(COORDINATION % {'hosts': self.zk.hosts})
        self.assertEqual('SequentialEventletHandler', result['handler'])
        self.assertEqual('CONNECTED', result['state'])
        self.assertTrue(result['member'])
        self.assertEqual('engine-green', result['holder'])
        self.assertGreater(result['token'], 0)
        self.assertIsNone(result['after_release'])
