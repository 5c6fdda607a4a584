"""The engine-death scenario's steps, shared by the tests and the demo."""

import collections
import glob
import json
import os
import re
import time

from heat_resume_tests.functional import templates

# TestResource.handle_create logs this (via _wait_secs) once per call
HANDLE_CREATE = re.compile(r'(r\d\d) wait_secs:\S+, action:create')


def resource_states(hc, stack_id):
    return {r.resource_name: (r.resource_status, r.resource_status_reason)
            for r in hc.resources.list(stack_id)}


def db_resource_states(cluster, stack_id):
    """Like resource_states, read from the database.

    Needed while no engine runs: every API read is an RPC call to an
    engine and would hang for rpc_response_timeout (60 s).
    """
    return {name: ('%s_%s' % (action, status), reason)
            for name, action, status, reason in cluster.sql(
                'SELECT name, action, status, status_reason FROM resource '
                'WHERE stack_id = %s', stack_id)}


def wait_mid_create(hc, stack_id, min_complete, timeout=60):
    """Wait until >= min_complete resources are done and some in progress."""
    deadline = time.monotonic() + timeout
    states = []
    while time.monotonic() < deadline:
        states = [s for s, _ in resource_states(hc, stack_id).values()]
        if (states.count('CREATE_COMPLETE') >= min_complete and
                'CREATE_IN_PROGRESS' in states):
            return
        time.sleep(0.2)
    raise AssertionError('stack %s never got to mid-create: %s'
                         % (stack_id, states))


def task_records(cluster, stack_id):
    """heat_resume's task record of each resource of the stack."""
    # "d.key" unquoted: MySQL reserves KEY, but not after a period
    return {name: json.loads(value) for name, value in cluster.sql(
        'SELECT r.name, d.value FROM resource r JOIN resource_data d '
        'ON d.resource_id = r.id WHERE r.stack_id = %s '
        "AND d.key = 'heat_resume.task'", stack_id)}


def caught_in_handler(cluster, stack_id):
    """Resources caught between their cloud call and resource_id_set.

    Read just after a kill: the task record says a handler was running
    AND the resource has no physical id. There an object Heat never learnt
    of may stay, and in_progress_policy = retry calls the handler again
    (the documented window, operations.rst); nowhere else.
    """
    unnamed = {name for (name,) in cluster.sql(
        'SELECT name FROM resource WHERE stack_id = %s '
        'AND nova_instance IS NULL', stack_id)}
    return {name for name, rec in task_records(cluster, stack_id).items()
            if rec.get('phase') == 'handler_started' and name in unnamed}


def inside_handler(cluster, stack_id):
    """Resources whose task record says a handler was running (any id).

    Read just after a kill: resuming an update fails these (no cookie to
    poll) and Heat's update then replaces them: a new object, the old one
    deleted (design.rst, UPDATE).
    """
    return {name for name, rec in task_records(cluster, stack_id).items()
            if rec.get('phase') == 'handler_started'}


def doubled(book):
    """Names of the resources that had two ledger objects at once."""
    keys = set(book.duplicates())
    return {e['name'] for e in book.ops('create') if e['key'] in keys}


def wait_for_phase(cluster, stack_id, phase, action=None, timeout=30):
    """Wait until some resource's task record is in ``phase``.

    :param action: only records of this resource action count.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = task_records(cluster, stack_id)
        if any(rec['phase'] == phase and action in (None, rec['action'])
               for rec in records.values()):
            return
        time.sleep(0.05)
    raise AssertionError('no %s task record reached %s'
                         % (action or 'resource', phase))


def nested_stack_id(cluster, stack_id, timeout=60):
    """Id of the stack's (first) nested stack, once it is stored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = cluster.sql('SELECT id FROM stack WHERE owner_id = %s',
                           stack_id)
        if rows:
            return rows[0][0]
        time.sleep(0.05)
    raise AssertionError('stack %s has no nested stack' % stack_id)


def handle_create_calls(cluster):
    """How often each TestResource's handle_create ran, from engine logs."""
    calls = collections.Counter()
    for path in glob.glob(os.path.join(cluster.log_dir, 'engine-*.log')):
        with open(path) as f:
            calls.update(m.group(1) for m in HANDLE_CREATE.finditer(f.read()))
    return calls


def wait_for_db_status(cluster, stack_id, status, timeout=90):
    """Wait for the stack's state in the database, not through the API.

    While an engine is paused (SIGSTOP), API calls routed to it hang for
    the RPC timeout: read the database instead.
    """
    deadline = time.monotonic() + timeout
    current = None
    while time.monotonic() < deadline:
        rows = cluster.sql('SELECT action, status, status_reason FROM stack '
                           'WHERE id = %s', stack_id)
        current = '%s_%s' % rows[0][:2]
        if current == status:
            return rows[0][2]
        if not current.endswith('_IN_PROGRESS'):
            raise AssertionError('stack %s is %s (%s), waiting for %s'
                                 % (stack_id, current, rows[0][2], status))
        time.sleep(0.3)
    raise AssertionError('stack %s still %s after %ss'
                         % (stack_id, current, timeout))


def start_delete(cluster, name):
    """Create 12 resources whose delete takes 2 s, start deleting them.

    Returns once some resource's handle_delete has returned.
    """
    hc = cluster.client()
    stack_id = hc.stacks.create(
        stack_name=name, template=templates.chains(
            count=12, chains=4, create=0, delete=2))['stack']['id']
    cluster.wait_for_stack_status(stack_id, 'CREATE_COMPLETE')
    hc.stacks.delete(stack_id)
    wait_for_phase(cluster, stack_id, 'handler_returned')
    return stack_id


def assert_deleted(cluster, stack_id):
    cluster.wait_for_stack_status(stack_id, 'DELETE_COMPLETE', timeout=90)
    rows = cluster.sql('SELECT name FROM resource WHERE stack_id = %s',
                       stack_id)
    if rows:
        raise AssertionError('resources left: %s' % (rows,))


def written(cluster, stack_id):
    """What the engines wrote for a stack, to compare before and after.

    Resource rows, every resource_data row, events and the stack row: a
    fenced engine must change none of them.
    """
    return {
        'resources': cluster.sql(
            'SELECT name, action, status, status_reason, nova_instance, '
            'engine_id, atomic_key, updated_at FROM resource '
            'WHERE stack_id = %s ORDER BY name', stack_id),
        'resource_data': cluster.sql(
            'SELECT r.name, d.key, d.value FROM resource_data d '
            'JOIN resource r ON d.resource_id = r.id '
            'WHERE r.stack_id = %s ORDER BY r.name, d.key', stack_id),
        'events': cluster.sql(
            'SELECT COUNT(*) FROM event WHERE stack_id = %s', stack_id),
        'stack': cluster.sql(
            'SELECT action, status, status_reason, updated_at FROM stack '
            'WHERE id = %s', stack_id),
    }
