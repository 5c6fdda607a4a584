"""The only module that patches Heat.

Every Heat symbol heat_resume replaces or wraps, checked against each
release in heat_internals.CHECKED_RELEASES (2025.1, 2026.1, 2026.2; the
same shapes in all three):

==============================================  ===========================
heat.engine.scheduler.DependencyTaskGroup       replaced by a subclass,
                                                drop_in.ParallelTaskGroup
                                                (looked up on the module
                                                at call time by stack.py,
                                                update.py)
                                                -- on a Heat with patches/
                                                applied, chosen by Heat's
                                                option instead, not
                                                patched (extension.py)
heat.engine.resource.Resource.action_handler_task
                                                wrapped: recorded handler
                                                steps (handler_loop)
heat.engine.stack.Stack.create/update/delete/   wrapped: each call is one
  suspend/resume/check                          operation (operation.run)
heat.engine.stack.Stack.persist_state_and_release_lock
                                                wrapped: fenced in the
                                                database (the final state,
                                                its event and the release
                                                in one checked transaction);
                                                the operation record goes
                                                with the lock; a lost
                                                operation's lock is freed
                                                if still this engine's
heat.engine.stack.Stack.reset_stack_and_resources_in_progress
                                                wrapped: what Heat's
                                                reset_stack_status runs on
                                                a dead engine's stack (with
                                                the lock stolen): resume
                                                instead, when it can
                                                (takeover.py)
heat.engine.resource.Resource.data              wrapped: hides the task
                                                record from Heat's code
                                                (export, abandon, backups)
heat.engine.resource.Resource.state_set,        wrapped: fencing, refused
heat.engine.stack.Stack.state_set               unless this engine still
                                                owns the operation
heat.engine.resource.Resource.resource_id_set,  wrapped: the same fencing
  data_set, data_delete                         for what handlers write;
                                                retried over a database
                                                restart
heat.engine.service.EngineService.start/stop    wrapped: join and leave
                                                ZooKeeper (membership.py)
heat.db.api.resource_create/update/...          wrapped (FENCED_WRITES):
  (Heat's writes for a legacy operation)        in a transaction that
                                                checks the stack_lock row
                                                names this engine (fence)
heat.common.service_utils.engine_alive          wrapped: answered from
                                                ZooKeeper membership
heat.common.service_utils.generate_engine_id    wrapped: learn this
                                                engine's id
[DEFAULT] convergence_engine                    overridden to False while
                                                enabled
==============================================  ===========================

Heat symbols only called (not patched), and the shape of every symbol
here, are in heat_internals.py, the one module that imports Heat.

Every wrapper checks ``[heat_resume] enabled`` and the stack's kind at
call time, so an engine with the plugin disabled, and every convergence
stack, behave exactly as stock Heat. ``install`` first checks that each
symbol has the shape it was written against and patches nothing at all
when one does not.
"""

import functools
import inspect

from oslo_config import cfg
from oslo_log import log as logging

from heat_resume import bound_operation
from heat_resume import conf
from heat_resume import drop_in
from heat_resume import engine_identity
from heat_resume import extension
from heat_resume import fence
from heat_resume import handler_loop
from heat_resume import heat_internals as heat
from heat_resume import membership
from heat_resume import operation
from heat_resume import progress
from heat_resume import takeover

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

STACK_OPERATIONS = ('create', 'update', 'delete', 'suspend', 'resume',
                    'check')

_originals = {}


def installed():
    return bool(_originals)


def install():
    """Patch Heat, or log why not and leave it stock. Returns success."""
    if installed():
        sync_conf()
        return True
    version = heat.heat_version()
    try:
        heat.check_shape()
    except heat.IncompatibleHeat as exc:
        LOG.error('heat_resume is NOT installed: this Heat (openstack-heat '
                  '%(version)s) does not have the shape of the releases it '
                  'was checked against: %(known)s. The engine runs stock '
                  'Heat. Details: %(details)s',
                  {'version': version, 'known': heat.known_releases(),
                   'details': exc})
        return False
    if version not in heat.CHECKED_VERSIONS:
        LOG.warning('heat_resume was not checked against openstack-heat '
                    '%(version)s (checked: %(known)s); its shape matches, '
                    'so it is installed', {'version': version,
                                           'known': heat.known_releases()})
    if not extension.install():  # else Heat's own option selects it
        _patch(heat.scheduler, 'DependencyTaskGroup',
               drop_in.ParallelTaskGroup)
    for owner, name, wrap in _wrapped():
        _patch(owner, name, wrap(owner.__dict__[name]))
    for name in heat.FENCED_WRITES:
        _patch(heat.db_api, name,
               _wrap_fenced_db_write(heat.db_api.__dict__[name]))
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


def _wrapped():
    """(owner, name, wrapper factory) of every symbol the seam wraps."""
    return ([(heat.Resource, 'action_handler_task',
              _wrap_action_handler_task)] +
            [(heat.Stack, name, functools.partial(_wrap_stack_operation,
                                                  name))
             for name in STACK_OPERATIONS] +
            [(heat.Stack, 'persist_state_and_release_lock', _wrap_persist),
             (heat.Stack, 'reset_stack_and_resources_in_progress',
              _wrap_reset),
             (heat.Resource, 'data', _wrap_data),
             (heat.service_utils, 'generate_engine_id',
              _wrap_generate_engine_id),
             (heat.Resource, 'state_set', _wrap_owned_write),
             (heat.Resource, 'resource_id_set', _wrap_handler_write),
             (heat.Resource, 'data_set', _wrap_handler_write),
             (heat.Resource, 'data_delete', _wrap_handler_write),
             (heat.Stack, 'state_set', _wrap_owned_write),
             (heat.EngineService, 'start', _wrap_engine_start),
             (heat.EngineService, 'stop', _wrap_engine_stop),
             (heat.service_utils, 'engine_alive', _wrap_engine_alive)])


def _patch(owner, name, replacement):
    _originals[(owner, name)] = owner.__dict__[name]
    setattr(owner, name, replacement)


def _wrap_action_handler_task(original):
    @functools.wraps(original)
    def action_handler_task(self, action, args=None, action_prefix=None):
        if operation.managed(self.stack):
            return handler_loop.run_handler(self, action, args,
                                            action_prefix)
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


def _wrap_owned_write(original, what='the state of %(name)s', call=None):
    """A write refused unless this engine still owns the bound operation.

    ``call`` makes the write once the check passed (``original`` itself
    by default); without an operation the write is Heat's own, unchanged.
    """
    call = call or original

    @functools.wraps(original)
    def write(self, *args, **kwargs):
        op = bound_operation.get()
        if op is None:
            return original(self, *args, **kwargs)
        op.check_owner(what % {'name': self.name,
                               'write': original.__name__})
        return call(self, *args, **kwargs)
    return write


def _wrap_handler_write(original):
    """A write a handler makes: fenced, and riding out a database restart.

    ``resource_id_set`` and ``data_set``/``data_delete`` are single-row
    writes, idempotent, so retried as heat_resume's own records are.
    """
    return _wrap_owned_write(original, '%(write)s of %(name)s',
                             progress.retry_on_disconnect(original))


def _wrap_fenced_db_write(original):
    """One of Heat's database writes: refused by the database to a zombie.

    For the bound operation, once the database fences it (fence.py), the
    write runs in a transaction that first checks Heat's stack_lock row
    still names this engine; otherwise nothing is written and the
    operation is lost (OwnershipLost).
    """
    @functools.wraps(original)
    def write(context, *args, **kwargs):
        op = bound_operation.get()
        if op is None or not op.fenced_in_db:
            return original(context, *args, **kwargs)
        try:
            return fence.write_if_owner(context, op.stack_id,
                                        engine_identity.engine_id(),
                                        original, *args, **kwargs)
        except fence.NotOwner as exc:
            op.fenced = str(exc)
            op.check_owner('%s (refused by the database)'
                           % original.__name__)
    return write


def _wrap_engine_start(original):
    @functools.wraps(original)
    def start(self):
        operation.Operation.draining.clear()  # a restart in this process
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
            membership.join(self)
        return result
    return start


def _wrap_engine_stop(original):
    @functools.wraps(original)
    def stop(self):
        try:
            membership.leave()
            return original(self)
        finally:
            # what this engine ran is fenced: an engine started again in
            # this process (or the next test) starts actions as usual
            operation.Operation.draining.clear()
    return stop


def _wrap_engine_alive(original):
    @functools.wraps(original)
    def engine_alive(context, engine_id):
        alive = membership.engine_alive(engine_id)
        return original(context, engine_id) if alive is None else alive
    return engine_alive


def _wrap_persist(original):
    @functools.wraps(original)
    def persist_state_and_release_lock(self, engine_id):
        stack_id = self.id
        fenced = (stack_id is not None and
                  operation.Operation.persist_fenced(stack_id))
        if operation.Operation.fenced_away(stack_id):
            _not_persisted(engine_id, stack_id, 'it fenced itself')
            operation.Operation.abandoned(self.context, stack_id, engine_id)
            return None
        if stack_id is None or not operation.managed(self):
            return original(self, engine_id)
        if not fenced:  # run without Heat's stack_lock row: Heat's tests
            result = original(self, engine_id)
        else:
            try:
                # the final state, its event and the lock release in one
                # transaction the database refuses once the lock moved
                result = fence.write_if_owner(
                    self.context, stack_id, engine_id,
                    lambda context: original(self, engine_id))
            except fence.NotOwner as exc:
                _not_persisted(engine_id, stack_id, exc)
                return None
        operation.Operation.released(self.context, stack_id)
        return result
    return persist_state_and_release_lock


def _not_persisted(engine_id, stack_id, why):
    LOG.warning('Engine %(engine)s lost stack %(stack)s: its final state is '
                'not written (%(why)s)', {'engine': engine_id,
                                          'stack': stack_id, 'why': why})


def _wrap_reset(original):
    @functools.wraps(original)
    def reset_stack_and_resources_in_progress(self, reason):
        if operation.managed(self) and bound_operation.get() is None:
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
        engine_identity.set_engine_id(engine_id)
        return engine_id
    return generate_engine_id
