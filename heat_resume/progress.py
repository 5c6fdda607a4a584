"""Progress records in Heat's own tables: no new schema, ever.

Two records, both JSON, both documented in doc/source/progress-format.rst:

* the *operation record*, one per stack with a heat_resume operation in
  flight: a ``sync_point`` row keyed (entity_id=stack id,
  traversal_id=OP_TRAVERSAL, is_update=True). Legacy stacks never use
  sync_point, convergence uses traversal uuids, so the key cannot collide;
  its atomic_key is a compare-and-swap counter, and Heat's purge removes
  lingering rows. It exists exactly while the operation runs.
* the *task record*, one per resource: a ``resource_data`` row under
  TASK_KEY with the phase of the resource's latest action, the engine that
  ran it, the attempt, times, the handler's cookie when it is JSON, and a
  short history of earlier actions. It cascades with the resource row.

The resource row itself keeps action/status exactly as stock Heat writes
them.
"""

import functools
import json

from oslo_config import cfg
from oslo_db import api as oslo_db_api
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils

from heat_resume import engine_identity
from heat_resume import fence
from heat_resume import heat_internals as heat
from heat_resume import resume_rules as rules

LOG = logging.getLogger(__name__)

FORMAT_VERSION = 1
TASK_KEY = 'heat_resume.task'
OP_TRAVERSAL = 'heat-resume-operation'
HISTORY_LENGTH = 10
CACHE_ATTR = '_heat_resume_task'


def _now():
    return timeutils.utcnow().isoformat()


def jsonable(value):
    """Return (True, value as JSON gives it back) or (False, None).

    Datetimes become ISO strings (Heat's own resources parse them back,
    e.g. TestResource's ``(started_at, wait_secs)`` cookie); any other
    object that is not plain data makes the cookie unsaveable.
    """
    try:
        primitive = jsonutils.to_primitive(value, convert_datetime=True,
                                           max_depth=64)
        return True, json.loads(json.dumps(primitive))
    except (TypeError, ValueError):
        return False, None


def retry_on_disconnect(func):
    """Ride out a database restart, as Heat's own retry_on_db_error does.

    With the [database] db_*retry* options (by default about a minute):
    a fencing read that failed at once would fail the resource, and the
    stack, for a database that is back a second later.
    """
    @functools.wraps(func)
    def retried(*args, **kwargs):
        opts = cfg.CONF.database
        return oslo_db_api.wrap_db_retry(
            max_retries=opts.db_max_retries, retry_on_disconnect=True,
            retry_interval=opts.db_retry_interval,
            inc_retry_interval=opts.db_inc_retry_interval,
            max_retry_interval=opts.db_max_retry_interval)(func)(
                *args, **kwargs)
    return retried


# -- task records ---------------------------------------------------------

@retry_on_disconnect
def load_task(context, resource_id):
    """The resource's task record, or None."""
    if resource_id is None:
        return None
    try:
        row = heat.ResourceDataObject.get_by_key(
            context, resource_id, TASK_KEY)
    except heat.NotFound:  # a missing row is normal
        return None
    try:
        return json.loads(row.value)
    except (TypeError, ValueError):
        LOG.warning('Unreadable heat_resume task record on resource %s',
                    resource_id)
        return None


def _best_effort(write):
    """Progress writes never fail the resource action they describe.

    A write that did not happen leaves an older phase behind, and every
    older phase resumes safely: ``handler_started`` goes by
    in_progress_policy, ``handler_returned`` polls again. Returns
    whether the write happened.
    """
    def guarded(resource, *args):
        if resource.id is None:  # never stored: nothing to resume
            return False
        try:
            write(resource, *args)
        except fence.OwnershipLost:
            raise  # not a progress write that failed: the stack is lost
        except Exception as exc:
            LOG.warning('heat_resume could not record progress of %s: %s',
                        resource, exc)
            return False
        return True
    return guarded


def _save_task(resource, record):
    remember(resource, record)
    return _write_task(resource, record)


@_best_effort
@retry_on_disconnect
def _write_task(resource, record):
    heat.ResourceDataObject.set(
        resource, TASK_KEY, json.dumps(record, sort_keys=True))


def _previous_task(resource, action):
    """The resource's last task record, read from the DB only if needed.

    The record this process wrote or loaded last is kept on the resource
    object; a resource with none there that is being created has none.
    """
    cached = getattr(resource, CACHE_ATTR, None)
    if cached is not None:
        return dict(cached)
    if action == resource.CREATE:
        return None
    return load_task(resource.context, resource.id)


def remember(resource, record):
    setattr(resource, CACHE_ATTR, record)


def task_started(resource, action, op_id):
    """Record that handle_<action>() is about to be called.

    Returns the record and whether it was written (for an operation the
    database fences, a write made is a proof of ownership).
    """
    previous = _previous_task(resource, action)
    history = []
    attempt = 1
    if previous:
        history = (previous.pop('history', []) +
                   [_summary(previous)])[-HISTORY_LENGTH:]
        if (previous.get('action') == action and
                previous.get('operation') == op_id):
            attempt = previous.get('attempt', 0) + 1
    record = {'v': FORMAT_VERSION, 'action': action,
              'phase': rules.STARTED,
              'engine': engine_identity.engine_id(), 'operation': op_id,
              'attempt': attempt, 'started_at': _now(),
              'updated_at': None, 'finished_at': None,
              'cookie': None, 'cookie_saved': False, 'history': history}
    return record, _save_task(resource, record)


def task_returned(resource, record, cookie):
    """Record the handler's cookie, the state a resume polls from."""
    saved, value = jsonable(cookie)
    record.update(phase=rules.RETURNED, cookie=value, cookie_saved=saved,
                  updated_at=_now())
    if not saved:
        LOG.info('%s: the %s cookie (%s) is not JSON; a resume will apply '
                 'in_progress_policy', resource, record['action'],
                 type(cookie).__name__)
    _save_task(resource, record)


def task_finished(resource, record, ok):
    record.update(phase=rules.COMPLETE if ok else rules.FAILED,
                  finished_at=_now(), updated_at=_now())
    _save_task(resource, record)


def task_resumed(resource, record):
    """Note that this engine took an in-flight action over."""
    record.setdefault('resumed_by', []).append(
        {'engine': engine_identity.engine_id(), 'from': record.get('engine'),
         'at': _now()})
    record['engine'] = engine_identity.engine_id()
    _save_task(resource, record)


def _summary(record):
    return {k: record.get(k) for k in ('action', 'phase', 'engine',
                                       'attempt', 'operation',
                                       'started_at', 'finished_at')}


def without_task(data):
    """Resource data as Heat's own code should see it."""
    if TASK_KEY not in data:
        return data
    return {k: v for k, v in data.items() if k != TASK_KEY}


# -- operation records ----------------------------------------------------

@retry_on_disconnect
def load_operation(context, stack_id):
    """(record dict, atomic_key) of the stack's operation, or (None, None)."""
    row = heat.SyncPointObject.get_by_key(
        context, stack_id, OP_TRAVERSAL, True)
    if row is None:
        return None, None
    if not isinstance(row.input_data, dict) or 'op' not in row.input_data:
        # not one of ours, or damaged: nothing to resume from; Heat's own
        # reset fails the stack as stock Heat would
        LOG.warning('Unreadable heat_resume operation record of stack %s: '
                    'it is not resumed', stack_id)
        return None, None
    return dict(row.input_data), row.atomic_key


@retry_on_disconnect
def create_operation(context, stack_id, op, action, op_id, token=None):
    record = {'v': FORMAT_VERSION, 'id': op_id, 'op': op, 'action': action,
              'engine': engine_identity.engine_id(), 'started_at': _now(),
              'resumes': 0,
              'token': token, 'history': []}
    delete_operation(context, stack_id)
    heat.SyncPointObject.create(context, {
        'entity_id': stack_id, 'traversal_id': OP_TRAVERSAL,
        'is_update': True, 'stack_id': stack_id, 'atomic_key': 0,
        'input_data': record})
    return record, 0


@retry_on_disconnect
def update_operation(context, stack_id, record, atomic_key):
    """Compare-and-swap the record; return the new key or None if lost."""
    updated = heat.SyncPointObject.update_input_data(
        context, stack_id, OP_TRAVERSAL, True, atomic_key, record)
    return atomic_key + 1 if updated else None


@retry_on_disconnect
def delete_operation(context, stack_id):
    return heat.SyncPointObject.delete_all_by_stack_and_traversal(
        context, stack_id, OP_TRAVERSAL)
