"""Runs a TaskGraph: ready nodes on worker threads, bounded and cancellable.

One coordinator thread owns the graph; workers only run node tasks and
report back through a queue, so the graph needs no lock. Native threads
cannot be killed, so cancelling is cooperative: a worker notices between
two steps of its task and closes it, which is how Heat's own TaskRunner
cancels (the resource is then marked FAILED "... aborted").
"""

import queue
import threading
import time

import futurist
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_CANCEL = object()


class Backoff(object):
    """Polling intervals: start short, grow by a factor, stop at a ceiling."""

    def __init__(self, first, factor, ceiling):
        self.first = first
        self.factor = factor
        self.ceiling = max(first, ceiling)

    def __iter__(self):
        interval = self.first
        while True:
            yield interval
            interval = min(interval * self.factor, self.ceiling)


class Cancellation(object):
    """A request to stop one running task, honoured between its steps."""

    def __init__(self):
        self._wake = threading.Event()
        self.requested = False
        self.grace = None

    def request(self, grace=None):
        self.grace = grace
        self.requested = True
        self._wake.set()

    def sleep(self, seconds):
        """Sleep, but wake up early when cancellation is requested."""
        if seconds > 0 and self._wake.wait(seconds):
            self._wake.clear()


def drive(runner, cancellation, intervals):
    """Step a heat.engine.scheduler.TaskRunner to completion here.

    An interval is the period from one step's start to the next: a step
    that took longer (a check_*_complete that waits itself) is followed
    at once. The runner's own timeout/cancel machinery is reused: a grace
    period becomes Heat's TimedCancel, anything else closes the task at
    once.
    """
    runner.start()
    cancelling = False
    for interval in intervals:
        if runner.done():
            return
        if cancellation.requested and not cancelling:
            cancelling = True
            runner.cancel(grace_period=cancellation.grace)
            if runner.done():
                return
        started = time.monotonic()
        if runner.step():
            return
        cancellation.sleep(interval - (time.monotonic() - started))


class Scheduler(object):
    """Run every node of a TaskGraph through ``run(key, cancellation)``.

    ``run`` executes one node's whole task in the calling worker thread
    and raises on failure. Failure semantics follow Heat's
    DependencyTaskGroup: by default the first failure stops new nodes and
    cancels running ones after their grace period; with ``aggregate`` only
    what depends on the failed node is skipped and every error is kept.
    """

    def __init__(self, graph, run, max_workers, grace_period=None,
                 aggregate=False, name='graph'):
        self.graph = graph
        self.name = name
        self.errors = []
        self._run = run
        self._max_workers = max_workers
        self._grace_period = grace_period
        self._aggregate = aggregate
        self._results = queue.Queue()
        self._cancellations = {}
        self._stopping = False
        self._finished = threading.Event()
        self._executor = None
        self._coordinator = None

    def start(self):
        self._executor = futurist.ThreadPoolExecutor(
            max_workers=self._max_workers)
        self._coordinator = threading.Thread(
            target=self._coordinate, name='heat-resume %s' % self.name,
            daemon=True)
        self._coordinator.start()

    def wait(self, timeout=None):
        """Return True once every node has finished or been cancelled."""
        return self._finished.wait(timeout)

    def cancel(self, graceful=False):
        """Start nothing more; stop running nodes (after grace if asked)."""
        self._results.put((_CANCEL, graceful))

    def _coordinate(self):
        try:
            while True:
                self._dispatch()
                if self.graph.finished():
                    break
                key, outcome = self._results.get()
                if key is _CANCEL:
                    self._stop(graceful=outcome)
                    continue
                self._cancellations.pop(key, None)
                if outcome is None:
                    self.graph.done(key)
                else:
                    self._failed(key, outcome)
        except BaseException as exc:  # noqa: never leave wait() hanging
            LOG.exception('Scheduler %s crashed', self.name)
            self.errors.append((None, exc))
            for cancellation in self._cancellations.values():
                cancellation.request()
        finally:
            self._executor.shutdown(wait=False)
            self._finished.set()

    def _dispatch(self):
        if self._stopping:
            return
        free = self._max_workers - len(self.graph.running())
        for key in self.graph.ready()[:max(free, 0)]:
            self.graph.start(key)
            cancellation = self._cancellations[key] = Cancellation()
            self._executor.submit(self._work, key, cancellation)

    def _work(self, key, cancellation):
        outcome = None
        try:
            self._run(key, cancellation)
        except BaseException as exc:  # noqa: reported, re-raised by caller
            outcome = exc
        self._results.put((key, outcome))

    def _failed(self, key, exc):
        self.graph.fail(key)
        self.errors.append((key, exc))
        if not self._aggregate:
            self._stop(graceful=True)

    def _stop(self, graceful):
        self._stopping = True
        self.graph.cancel_pending()
        for key, cancellation in self._cancellations.items():
            grace = self._grace(key) if graceful else None
            if not cancellation.requested or grace is None:
                cancellation.request(grace)

    def _grace(self, key):
        if callable(self._grace_period):
            return self._grace_period(key)
        return self._grace_period
