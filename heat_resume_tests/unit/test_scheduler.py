import threading
import time

import testtools

from heat.engine import scheduler as heat_scheduler

from heat_resume import graph
from heat_resume import scheduler


class Recorder(object):
    """A run() for the Scheduler that sleeps and records what it did."""

    def __init__(self, secs=0.1, fail=(), slow=()):
        self.secs = secs
        self.fail = set(fail)
        self.slow = set(slow)
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.started = {}
        self.finished = {}
        self.cancelled = set()

    def __call__(self, key, cancellation):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.started[key] = time.monotonic()
        try:
            deadline = time.monotonic() + (
                5 if key in self.slow else self.secs)
            while time.monotonic() < deadline:
                if cancellation.requested:
                    self.cancelled.add(key)
                    return
                cancellation.sleep(0.01)
            if key in self.fail:
                raise ValueError('%s failed' % key)
        finally:
            with self.lock:
                self.running -= 1
                self.finished[key] = time.monotonic()


def run(requires, recorder, **kwargs):
    sched = scheduler.Scheduler(graph.TaskGraph(requires), recorder,
                                max_workers=kwargs.pop('max_workers', 16),
                                **kwargs)
    started = time.monotonic()
    sched.start()
    if not sched.wait(20):
        raise AssertionError('scheduler did not finish')
    return sched, time.monotonic() - started


class SchedulerTest(testtools.TestCase):
    def test_wide_graph_runs_in_parallel(self):
        rec = Recorder(secs=0.3)
        sched, elapsed = run({'n%d' % i: set() for i in range(10)}, rec)
        self.assertEqual([], sched.errors)
        self.assertEqual(10, rec.peak)
        self.assertLess(elapsed, 1.0)

    def test_concurrency_is_bounded(self):
        rec = Recorder(secs=0.05)
        run({'n%d' % i: set() for i in range(12)}, rec, max_workers=3)
        self.assertEqual(3, rec.peak)
        self.assertEqual(12, len(rec.finished))

    def test_requirements_finish_first(self):
        rec = Recorder(secs=0.05)
        run({'a': set(), 'b': {'a'}, 'c': {'a'}, 'd': {'b', 'c'}}, rec)
        self.assertLessEqual(rec.finished['a'], rec.started['b'])
        self.assertLessEqual(rec.finished['a'], rec.started['c'])
        self.assertLessEqual(max(rec.finished['b'], rec.finished['c']),
                             rec.started['d'])

    def test_failure_cancels_the_rest_after_grace(self):
        rec = Recorder(secs=0.05, fail={'a'}, slow={'b'})
        grace = {}
        sched, elapsed = run({'a': set(), 'b': set(), 'c': {'a'}}, rec,
                             grace_period=lambda k: grace.setdefault(k, 0.2))
        self.assertEqual(['a'], [k for k, e in sched.errors])
        self.assertIn('b', rec.cancelled)
        self.assertNotIn('c', rec.started)
        self.assertEqual({'b': 0.2}, grace)
        self.assertLess(elapsed, 2)

    def test_aggregate_keeps_independent_chains_going(self):
        rec = Recorder(secs=0.05, fail={'a'})
        sched, _ = run({'a': set(), 'b': {'a'}, 'x': set(), 'y': {'x'}},
                       rec, aggregate=True)
        self.assertEqual(['a'], [k for k, e in sched.errors])
        self.assertNotIn('b', rec.started)
        self.assertIn('y', rec.finished)
        self.assertEqual(graph.CANCELLED, sched.graph.state('b'))

    def test_cancel_stops_running_nodes(self):
        rec = Recorder(slow={'a', 'b'})
        sched = scheduler.Scheduler(
            graph.TaskGraph({'a': set(), 'b': set(), 'c': {'a'}}), rec, 4)
        sched.start()
        time.sleep(0.1)
        sched.cancel()
        self.assertTrue(sched.wait(2))
        self.assertEqual({'a', 'b'}, rec.cancelled)
        self.assertNotIn('c', rec.started)

    def test_backoff_grows_to_ceiling(self):
        intervals = iter(scheduler.Backoff(0.02, 2, 0.1))
        self.assertEqual([0.02, 0.04, 0.08, 0.1, 0.1],
                         [next(intervals) for _ in range(5)])


class DriveTest(testtools.TestCase):
    def steps(self, log):
        def task():
            try:
                while True:
                    log.append('step')
                    yield
            except GeneratorExit:
                log.append('closed')
                raise
        return heat_scheduler.TaskRunner(task)

    def test_runs_to_completion_with_short_polls(self):
        def task():
            for _ in range(5):
                yield
        started = time.monotonic()
        scheduler.drive(heat_scheduler.TaskRunner(task),
                        scheduler.Cancellation(),
                        scheduler.Backoff(0.01, 1, 0.01))
        self.assertLess(time.monotonic() - started, 0.5)

    def test_immediate_cancel_closes_the_task(self):
        log = []
        cancellation = scheduler.Cancellation()
        cancellation.request()
        scheduler.drive(self.steps(log), cancellation,
                        scheduler.Backoff(0.01, 1, 0.01))
        self.assertEqual('closed', log[-1])

    def test_grace_period_lets_the_task_run_on(self):
        log = []
        cancellation = scheduler.Cancellation()
        cancellation.request(grace=0.2)
        started = time.monotonic()
        scheduler.drive(self.steps(log), cancellation,
                        scheduler.Backoff(0.01, 1, 0.01))
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual('closed', log[-1])
        self.assertGreater(log.count('step'), 3)


class PollPeriodTest(testtools.TestCase):
    def test_a_slow_step_is_followed_at_once(self):
        stamps = []

        def task():
            for _ in range(3):
                stamps.append(time.monotonic())
                time.sleep(0.2)  # a check that waits by itself
                yield

        scheduler.drive(heat_scheduler.TaskRunner(task),
                        scheduler.Cancellation(),
                        scheduler.Backoff(0.15, 1, 0.15))
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        for gap in gaps:
            self.assertLess(gap, 0.3)
