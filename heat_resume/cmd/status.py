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

"""The text of ``heat-resume status``: engines, operations, resources.

Functions of report.StackReport objects and of the engines list, each
returning lines, so that status and watch share them and tests read
them without a terminal.
"""

from heat_resume.cmd import report as reportm

BAR_WIDTH = 24


def progress_bar(counts, width=BAR_WIDTH):
    """``[#####+++---]``: done, in progress, the rest."""
    total = counts['total'] or 1
    done = int(round(width * counts[reportm.DONE] / total))
    running = int(round(width * counts[reportm.RUNNING] / total))
    running = min(running, width - done)
    return '[%s%s%s]' % ('#' * done, '+' * running,
                         '.' * (width - done - running))


def counts_text(counts):
    return '%d done, %d in progress, %d failed, %d pending, %d total' % (
        counts[reportm.DONE], counts[reportm.RUNNING],
        counts[reportm.BROKEN], counts[reportm.PENDING], counts['total'])


def progress_line(counts):
    percent = (100 * counts[reportm.DONE] // counts['total']
               if counts['total'] else 100)
    return '%s %3d%%  %s' % (progress_bar(counts), percent,
                             counts_text(counts))


def operation_line(report):
    """The headline the first heat-resume printed; scripts grep it."""
    record = report.operation
    return 'stack %s: %s by engine %s since %s, resumed %d time(s)%s' % (
        report.id, record.get('op'), record.get('engine'),
        record.get('started_at'), record.get('resumes', 0),
        ' (finished: %s)' % ' '.join(record['final'])
        if record.get('final') else '')


def takeover_lines(report):
    takeovers = report.op_takeovers()
    if not takeovers:
        return ['  takeovers: none']
    return ['  takeovers: %d' % len(takeovers)] + [
        '    %s: engine %s -> engine %s' % (
            at.isoformat(sep=' ') if at else '?', frm, to)
        for at, frm, to in takeovers]


def owner_text(engine, live):
    """An engine id with what is known of its liveness."""
    if engine is None:
        return 'nobody'
    if live is None:
        return engine
    return '%s (%s)' % (engine, 'alive' if live else 'NOT alive')


def stack_lines(report, zk_holder=False, live=None):
    """One stack in a few lines: state, progress, owner, takeovers.

    ``zk_holder`` is the engine holding the stack's ZooKeeper lock, None
    for nobody, False when ZooKeeper is not asked; ``live`` is the set of
    live engine ids, None when unknown.
    """
    def state(engine):
        return owner_text(engine, None if live is None or engine is None
                          else engine in live)

    lines = []
    if report.operation:
        lines.append(operation_line(report))
    else:
        lines.append('stack %s: no heat_resume operation in flight'
                     % report.id)
    action, status = report.state
    lines.append('  name %s, %s %s%s' % (
        report.name, action, status,
        ': %s' % report.row.status_reason if report.row.status_reason
        else ''))
    lines.append('  progress ' + progress_line(report.counts()))
    lock = '  stack_lock %s' % state(report.lock_holder)
    if zk_holder is not False:
        lock += ', ZooKeeper lock %s' % (zk_holder or 'none')
    lines.append(lock)
    if report.operation:
        lines.append('  operation owner %s' % state(report.owner()))
        lines.extend(takeover_lines(report))
    return lines


RESOURCE_FORMAT = '  %-24s %-8s %-12s %-17s %-7s %s'


def resource_lines(report):
    lines = [RESOURCE_FORMAT % ('RESOURCE', 'ACTION', 'STATUS', 'PHASE',
                                'ATTEMPT', 'ENGINE')]
    for view in report.resources:
        lines.append((RESOURCE_FORMAT % (
            view.name, view.action, view.status, view.phase or '-',
            view.attempt or '-', view.engine or '-')).rstrip())
    return lines


def engine_lines(members, reports, zk_holders):
    """ZooKeeper's live engines, each with the operations it owns.

    An engine owns an operation when the operation record names it or
    it holds the stack's ZooKeeper lock (``zk_holders``: stack id ->
    engine id).
    """
    lines = []
    for member in members:
        versions = ', '.join('%s %s' % kv for kv in
                             sorted(member['versions'].items()))
        lines.append('  %s  host %s  pid %s  since %s%s' % (
            member['id'], member['host'] or '?', member['pid'] or '?',
            member['since'] or '?',
            '  (%s)' % versions if versions else ''))
        owned = [r for r in reports
                 if member['id'] in (r.owner(), zk_holders.get(r.id))]
        for r in owned:
            lines.append('    owns stack %s (%s): %s %s' % (
                r.id, r.name, (r.operation or {}).get('op', r.row.action),
                r.row.status))
        if not owned:
            lines.append('    owns no operation')
    return lines


def service_lines(services):
    """Heat's service table: the engines' own reports, when no ZooKeeper."""
    lines = []
    for service in services:
        lines.append('  %s  host %s  %s  last report %s' % (
            service['engine_id'], service['host'], service['status'],
            service['updated_at'] or service['created_at']))
    return lines
