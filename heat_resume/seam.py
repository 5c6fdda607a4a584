"""The only module that patches Heat.

Every Heat symbol heat_resume replaces or wraps, checked against each
release in CHECKED_RELEASES (2025.1, 2026.1, 2026.2; the same shapes in
all three):

==============================================  ===========================
heat.engine.scheduler.DependencyTaskGroup       replaced by a subclass,
                                                ParallelTaskGroup (looked
                                                up on the module at call
                                                time by stack.py, update.py)
                                                -- on a Heat with patches/
                                                applied, chosen by Heat's
                                                option instead, not
                                                patched (extension.py)
heat.engine.resource.Resource.action_handler_task
                                                wrapped: recorded handler
                                                steps (actions.run_handler)
heat.engine.stack.Stack.create/update/delete/   wrapped: each call is one
  suspend/resume/check                          operation (operation.run)
heat.engine.stack.Stack.persist_state_and_release_lock
                                                wrapped: the operation
                                                record goes with the lock;
                                                a lost operation's lock is
                                                freed if still this
                                                engine's
heat.engine.stack.Stack.reset_stack_and_resources_in_progress
                                                wrapped: what Heat's
                                                reset_stack_status runs on
                                                a dead engine's stack (with
                                                the lock stolen): resume
                                                instead, when it can
heat.engine.resource.Resource.data              wrapped: hides the task
                                                record from Heat's code
                                                (export, abandon, backups)
heat.engine.resource.Resource.state_set,        wrapped: fencing, refused
heat.engine.stack.Stack.state_set               unless this engine still
                                                owns the operation
heat.engine.service.EngineService.start/stop    wrapped: join and leave
                                                ZooKeeper (takeover.py)
heat.common.service_utils.engine_alive          wrapped: answered from
                                                ZooKeeper membership
heat.common.service_utils.generate_engine_id    wrapped: learn this
                                                engine's id
[DEFAULT] convergence_engine                    overridden to False while
                                                enabled
==============================================  ===========================

Heat symbols only called (not patched) live in operation.py, progress.py,
takeover.py and actions.py; their imports name them. Those whose shape
matters are checked below too (EXPECTED_SHAPE).

Every wrapper checks ``[heat_resume] enabled`` and the stack's kind at
call time, so an engine with the plugin disabled, and every convergence
stack, behave exactly as stock Heat. ``install`` first checks that each
symbol has the shape it was written against and patches nothing at all
when one does not.
"""

import functools
from importlib import metadata as importlib_metadata
import inspect

from oslo_config import cfg
from oslo_log import log as logging

from heat.common import service_utils
from heat.engine import resource as heat_resource
from heat.engine import scheduler as heat_scheduler
from heat.engine import service as heat_service
from heat.engine import stack as heat_stack
from heat.objects import stack_lock as stack_lock_object

from heat_resume import actions
from heat_resume import conf
from heat_resume import current
from heat_resume import extension
from heat_resume import operation
from heat_resume import progress
from heat_resume import takeover
from heat_resume import taskgroup

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# Release series -> the openstack-heat versions checked: EXPECTED_SHAPE,
# the unit tests (tox -e py3, py3-heat2026.1, py3-heat2025.1) and
# heat-compat. The shape decides, not the version: a Heat of another
# shape is refused, one of a version not listed here only warned about.
CHECKED_RELEASES = {
    '2025.1': ('24.1.2',),
    '2026.1': ('26.0.2',),
    '2026.2': ('27.0.0', '27.0.1'),
}
CHECKED_VERSIONS = tuple(version for series in sorted(CHECKED_RELEASES)
                         for version in CHECKED_RELEASES[series])

STACK_OPERATIONS = ('create', 'update', 'delete', 'suspend', 'resume',
                    'check')

# (owner, attribute, parameters it must accept, in order): identical in
# every checked release (what differs between them, e.g. the stack
# thread's join() or wait(), is not in a signature and handled where used)
EXPECTED_SHAPE = [
    (heat_scheduler, 'DependencyTaskGroup',
     ['dependencies', 'task', 'reverse', 'name', 'error_wait_time',
      'aggregate_exceptions']),
    (heat_scheduler, 'TaskRunner', ['task']),
    (heat_resource.Resource, 'action_handler_task',
     ['self', 'action', 'args', 'action_prefix']),
    (heat_resource.Resource, '_action_recorder', ['self', 'action']),
    (heat_resource.Resource, '_do_action', ['self', 'action']),
    (heat_stack.Stack, 'persist_state_and_release_lock',
     ['self', 'engine_id']),
    (heat_stack.Stack, 'create', ['self', 'msg_queue']),
    (heat_stack.Stack, 'update', ['self', 'newstack', 'msg_queue']),
    (heat_stack.Stack, 'delete', ['self', 'action', 'backup']),
    (heat_stack.Stack, 'suspend', ['self']),
    (heat_stack.Stack, 'resume', ['self']),
    (heat_stack.Stack, 'check', ['self']),
    (heat_stack.Stack, 'reset_stack_and_resources_in_progress',
     ['self', 'reason']),
    (heat_stack.Stack, '_check_for_message', ['msg_queue']),
    (heat_resource.Resource, 'state_set', ['self', 'action', 'status']),
    (heat_stack.Stack, 'state_set', ['self', 'action', 'status']),
    (heat_service.EngineService, 'start', ['self']),
    (heat_service.EngineService, 'stop', ['self']),
    (service_utils, 'engine_alive', ['context', 'engine_id']),
    (heat_resource.Resource, 'data', ['self']),
    (service_utils, 'generate_engine_id', []),
    # only called: operation.Operation.abandoned
    (stack_lock_object.StackLock, 'release',
     ['context', 'stack_id', 'engine_id']),
]


class IncompatibleHeat(Exception):
    """This Heat does not have the shape heat_resume was written for."""


_originals = {}


def check_shape():
    """Raise IncompatibleHeat naming every symbol that does not fit."""
    problems = []
    for owner, name, params in EXPECTED_SHAPE:
        target = getattr(owner, name, None)
        if target is None:
            problems.append('%s.%s is missing' % (owner.__name__, name))
            continue
        if inspect.isclass(target):
            target = target.__init__
            params = ['self'] + params
        target = inspect.unwrap(target)
        try:
            have = list(inspect.signature(target).parameters)
        except (TypeError, ValueError):
            problems.append('%s.%s has no signature' % (owner.__name__, name))
            continue
        if have[:len(params)] != params:
            problems.append('%s.%s%s, expected parameters %s' % (
                owner.__name__, name, tuple(have), tuple(params)))
    if problems:
        raise IncompatibleHeat('; '.join(problems))


def known_releases():
    """'2025.1 (openstack-heat 24.1.2), ...': for the log lines."""
    return ', '.join('%s (openstack-heat %s)' % (
        series, ', '.join(CHECKED_RELEASES[series]))
        for series in sorted(CHECKED_RELEASES))


def heat_version():
    try:
        return importlib_metadata.version('openstack-heat')
    except importlib_metadata.PackageNotFoundError:
        return None


def installed():
    return bool(_originals)


def install():
    """Patch Heat, or log why not and leave it stock. Returns success."""
    if installed():
        sync_conf()
        return True
    version = heat_version()
    try:
        check_shape()
    except IncompatibleHeat as exc:
        LOG.error('heat_resume is NOT installed: this Heat (openstack-heat '
                  '%(version)s) does not have the shape of the releases it '
                  'was checked against: %(known)s. The engine runs stock '
                  'Heat. Details: %(details)s',
                  {'version': version, 'known': known_releases(),
                   'details': exc})
        return False
    if version not in CHECKED_VERSIONS:
        LOG.warning('heat_resume was not checked against openstack-heat '
                    '%(version)s (checked: %(known)s); its shape matches, '
                    'so it is installed', {'version': version,
                                           'known': known_releases()})
    if not extension.install():  # else Heat's own option selects it
        _patch(heat_scheduler, 'DependencyTaskGroup',
               taskgroup.ParallelTaskGroup)
    _patch(heat_resource.Resource, 'action_handler_task',
           _wrap_action_handler_task(
               heat_resource.Resource.action_handler_task))
    for name in STACK_OPERATIONS:
        _patch(heat_stack.Stack, name,
               _wrap_stack_operation(name, getattr(heat_stack.Stack, name)))
    _patch(heat_stack.Stack, 'persist_state_and_release_lock',
           _wrap_persist(heat_stack.Stack.persist_state_and_release_lock))
    _patch(heat_stack.Stack, 'reset_stack_and_resources_in_progress',
           _wrap_reset(heat_stack.Stack.reset_stack_and_resources_in_progress))
    _patch(heat_resource.Resource, 'data',
           _wrap_data(heat_resource.Resource.data))
    _patch(service_utils, 'generate_engine_id',
           _wrap_generate_engine_id(service_utils.generate_engine_id))
    for owner in (heat_resource.Resource, heat_stack.Stack):
        _patch(owner, 'state_set', _wrap_owned_write(owner.state_set))
    _patch(heat_service.EngineService, 'start',
           _wrap_engine_start(heat_service.EngineService.start))
    _patch(heat_service.EngineService, 'stop',
           _wrap_engine_stop(heat_service.EngineService.stop))
    _patch(service_utils, 'engine_alive',
           _wrap_engine_alive(service_utils.engine_alive))
    sync_conf()
    LOG.info('heat_resume installed (enabled=%s)', CONF.heat_resume.enabled)
    return True


def uninstall():
    """Put every patched symbol back (for tests and heat-compat)."""
    for (owner, name), original in _originals.items():
        setattr(owner, name, original)
    _originals.clear()
    extension.uninstall()
    CONF.clear_override('convergence_engine')


def sync_conf():
    """Make new stacks legacy stacks while heat_resume is enabled."""
    extension.sync_conf()
    if CONF.heat_resume.enabled:
        CONF.set_override('convergence_engine', False)
    else:
        CONF.clear_override('convergence_engine')


def _patch(owner, name, replacement):
    _originals[(owner, name)] = owner.__dict__[name]
    setattr(owner, name, replacement)


def _wrap_action_handler_task(original):
    @functools.wraps(original)
    def action_handler_task(self, action, args=None, action_prefix=None):
        if operation.managed(self.stack):
            return actions.run_handler(self, action, args, action_prefix)
        return original(self, action, args, action_prefix)
    return action_handler_task


def _wrap_stack_operation(name, original):
    signature = inspect.signature(original)

    @functools.wraps(original)
    def stack_operation(self, *args, **kwargs):
        call = signature.bind(self, *args, **kwargs).arguments
        if call.get('backup'):
            # clean-up of a backup stack: part of the running update
            return original(self, *args, **kwargs)
        return operation.run(
            self, name.upper(),
            functools.partial(original, self, *args, **kwargs),
            msg_queue=call.get('msg_queue'), newstack=call.get('newstack'))
    return stack_operation


def _wrap_owned_write(original):
    @functools.wraps(original)
    def state_set(self, *args, **kwargs):
        op = current.operation()
        if op is not None:
            op.check_owner('the state of %s' % self.name)
        return original(self, *args, **kwargs)
    return state_set


def _wrap_engine_start(original):
    @functools.wraps(original)
    def start(self):
        result = original(self)
        if CONF.heat_resume.enabled:
            for warning in conf.sizing_warnings(CONF):
                LOG.warning(warning)
            bound = conf.connection_bound(CONF)
            if bound:
                LOG.info('This engine worker may open up to %d database '
                         'connections ([database] max_pool_size + the '
                         'larger of max_overflow and '
                         'executor_thread_pool_size): keep the sum over '
                         'all engine workers below the database server\'s '
                         'connection limit', bound)
        if CONF.heat_resume.enabled and CONF.heat_resume.zookeeper_hosts:
            takeover.join(self)
        return result
    return start


def _wrap_engine_stop(original):
    @functools.wraps(original)
    def stop(self):
        takeover.leave()
        return original(self)
    return stop


def _wrap_engine_alive(original):
    @functools.wraps(original)
    def engine_alive(context, engine_id):
        alive = takeover.engine_alive(engine_id)
        return original(context, engine_id) if alive is None else alive
    return engine_alive


def _wrap_persist(original):
    @functools.wraps(original)
    def persist_state_and_release_lock(self, engine_id):
        stack_id = self.id
        if operation.Operation.fenced_away(stack_id):
            LOG.warning('Engine %(engine)s lost stack %(stack)s: its final '
                        'state is not written', {'engine': engine_id,
                                                 'stack': stack_id})
            operation.Operation.abandoned(self.context, stack_id, engine_id)
            return None
        result = original(self, engine_id)
        if stack_id is not None and operation.managed(self):
            operation.Operation.released(self.context, stack_id)
        return result
    return persist_state_and_release_lock


def _wrap_reset(original):
    @functools.wraps(original)
    def reset_stack_and_resources_in_progress(self, reason):
        if operation.managed(self) and current.operation() is None:
            if takeover.resume_instead_of_reset(self):
                return
        return original(self, reason)
    return reset_stack_and_resources_in_progress


def _wrap_data(original):
    @functools.wraps(original)
    def data(self):
        return progress.without_task(original(self))
    return data


def _wrap_generate_engine_id(original):
    @functools.wraps(original)
    def generate_engine_id():
        engine_id = original()
        progress.set_engine_id(engine_id)
        return engine_id
    return generate_engine_id
