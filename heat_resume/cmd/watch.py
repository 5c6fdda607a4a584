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

"""``heat-resume watch``: a stack's operation, live, until it ends.

It polls the database (the stack row, resource rows, task records and
the operation record) every interval. On a terminal it redraws a
progress bar and the resources in place; otherwise (a pipe, a log) it
prints a line per change, so the output reads as a log. A takeover is
printed as it is seen: the operation record names a new engine and
counts one more resume.
"""

import shutil
import sys
import time

from oslo_log import log as logging
from oslo_utils import timeutils

from heat_resume.cmd import errors
from heat_resume.cmd import report as reportm
from heat_resume.cmd import states
from heat_resume.cmd import status as statusm
from heat_resume import heat_internals as heat

LOG = logging.getLogger(__name__)

COLOURS = {state: colour.ansi for state, colour in states.COLOURS.items()
           if colour.ansi}
RESET = '\x1b[0m'

# what goes first when a terminal cannot show every resource
ORDER = {reportm.RUNNING: 0, reportm.BROKEN: 1, reportm.PENDING: 2,
         reportm.DONE: 3}


class Watch(object):
    def __init__(self, ctx, stack_id, interval=1.0, out=None, tty=None,
                 sleep=time.sleep):
        self.ctx = ctx
        self.stack_id = stack_id
        self.interval = interval
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.sleep = sleep
        self.began = time.monotonic()
        self.started = None          # the operation's start, when known
        self.takeovers_seen = 0
        self.states = {}
        self.last_progress = None
        self.frame = 0               # lines of the last frame drawn

    def run(self):
        """Poll until the stack is no longer IN_PROGRESS; the exit code."""
        report = None
        while True:
            row = heat.StackObject.get_by_id(self.ctx, self.stack_id,
                                             show_deleted=True)
            if row is None:
                raise errors.CommandError('stack %s disappeared'
                                          % self.stack_id)
            report = reportm.StackReport.load(self.ctx, row)
            if self.started is None:
                self.started = report.operation_started()
            events = self._takeovers(report)
            if self.tty:
                self._redraw(report, events)
            else:
                self._log(report, events)
            if not report.in_progress:
                break
            self.sleep(self.interval)
        action, status = report.state
        self._write('stack %s %s %s%s%s' % (
            report.name, action, status,
            ' after %.1f s' % self.elapsed() if self.started else '',
            ': %s' % report.row.status_reason
            if report.row.status_reason else ''))
        return 0 if status == states.COMPLETE else 1

    def elapsed(self):
        if self.started is not None:
            return (timeutils.utcnow() - self.started).total_seconds()
        return time.monotonic() - self.began

    # -- what changed ------------------------------------------------------

    def _takeovers(self, report):
        """Lines for takeovers not printed yet (all of them, at first)."""
        lines = []
        takeovers = report.op_takeovers()
        for at, from_engine, to_engine in takeovers[self.takeovers_seen:]:
            after = ''
            if at is not None and self.started is not None:
                after = ' after %.1f s' % (at - self.started).total_seconds()
            lines.append('taken over by engine %s%s (engine %s went down)'
                         % (to_engine, after, from_engine))
        self.takeovers_seen = max(self.takeovers_seen, len(takeovers))
        return lines

    def _changed_resources(self, report):
        changed = []
        for view in report.resources:
            state = (view.action, view.status, view.phase, view.engine)
            if self.states.get(view.name) != state:
                self.states[view.name] = state
                changed.append(view)
        return changed

    # -- plain lines (not a terminal) -------------------------------------

    def _log(self, report, events):
        first = self.last_progress is None
        if first:
            self._write('watching stack %s (%s): %s %s, %d resource(s)' % (
                report.name, report.id, report.row.action,
                report.row.status, len(report.resources)))
        for line in events:
            self._write(line)
        for view in self._changed_resources(report):
            self._write('  %s: %s %s%s%s' % (
                view.name, view.action, view.status,
                ' (%s)' % view.phase if view.phase else '',
                ' engine %s' % view.engine if view.engine else ''))
        line = statusm.progress_line(report.counts())
        if line != self.last_progress:
            self.last_progress = line
            self._write('%6.1f s %s' % (self.elapsed(), line))

    # -- a redrawn frame (a terminal) -------------------------------------

    def _redraw(self, report, events):
        self._changed_resources(report)
        lines = self._frame(report)
        if self.frame:
            # up to the first line of the last frame, clear to the end
            self.out.write('\x1b[%dA\x1b[J' % self.frame)
        for line in events:
            self._write(line)
        width = shutil.get_terminal_size().columns
        for line in lines:
            self._write(fit(line, width))
        self.frame = len(lines)

    def _frame(self, report):
        action, status = report.state
        head = 'stack %s (%s) %s %s  %.1f s%s' % (
            report.name, report.id, action, self._colour(status),
            self.elapsed(), '  engine %s' % report.owner()
            if report.owner() else '')
        lines = [head, statusm.progress_line(report.counts())]
        room = max(shutil.get_terminal_size().lines - 4, 3)
        target = reportm.target_action(action)
        views = report.resources
        if len(views) > room:
            views = sorted(views, key=lambda v: (ORDER[v.standing(target)],
                                                 v.name))
        for view in views[:room]:
            lines.append('  %-24s %-8s %s %s%s' % (
                view.name, view.action, self._colour(view.status),
                view.phase or '', ' (%s)' % view.engine
                if view.engine and view.status == states.IN_PROGRESS
                else ''))
        if len(views) > room:
            lines.append('  ... and %d more' % (len(views) - room))
        return lines

    def _colour(self, status):
        if status in COLOURS:
            return '%s%-11s%s' % (COLOURS[status], status, RESET)
        return '%-11s' % status

    def _write(self, line):
        self.out.write(line + '\n')
        self.out.flush()


def fit(line, width):
    """The line cut to ``width`` visible characters, colours kept.

    A line that wraps would break the redraw, which moves the cursor up
    one terminal line per frame line.
    """
    visible = 0
    out = []
    i = 0
    while i < len(line):
        if line[i] == '\x1b':
            end = line.find('m', i)
            end = len(line) - 1 if end < 0 else end
            out.append(line[i:end + 1])
            i = end + 1
            continue
        if visible == width - 1:
            out.append(RESET if '\x1b' in line else '')
            break
        out.append(line[i])
        visible += 1
        i += 1
    return ''.join(out)
