"""This engine's membership in ZooKeeper, and the sweeps for orphans.

With ZooKeeper (``[heat_resume] zookeeper_hosts``) every engine joins at
start-up (``join``, from the seam); Heat's liveness check answers from the
membership (``engine_alive``); when an engine leaves (its session ended:
killed, paused past the timeout, or stopped), the survivors sweep for the
stacks it held and race for them (takeover.resume_stack). A periodic
sweep catches what a watch missed. ``leave`` hands this engine's
operations over when it stops.
"""

from importlib import metadata as importlib_metadata
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from heat_resume import conf
from heat_resume import coordination
from heat_resume import engine_identity
from heat_resume import heat_internals as heat
from heat_resume import operation
from heat_resume import takeover

LOG = logging.getLogger(__name__)


class Membership(object):
    """An engine's side of ZooKeeper: join, sweep, take over, leave."""

    def __init__(self, engine_id, thread_group_mgr):
        self.engine_id = engine_id
        self.thread_group_mgr = thread_group_mgr
        self.coordinator = coordination.Coordinator(
            cfg.CONF.heat_resume, engine_id,
            on_members_lost=self._members_lost,
            on_session_lost=self._session_lost, versions=_versions())
        self._stopping = threading.Event()
        self._sweeping = threading.Lock()
        # engines seen in ZooKeeper and gone since: known to run heat_resume
        self._left = set()
        # stacks whose resume failed (logged once each)
        self._unresumable = set()

    def start(self):
        coordination.set_active(self.coordinator)
        try:
            self.coordinator.start()
        except coordination.CoordinationUnavailable as exc:
            LOG.error('%s. Engine %s refuses new stack operations until it '
                      'is connected (it keeps trying).', exc, self.engine_id)
        threading.Thread(target=self._sweep_periodically, daemon=True,
                         name='heat-resume sweep').start()

    def stop(self):
        """Leave: peers see this engine gone and resume its stacks."""
        self._stopping.set()
        coordination.set_active(None)
        self.coordinator.stop()

    def has_left(self, engine_id):
        """Whether ``engine_id`` was a member this engine saw leave."""
        return engine_id in self._left

    def _members_lost(self, engines):
        self._left.update(engines)
        LOG.info('Engine %(me)s looks for the operations of %(gone)s',
                 {'me': self.engine_id, 'gone': ', '.join(sorted(engines))})
        self.sweep()

    def _session_lost(self, locks):
        # the operations notice at their next write (lock.lost); nothing
        # else to do until a new session is there
        LOG.warning('Engine %(me)s abandons stacks %(ids)s',
                    {'me': self.engine_id,
                     'ids': ', '.join(lock.stack_id for lock in locks)})

    def _sweep_periodically(self):
        interval = cfg.CONF.heat_resume.takeover_sweep_interval
        while not self._stopping.wait(interval):
            try:
                self.sweep()
            except Exception:
                LOG.exception('Sweep for orphaned operations failed')

    def _take(self, stack_id):
        """Resume one orphan; one that fails is logged once and skipped.

        An unloadable stack or a malformed record must not keep the sweep
        from the stacks after it.
        """
        try:
            thread = takeover.resume_stack(stack_id, self.engine_id,
                                           self.thread_group_mgr)
        except Exception:
            if stack_id not in self._unresumable:
                self._unresumable.add(stack_id)
                LOG.exception('Engine %(me)s cannot resume stack %(stack)s; '
                              'skipped (logged once)',
                              {'me': self.engine_id, 'stack': stack_id})
            return False
        self._unresumable.discard(stack_id)
        return thread is not None

    def sweep(self):
        """Resume every operation whose engine is not a live member."""
        if self.coordinator.state != coordination.CONNECTED:
            return []
        with self._sweeping:
            cnxt = heat.get_admin_context()
            alive = set(self.coordinator.members()) | {self.engine_id}
            taken = []
            for stack_id in takeover.orphaned_stack_ids(cnxt, alive):
                if self._take(stack_id):
                    taken.append(stack_id)
            if taken:
                LOG.info('Engine %(me)s took over stacks %(ids)s',
                         {'me': self.engine_id, 'ids': ', '.join(taken)})
            return taken


def _versions():
    versions = {}
    for key, dist in (('heat', 'openstack-heat'),
                      ('heat_resume', 'heat-resume')):
        try:
            versions[key] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            versions[key] = None
    return versions


_membership = {'current': None}


def join(service):
    """Called when an engine starts (seam): join ZooKeeper."""
    membership = Membership(service.engine_id, service.thread_group_mgr)
    _membership['current'] = membership
    membership.start()


def leave():
    """Called when an engine stops (seam): drain, hand over, leave.

    No new resource action starts; running handlers get until
    conf.drain_timeout to return and record their cookies (a peer polls
    from them); then every operation is fenced (this engine writes
    nothing more for it) and, last, the ZooKeeper session is closed, so
    peers resume at once. A handler still running at the bound is handed
    over as after a kill. Without ZooKeeper the operations are resumed
    when an engine starts.
    """
    me = engine_identity.engine_id()
    started = time.monotonic()
    inside = operation.Operation.drain_all(conf.drain_timeout())
    LOG.info('Engine %(me)s drained in %(secs).1fs: %(inside)d handler(s) '
             'still running are handed over as after a kill',
             {'me': me, 'secs': time.monotonic() - started,
              'inside': inside})
    operation.Operation.hand_over_all(
        'engine %s is stopping and handed it over' % me)
    membership = _membership['current']
    if membership is not None:
        _membership['current'] = None
        membership.stop()


def engine_alive(engine_id):
    """Heat's liveness check from ZooKeeper; None: ask Heat's RPC ping.

    A member is alive, and one seen to leave is dead (its session ended:
    it fences itself). Any other engine may run without heat_resume (a
    fleet switched over engine by engine) and is asked as stock Heat asks
    it, by RPC, so a live stock engine's stacks are never taken.
    """
    membership = _membership['current']
    if membership is None:
        return None
    try:
        if membership.coordinator.is_member(engine_id):
            return True
    except coordination.CoordinationUnavailable:
        return None
    return False if membership.has_left(engine_id) else None
