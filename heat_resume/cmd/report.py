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

"""What the database says about a stack and its heat_resume operation.

Read-only: the stack row, its resource rows with their task records, the
operation record, Heat's stack_lock row and the takeover events, all in
the formats of doc/source/progress-format.rst; and who holds a stack and
whether that engine lives. The commands print or draw what this returns;
nothing here writes (repair.py does).
"""

import collections
import datetime
import json
import re

from oslo_log import log as logging
from oslo_utils import timeutils

from heat_resume.cmd import errors
from heat_resume.cmd import pictures
from heat_resume.cmd import states
from heat_resume import heat_internals as heat
from heat_resume import progress
from heat_resume import resume_rules

LOG = logging.getLogger(__name__)

# how a resource stands in its stack's operation
DONE, RUNNING, BROKEN, PENDING = 'done', 'in progress', 'failed', 'pending'

# the event resumed_operation.ResumedOperation.resume adds
RESUMED_EVENT = re.compile(r'resumed by engine (\S+) after engine (\S+) '
                           r'went down')


def admin_context():
    return heat.get_admin_context()


def parse_time(value):
    """A naive UTC datetime from a record's ISO string (or a datetime)."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        when = value
    else:
        try:
            when = timeutils.parse_isotime(value)
        except ValueError:
            return None
    return timeutils.normalize_time(when)


def find_stack(ctx, ident):
    """The stack row by id, or by name when the name is unique."""
    row = heat.StackObject.get_by_id(ctx, ident, show_deleted=True)
    if row is not None:
        return row
    rows = list(heat.StackObject.get_all(
        ctx, filters={'name': ident}, show_nested=True, show_hidden=True))
    if len(rows) > 1:
        raise errors.CommandError('%d stacks are named %s: give the stack '
                                  'id' % (len(rows), ident))
    if not rows:
        raise errors.CommandError('stack %s does not exist' % ident)
    return rows[0]


class ResourceView(object):
    """A resource row and its task record, as the CLI shows them."""

    def __init__(self, name, type_, action, status, reason='', task=None):
        self.name = name
        self.type = type_ or ''
        self.action = action
        self.status = status
        self.reason = reason or ''
        self.task = task or {}

    @classmethod
    def from_row(cls, row):
        # the type lives in the template, not in the row
        return cls(row.name, None, row.action, row.status,
                   row.status_reason, _task_of(row))

    @property
    def phase(self):
        return self.task.get('phase')

    @property
    def engine(self):
        return self.task.get('engine')

    @property
    def attempt(self):
        return self.task.get('attempt')

    def standing(self, target):
        """DONE, RUNNING, BROKEN or PENDING in an operation doing target.

        ``target`` is the resource action the stack operation makes
        (CREATE for a create); None means any settled state counts as
        done (updates and rollbacks leave some resources untouched).
        """
        if self.status == states.IN_PROGRESS:
            return RUNNING
        if self.status == states.FAILED:
            return BROKEN
        if self.status != states.COMPLETE:
            return PENDING
        if target is None:
            return DONE if self.action != states.INIT else PENDING
        if self.action == target:
            return DONE
        if target == states.DELETE and self.action == states.INIT:
            return DONE  # never created: nothing to delete
        return PENDING


def _task_of(row):
    """The task record among the row's eagerly loaded resource data."""
    for item in getattr(row, 'data', None) or ():
        if item.key == progress.TASK_KEY:
            try:
                return json.loads(item.value)
            except (TypeError, ValueError):
                LOG.warning('Unreadable task record on resource %s',
                            row.id)
                return None
    return None


def target_action(stack_action):
    """The resource action a stack action makes; None: it varies."""
    if stack_action in states.UNIFORM_ACTIONS:
        return stack_action
    return None


class StackReport(object):
    """One stack: its state, its resources, its operation, its lock."""

    def __init__(self, row, resources, operation=None, lock_holder=None):
        self.row = row
        self.resources = sorted(resources, key=lambda r: r.name)
        self.operation = operation
        self.lock_holder = lock_holder

    @classmethod
    def load(cls, ctx, row):
        rows = heat.ResourceObject.get_all_by_stack(ctx, row.id)
        record, _ = progress.load_operation(ctx, row.id)
        holder = heat.StackLockObject.get_engine_id(ctx, row.id)
        return cls(row, [ResourceView.from_row(r) for r in rows.values()],
                   record, holder)

    @property
    def id(self):
        return self.row.id

    @property
    def name(self):
        return self.row.name

    @property
    def state(self):
        return self.row.action, self.row.status

    @property
    def in_progress(self):
        return self.row.status == states.IN_PROGRESS

    def counts(self):
        """Resources done, in progress, failed and pending, and the total."""
        target = target_action(self.row.action)
        counts = collections.OrderedDict(
            (k, 0) for k in (DONE, RUNNING, BROKEN, PENDING))
        for resource in self.resources:
            counts[resource.standing(target)] += 1
        counts['total'] = len(self.resources)
        return counts

    def owner(self):
        """The engine the operation record names, or None."""
        return (self.operation or {}).get('engine')

    def operation_started(self):
        return parse_time((self.operation or {}).get('started_at'))

    def op_takeovers(self):
        """(at, from engine, to engine) from the operation record."""
        record = self.operation or {}
        history = record.get('history') or []
        result = []
        for i, entry in enumerate(history):
            to = (history[i + 1].get('engine') if i + 1 < len(history)
                  else record.get('engine'))
            result.append((parse_time(entry.get('until')),
                           entry.get('engine'), to))
        return result


# -- the timeline: task records as bars -----------------------------------

def latest_operation(report):
    """The operation the timeline shows by default: the running one, or
    the one whose task record started last."""
    if report.operation:
        return report.operation.get('id')
    latest = None
    for resource in report.resources:
        task = resource.task
        start = parse_time(task.get('started_at'))
        if start and (latest is None or start > latest[0]):
            latest = (start, task.get('operation'))
    return latest and latest[1]


def _entries(task):
    """Every action in a task record: the kept history, then the latest."""
    history = list(task.get('history') or [])
    current = {k: v for k, v in task.items() if k != 'history'}
    return history + [current] if task else history


def bars(report, operation=None, now=None, ended=None):
    """Bars (pictures.Bar, times as datetimes) of the resource actions.

    Only ``operation``'s actions, unless it is None. An action taken
    over is split at each takeover: the part before it in the colour of
    the engine that died, the rest in the colour of the one resuming.
    ``ended`` ((resource, action) -> when its last COMPLETE or FAILED
    event was) ends an action whose record never said it ended.
    """
    now = now or timeutils.utcnow()
    ended = ended or {}
    result = []
    for resource in report.resources:
        entries = _entries(resource.task)
        for i, entry in enumerate(entries):
            if operation is not None and entry.get('operation') != operation:
                continue
            start = parse_time(entry.get('started_at'))
            if start is None:
                continue
            end = parse_time(entry.get('finished_at'))
            running = False
            if end is None and i + 1 < len(entries):
                end = parse_time(entries[i + 1].get('started_at'))
            if end is None:
                running = (report.in_progress and
                           entry.get('phase') in resume_rules.IN_FLIGHT)
                heard = [parse_time(entry.get('updated_at')), start,
                         ended.get((resource.name, entry.get('action')))]
                end = now if running else max(t for t in heard if t)
            if (i == len(entries) - 1 and
                    resource.status == states.FAILED and
                    resource.action == entry.get('action')):
                # failed by a resume, which writes only the row
                entry = dict(entry, phase=resume_rules.FAILED)
            result.extend(_split(resource.name, entry, start, end, running))
    return result


def _events(ctx, stack_id):
    return heat.EventObject.get_all_by_stack(ctx, stack_id)


def _ended(events):
    """(resource, action) -> its last COMPLETE or FAILED event's time."""
    ended = {}
    for event in events:
        if event.resource_status in (states.COMPLETE, states.FAILED):
            key = (event.resource_name, event.resource_action)
            when = parse_time(event.created_at)
            if when and (key not in ended or when > ended[key]):
                ended[key] = when
    return ended


def _split(name, entry, start, end, running):
    resumes = [r for r in entry.get('resumed_by') or () if r.get('at')]
    if resumes:
        engines = [resumes[0].get('from')] + [r.get('engine')
                                              for r in resumes]
    else:
        engines = [entry.get('engine')]
    cuts = [start] + [parse_time(r['at']) for r in resumes] + [end]
    pieces = []
    for i, engine in enumerate(engines):
        last = i == len(engines) - 1
        pieces.append(pictures.Bar(
            name, entry.get('action'), engine, cuts[i], cuts[i + 1],
            phase=entry.get('phase') if last else pictures.TAKEN_OVER,
            attempt=entry.get('attempt'), running=running and last))
    return pieces


def takeovers(report, events=(), task_bars=()):
    """Takeovers (pictures.Takeover, times as datetimes), earliest first.

    From the operation record while it exists, the stack's "resumed by"
    events after it is gone, and the task records' resumed_by entries; a
    takeover named by several is kept once, at its earliest precise time.
    """
    found = {}

    def note(at, from_engine, to_engine):
        if at is None or not to_engine:
            return
        key = (from_engine, to_engine)
        if key not in found or at < found[key]:
            found[key] = at

    for at, from_engine, to_engine in report.op_takeovers():
        note(at, from_engine, to_engine)
    for resource in report.resources:
        for entry in resource.task.get('resumed_by') or ():
            note(parse_time(entry.get('at')), entry.get('from'),
                 entry.get('engine'))
    for event in events:
        # only when nothing else tells: MySQL keeps whole seconds of
        # created_at, the records keep microseconds
        match = RESUMED_EVENT.search(event.resource_status_reason or '')
        if match and (match.group(2), match.group(1)) not in found:
            note(parse_time(event.created_at), match.group(2),
                 match.group(1))
    result = [pictures.Takeover(at, to, frm)
              for (frm, to), at in found.items()]
    if task_bars:
        # only those within the operation shown
        first = min(b.start for b in task_bars) - datetime.timedelta(
            seconds=1)
        last = max(b.end for b in task_bars) + datetime.timedelta(
            seconds=1)
        result = [t for t in result if first <= t.at <= last]
    return sorted(result, key=lambda t: t.at)


def timeline(ctx, report, all_operations=False, now=None):
    """(rows, bars, takeovers, origin) for pictures.timeline_svg.

    Times become seconds after ``origin``, the earliest instant shown.
    """
    operation = None if all_operations else latest_operation(report)
    events = _events(ctx, report.id)
    task_bars = bars(report, operation, now, _ended(events))
    marks = takeovers(report, events, task_bars)
    instants = ([b.start for b in task_bars] + [t.at for t in marks])
    origin = min(instants) if instants else timeutils.utcnow()

    def seconds(when):
        return (when - origin).total_seconds()

    for item in task_bars:
        item.start, item.end = seconds(item.start), seconds(item.end)
    for mark in marks:
        mark.at = seconds(mark.at)
    first = {}
    for item in task_bars:
        first[item.resource] = min(first.get(item.resource, item.start),
                                   item.start)
    rows = sorted((r.name for r in report.resources),
                  key=lambda name: (name not in first,
                                    first.get(name, 0), name))
    return rows, task_bars, marks, origin


# -- the task graph -------------------------------------------------------

def dependencies(ctx, row):
    """({resource name: type}, edges required -> needing), Heat's graph.

    The stack is loaded with Heat's parser.Stack.load; its
    ``dependencies`` are the ones Heat's legacy path walks.
    """
    stack = heat.Stack.load(ctx, stack=row)
    graph = stack.dependencies.graph()
    types = {}
    edges = set()
    for key, node in graph.items():
        types[key.name] = key.type()
        for required in node.requires():
            edges.add((required.name, key.name))
    return types, sorted(edges)


def graph_nodes(report, types):
    """pictures.Node for each resource, with its state and phase."""
    views = {r.name: r for r in report.resources}
    nodes = []
    for name in sorted(set(types) | set(views)):
        view = views.get(name)
        if view is None:
            nodes.append(pictures.Node(name, types.get(name)))
            continue
        detail = ''
        if view.phase and view.phase != resume_rules.COMPLETE:
            detail = view.phase
        if view.engine and view.status == states.IN_PROGRESS:
            detail += ' (%s)' % view.engine
        nodes.append(pictures.Node(name, types.get(name) or view.type,
                                   view.action, view.status,
                                   detail.strip()))
    return nodes


# -- who holds a stack, and whether it lives ------------------------------

# Liveness is asked where the engines themselves ask it: ZooKeeper
# membership when [heat_resume] zookeeper_hosts is set, otherwise Heat's
# own service_utils.engine_alive (an RPC ping). The CLI never frees or
# resumes a stack whose holder answers.


def alive(ctx, engine_id, cluster=None):
    """Whether engine_id lives: a ZooKeeper member, or answers Heat's ping.

    ``cluster`` is a connected cluster.Cluster when ZooKeeper is used.
    """
    if cluster is not None:
        return engine_id in cluster.member_ids()
    heat.setup_messaging()
    return bool(heat.engine_alive(ctx, engine_id))


def holders(ctx, stack_id, record=None, cluster=None):
    """Engines that claim the stack: [(engine id, where), ...].

    Heat's stack_lock row, the ZooKeeper lock, and the operation record's
    engine when no stack_lock row names anyone.
    """
    claims = []
    db_holder = heat.StackLockObject.get_engine_id(ctx, stack_id)
    if db_holder:
        claims.append((db_holder, 'stack_lock'))
    if cluster is not None:
        zk_holder = cluster.holder(stack_id)
        if zk_holder:
            claims.append((zk_holder, 'ZooKeeper lock'))
    if not db_holder and record and record.get('engine'):
        claims.append((record['engine'], 'operation record'))
    return claims


def refuse_if_owned(ctx, stack_id, record, cluster, doing):
    """Raise CommandError when a live engine holds the stack.

    A ZooKeeper lock node is ephemeral: while it exists, its owner's
    session lives, so it is a live holder by itself.
    """
    for engine, where in holders(ctx, stack_id, record, cluster):
        if where == 'ZooKeeper lock' or alive(ctx, engine, cluster):
            raise errors.CommandError(
                'refused to %s stack %s: engine %s holds its %s and is '
                'alive' % (doing, stack_id, engine, where))


def engine_services(ctx):
    """Heat's service table: each heat-engine's last report (up/down)."""
    return [heat.format_service(s)
            for s in heat.ServiceObject.get_all(ctx)
            if s.binary == 'heat-engine']


def in_flight(ctx):
    """Reports of every legacy stack IN_PROGRESS, nested ones included."""
    rows = heat.legacy_stacks_in_progress(ctx, show_hidden=True)
    return [StackReport.load(ctx, row) for row in rows]
