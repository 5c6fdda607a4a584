"""Every piece of Heat that heat_resume touches: the one file of a port.

heat_resume reaches into Heat in two ways: the seam (seam.py) replaces or
wraps some of Heat's functions, and the rest of heat_resume calls Heat's
classes, objects and a few private methods. Both go through this module
and nowhere else; no other heat_resume module imports ``heat``. Porting
heat_resume to a new Heat series means reading this file: ``SHAPE`` names
every attribute used, with the parameters it must accept, and
``check_shape`` (called by the seam before it patches anything, and by
the unit tests on every supported series) says which one changed.

Checked against the releases in CHECKED_RELEASES: the same shapes in all
of them (what differs, e.g. the stack thread's join() or wait(), is not
in a signature and is handled where used).
"""

from importlib import metadata as importlib_metadata
import inspect

from heat.common import config  # noqa: F401  Heat's own options
from heat.common import context
from heat.common import exception
from heat.common import messaging
from heat.common import service_utils
from heat.db import api as db_api
from heat.db import models as db_models
from heat.engine import lifecycle_plugin
from heat.engine import resource as heat_resource
from heat.engine.resources.openstack.heat import resource_group
from heat.engine.resources import stack_resource
from heat.engine import scheduler
from heat.engine import service
from heat.engine import stack as heat_stack
from heat.engine import stack_lock
from heat.engine import stk_defn
from heat.engine import template
from heat.objects import event as event_objects
from heat.objects import resource as resource_objects
from heat.objects import resource_data as resource_data_objects
from heat.objects import service as service_objects
from heat.objects import stack as stack_objects
from heat.objects import stack_lock as stack_lock_objects
from heat.objects import sync_point as sync_point_objects

# Release series -> the openstack-heat versions checked: SHAPE, the unit
# tests (tox -e py3, py3-heat2026.1, py3-heat2025.1) and heat-compat. The
# shape decides, not the version: a Heat of another shape is refused, one
# of a version not listed here only warned about.
CHECKED_RELEASES = {
    '2025.1': ('24.1.2',),
    '2026.1': ('26.0.2',),
    '2026.2': ('27.0.0', '27.0.1'),
}
CHECKED_VERSIONS = tuple(version for series in sorted(CHECKED_RELEASES)
                         for version in CHECKED_RELEASES[series])

# -- names the rest of heat_resume uses ------------------------------------

Stack = heat_stack.Stack
Resource = heat_resource.Resource
StackLock = stack_lock.StackLock
Template = template.Template
LifecyclePlugin = lifecycle_plugin.LifecyclePlugin
ThreadGroupManager = service.ThreadGroupManager
EngineService = service.EngineService

# The task group heat_resume's ParallelTaskGroup extends: captured before
# the seam replaces the module attribute.
DependencyTaskGroup = scheduler.DependencyTaskGroup
TaskRunner = scheduler.TaskRunner
ExceptionGroup = scheduler.ExceptionGroup
ForcedCancel = heat_stack.ForcedCancel
PollDelay = heat_resource.PollDelay

HeatException = exception.HeatException
ActionInProgress = exception.ActionInProgress
NotFound = exception.NotFound
ResourceFailure = exception.ResourceFailure
Error = exception.Error

StackObject = stack_objects.Stack
StackLockObject = stack_lock_objects.StackLock
ResourceObject = resource_objects.Resource
ResourceDataObject = resource_data_objects.ResourceData
EventObject = event_objects.Event
ServiceObject = service_objects.Service
SyncPointObject = sync_point_objects.SyncPoint
StackLockModel = db_models.StackLock

# Heat's database writes a legacy stack operation makes (heat.db.api,
# looked up on the module at call time by heat.objects): the seam fences
# each one of them in the database for an owned operation (fence.py).
FENCED_WRITES = ('resource_create', 'resource_update',
                 'resource_update_and_save', 'resource_delete',
                 'resource_data_set', 'resource_data_delete',
                 'resource_exchange_stacks', 'stack_update', 'event_create',
                 'sync_point_update_input_data')


def db_writer(cnxt):
    """A writer transaction of Heat's, that Heat's own writes join."""
    return db_api.context_manager.writer.using(cnxt)


get_admin_context = context.get_admin_context
update_resource_data = stk_defn.update_resource_data
format_service = service_utils.format_service


# The seam wraps these two on their module: look them up at call time.

def engine_alive(cnxt, engine_id):
    """Heat's liveness check (ZooKeeper's answer once the seam is in)."""
    return service_utils.engine_alive(cnxt, engine_id)


def generate_engine_id():
    """A new engine id, as Heat makes one (the seam learns it)."""
    return service_utils.generate_engine_id()


def setup_messaging():
    """Heat's RPC transport, for commands that ping engines."""
    if messaging.TRANSPORT is None:
        messaging.setup()


# -- Heat's private methods heat_resume calls -------------------------------

def check_for_message(msg_queue):
    """Raise ForcedCancel if a cancel message waits (Stack's own check)."""
    Stack._check_for_message(msg_queue)


def action_recorder(resource, action):
    """The context manager that writes IN_PROGRESS, then COMPLETE/FAILED."""
    return resource._action_recorder(action)


def do_action(resource, action):
    """The task running one resource action from its start."""
    return resource._do_action(action)


def add_event(stack, action, status, reason):
    stack._add_event(action, status, reason)


# -- queries ----------------------------------------------------------------

def legacy_stacks_in_progress(cnxt, show_hidden=False):
    """Legacy (non-convergence) stacks IN_PROGRESS, nested ones included."""
    return StackObject.get_all(
        cnxt, filters={'status': Stack.IN_PROGRESS, 'convergence': False},
        show_nested=True, show_hidden=show_hidden)


def child_stack_left(resource):
    """The nested stack an interrupted handle_create of ``resource`` made.

    Heat's StackResource.create_with_template names the child after the
    resource (``physical_resource_name``) and records its owner in the
    create_stack call, before ``resource_id_set``: an engine that died in
    between left a child the resource does not know. None for anything
    else, and for a child that is created in batches (a ResourceGroup's
    ``batch_create``: its cookie holds the batches, which nothing saved).
    """
    if (not isinstance(resource, stack_resource.StackResource) or
            resource.resource_id is not None or resource.id is None):
        return None
    if (type(resource).check_create_complete is not
            stack_resource.StackResource.check_create_complete and
            not _plain_group(resource)):
        return None
    return StackObject.get_by_name_and_owner_id(
        resource.context, resource.physical_resource_name(),
        resource.stack.id)


def _plain_group(resource):
    """A ResourceGroup created in one go: its check is StackResource's."""
    batch = getattr(resource, 'BATCH_CREATE', None)
    return (batch is not None and
            type(resource).check_create_complete is
            resource_group.ResourceGroup.check_create_complete and
            not resource.update_policy.get(batch))


# -- the shape ----------------------------------------------------------------

# (owner, attribute, parameters it must accept, in order). Patched by the
# seam, or called by heat_resume; a class's are its __init__'s.
SHAPE = [
    # patched (seam.py)
    (scheduler, 'DependencyTaskGroup',
     ['dependencies', 'task', 'reverse', 'name', 'error_wait_time',
      'aggregate_exceptions']),
    (Resource, 'action_handler_task',
     ['self', 'action', 'args', 'action_prefix']),
    (Stack, 'persist_state_and_release_lock', ['self', 'engine_id']),
    (Stack, 'create', ['self', 'msg_queue']),
    (Stack, 'update', ['self', 'newstack', 'msg_queue']),
    (Stack, 'delete', ['self', 'action', 'backup']),
    (Stack, 'suspend', ['self']),
    (Stack, 'resume', ['self']),
    (Stack, 'check', ['self']),
    (Stack, 'reset_stack_and_resources_in_progress', ['self', 'reason']),
    (Resource, 'state_set', ['self', 'action', 'status']),
    (Stack, 'state_set', ['self', 'action', 'status']),
    (EngineService, 'start', ['self']),
    (EngineService, 'stop', ['self']),
    (service_utils, 'engine_alive', ['context', 'engine_id']),
    (Resource, 'data', ['self']),
    (Resource, 'resource_id_set', ['self', 'inst']),
    (Resource, 'data_set', ['self', 'key', 'value', 'redact']),
    (Resource, 'data_delete', ['self', 'key']),
    (service_utils, 'generate_engine_id', []),
    (db_api, 'resource_create', ['context', 'values']),
    (db_api, 'resource_update', ['context', 'resource_id', 'values',
                                 'atomic_key', 'expected_engine_id']),
    (db_api, 'resource_update_and_save', ['context', 'resource_id',
                                          'values']),
    (db_api, 'resource_delete', ['context', 'resource_id']),
    (db_api, 'resource_data_set', ['context', 'resource_id', 'key', 'value',
                                   'redact']),
    (db_api, 'resource_data_delete', ['context', 'resource_id', 'key']),
    (db_api, 'resource_exchange_stacks', ['context', 'resource_id1',
                                          'resource_id2']),
    (db_api, 'stack_update', ['context', 'stack_id', 'values',
                              'exp_trvsl']),
    (db_api, 'event_create', ['context', 'values']),
    (db_api, 'sync_point_update_input_data',
     ['context', 'entity_id', 'traversal_id', 'is_update', 'atomic_key',
      'input_data']),
    # called
    (scheduler, 'TaskRunner', ['task']),
    (Resource, '_action_recorder', ['self', 'action']),
    (Resource, '_do_action', ['self', 'action']),
    (Resource, 'reparse', ['self']),
    (Resource, 'node_data', ['self']),
    (Stack, '_check_for_message', ['msg_queue']),
    (Stack, '_add_event', ['self', 'action', 'status', 'reason']),
    (Stack, 'load', ['context', 'stack_id', 'stack']),
    (Stack, 'update_task', ['self', 'newstack', 'action']),
    (Stack, 'get_kwargs_for_cloning', ['self', 'keep_status', 'only_db',
                                       'keep_tags']),
    (Stack, 'stored_context', ['self']),
    (Stack, 'defer_state_persist', ['self']),
    (Stack, 'timeout_secs', ['self']),
    (Template, 'load', ['context', 'template_id', 't']),
    (StackLock, '__init__', ['self', 'context', 'stack_id', 'engine_id']),
    (StackLock, 'thread_lock', ['self', 'retry']),
    (ThreadGroupManager, 'start_with_acquired_lock',
     ['self', 'stack', 'lock', 'func']),
    (stk_defn, 'update_resource_data',
     ['stack_definition', 'resource_name', 'resource_data']),
    (StackObject, 'get_all', ['context']),
    (StackObject, 'get_by_id', ['context', 'stack_id']),
    (StackObject, 'get_by_name_and_owner_id',
     ['context', 'stack_name', 'owner_id']),
    (stack_resource.StackResource, 'physical_resource_name', ['self']),
    (stack_resource.StackResource, 'check_create_complete',
     ['self', 'cookie']),
    (StackLockObject, 'create', ['context', 'stack_id', 'engine_id']),
    (StackLockObject, 'get_engine_id', ['context', 'stack_id']),
    (StackLockObject, 'steal', ['context', 'stack_id', 'old_engine_id',
                                'new_engine_id']),
    (StackLockObject, 'release', ['context', 'stack_id', 'engine_id']),
    (ResourceObject, 'get_all_by_stack', ['context', 'stack_id']),
    (ResourceDataObject, 'get_by_key', ['context', 'resource_id', 'key']),
    (ResourceDataObject, 'set', ['resource', 'key', 'value']),
    (EventObject, 'get_all_by_stack', ['context', 'stack_id']),
    (ServiceObject, 'get_all', ['context']),
    (SyncPointObject, 'get_by_key', ['context', 'entity_id',
                                     'traversal_id', 'is_update']),
    (SyncPointObject, 'create', ['context', 'values']),
    (SyncPointObject, 'update_input_data',
     ['context', 'entity_id', 'traversal_id', 'is_update', 'atomic_key',
      'input_data']),
    (SyncPointObject, 'delete_all_by_stack_and_traversal',
     ['context', 'stack_id', 'traversal_id']),
]


class IncompatibleHeat(Exception):
    """This Heat does not have the shape heat_resume was written for."""


def _name(owner):
    return getattr(owner, '__name__', repr(owner))


def check_shape():
    """Raise IncompatibleHeat naming every symbol that does not fit."""
    problems = []
    for owner, name, params in SHAPE:
        target = getattr(owner, name, None)
        if target is None:
            problems.append('%s.%s is missing' % (_name(owner), name))
            continue
        if inspect.isclass(target):
            target = target.__init__
            params = ['self'] + params
        target = inspect.unwrap(target)
        try:
            have = list(inspect.signature(target).parameters)
        except (TypeError, ValueError):
            problems.append('%s.%s has no signature' % (_name(owner), name))
            continue
        if have[:len(params)] != params:
            problems.append('%s.%s%s, expected parameters %s' % (
                _name(owner), name, tuple(have), tuple(params)))
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
