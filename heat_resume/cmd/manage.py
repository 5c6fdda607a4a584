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

"""heat-resume: see, draw, resume and release heat_resume operations.

Reads heat.conf like Heat's own tools::

    heat-resume --config-file /etc/heat/heat.conf status [STACK]
    heat-resume ... watch STACK [--interval SECONDS]
    heat-resume ... graph STACK [--format dot|svg] [-o FILE]
    heat-resume ... timeline STACK [--all] [-o FILE.svg]
    heat-resume ... resume STACK [--yes]
    heat-resume ... release STACK [--yes]

STACK is a stack id, or a name that only one stack has.

``status`` lists the live engines (ZooKeeper membership, or Heat's
service table without ZooKeeper) with the operations each owns, and every
operation in flight with its progress, owner, locks and takeovers; with
STACK, that stack resource by resource. ``watch`` follows one stack's
operation live until it ends (exit 0 if COMPLETE, 1 if FAILED). ``graph``
draws the stack's task graph (DOT, or SVG coloured by resource state),
``timeline`` its resource actions over time as SVG, coloured by engine,
with takeovers marked. ``resume`` takes over an operation whose engine
died, in this process; ``release`` frees a stack a dead engine left
locked, as Heat's own reset would. Both refuse while the holder lives and
ask for confirmation (``--yes`` skips it; without a terminal, it is
required).

Errors are one line on stderr with exit code 2: an unreachable database
or ZooKeeper, a missing stack, a refusal.
"""

import logging as std_logging
import sys
import warnings

from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_log import log as logging
import sqlalchemy

from heat_resume.cmd import cluster as clusterm
from heat_resume.cmd import errors
from heat_resume.cmd import states

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


# -- commands -------------------------------------------------------------

def do_status(stack_id=None):
    """The engines and operations in flight, or one stack in detail."""
    from heat_resume.cmd import report
    from heat_resume.cmd import status
    ctx = report.admin_context()
    if stack_id:
        row = report.find_stack(ctx, stack_id)
        one = report.StackReport.load(ctx, row)
        reports = [one]
    else:
        reports = report.in_flight(ctx)
    cluster, zk_error = clusterm.optional(CONF.heat_resume)
    try:
        live, zk_holders, engines = _engines(ctx, cluster, reports)
    finally:
        if cluster is not None:
            cluster.close()
    if stack_id:
        lines = status.stack_lines(one, zk_holders.get(one.id, False), live)
        lines += status.resource_lines(one)
    else:
        lines = _overview(reports, live, zk_holders, engines)
    print('\n'.join(lines))
    if zk_error is not None:
        return _fail(zk_error)
    return EXIT_OK


def _engines(ctx, cluster, reports):
    """(live engine ids or None, ZooKeeper holders by stack, lines)."""
    from heat_resume.cmd import report
    from heat_resume.cmd import status
    if cluster is not None:
        members = cluster.members()
        holders = {r.id: cluster.holder(r.id) for r in reports}
        lines = ['engines alive (ZooKeeper %s, %s): %d' % (
            cluster.hosts, cluster.base, len(members))]
        lines += status.engine_lines(members, reports, holders)
        return {m['id'] for m in members}, holders, lines
    if CONF.heat_resume.zookeeper_hosts:
        return None, {}, ['engines: unknown, ZooKeeper %s is unreachable'
                          % ','.join(CONF.heat_resume.zookeeper_hosts)]
    services = report.engine_services(ctx)
    lines = ['engines (Heat\'s service table, ZooKeeper not configured): '
             '%d up' % sum(s['status'] == 'up' for s in services)]
    lines += status.service_lines(services)
    return ({s['engine_id'] for s in services if s['status'] == 'up'},
            {}, lines)


def _overview(reports, live, zk_holders, engine_lines):
    from heat_resume.cmd import status
    lines = list(engine_lines)
    operations = [r for r in reports if r.operation]
    lines.append('operations in flight: %d' % len(operations))
    for one in operations:
        lines += status.stack_lines(one, zk_holders.get(one.id, False),
                                    live)
    if not operations:
        lines.append('no heat_resume operation in flight')
    others = [r for r in reports if not r.operation]
    if others:
        lines.append('stacks IN_PROGRESS without a heat_resume operation '
                     '(stock Heat runs them): %d' % len(others))
        for one in others:
            lines.append('  %s (%s): %s %s, stack_lock %s' % (
                one.id, one.name, one.row.action, one.row.status,
                status.owner_text(one.lock_holder, None if live is None
                                  else one.lock_holder in live)))
    return lines


def do_watch(stack_id, interval=1.0):
    """Follow one stack's operation until it ends."""
    from heat_resume.cmd import report
    from heat_resume.cmd import watch
    ctx = report.admin_context()
    row = report.find_stack(ctx, stack_id)
    return watch.Watch(ctx, row.id, interval=interval).run()


def do_graph(stack_id, format='svg', output=None):
    """The stack's task graph as DOT or as SVG."""
    from heat_resume.cmd import pictures
    from heat_resume.cmd import report
    ctx = report.admin_context()
    row = report.find_stack(ctx, stack_id)
    one = report.StackReport.load(ctx, row)
    types, edges = report.dependencies(ctx, row)
    nodes = report.graph_nodes(one, types)
    title = 'stack %s (%s) %s %s' % (row.name, row.id, row.action,
                                     row.status)
    if format == 'dot':
        text = pictures.dot(title, nodes, edges)
    else:
        text = pictures.graph_svg(title, nodes, edges)
    _emit(text, output, 'task graph of stack %s' % row.name)
    return EXIT_OK


def do_timeline(stack_id, output=None, all_operations=False):
    """The stack's resource actions over time, as SVG."""
    from heat_resume.cmd import pictures
    from heat_resume.cmd import report
    ctx = report.admin_context()
    row = report.find_stack(ctx, stack_id)
    one = report.StackReport.load(ctx, row)
    rows, bars, takeovers, origin = report.timeline(ctx, one,
                                                    all_operations)
    if not bars:
        print('stack %s has no heat_resume task records: nothing to draw '
              'but its resources' % row.name, file=sys.stderr)
    subtitle = '%s %s; 0 s = %s UTC; %d action(s), %d takeover(s)' % (
        row.action, row.status, origin.isoformat(sep=' '),
        sum(b.phase != pictures.TAKEN_OVER for b in bars), len(takeovers))
    text = pictures.timeline_svg('stack %s (%s)' % (row.name, row.id),
                                 rows, bars, takeovers, subtitle)
    _emit(text, output, 'timeline of stack %s' % row.name)
    return EXIT_OK


def do_resume(stack_id, yes=False):
    """Take over an operation whose engine died, here, and wait for it."""
    from heat_resume.cmd import report
    from heat_resume import heat_internals as heat
    from heat_resume import progress
    ctx = report.admin_context()
    row = report.find_stack(ctx, stack_id)
    record, _ = progress.load_operation(ctx, row.id)
    if record is None:
        raise errors.CommandError('stack %s has no heat_resume operation '
                                  'in flight: nothing to resume' % row.id)
    if row.status != states.IN_PROGRESS:
        raise errors.CommandError('stack %s is %s %s, not IN_PROGRESS: '
                                  'nothing to resume' % (row.id, row.action,
                                                         row.status))
    with clusterm.required(CONF.heat_resume) as cluster:
        report.refuse_if_owned(ctx, row.id, record, cluster, 'resume')
    confirm('Resume the %s of stack %s (%s), left by engine %s, in this '
            'process?' % (record.get('op'), row.name, row.id,
                          record.get('engine')), yes)
    from heat_resume import plugin  # installs the seam, as on an engine
    engine_id = heat.generate_engine_id()
    with clusterm.Membership(CONF.heat_resume, engine_id):
        thread = plugin.resume_here(row.id, engine_id)
        if thread is None:
            raise errors.CommandError(
                'stack %s was not resumed: another engine took it, or it '
                'cannot be resumed (see the log)' % row.id)
        print('resuming stack %s as engine %s' % (row.id, engine_id))
        # a threading.Thread from Heat >= 25, an oslo.service (eventlet)
        # Thread with wait() instead of join() from 24.x
        thread.join() if hasattr(thread, 'join') else thread.wait()
    do_status(row.id)
    row = report.find_stack(ctx, row.id)
    return EXIT_OK if row.status == states.COMPLETE else EXIT_FAILED


def do_release(stack_id, yes=False):
    """Free a stack a dead engine left locked, as Heat's reset would."""
    from heat_resume.cmd import repair
    from heat_resume.cmd import report
    from heat_resume import heat_internals as heat
    from heat_resume import progress
    ctx = report.admin_context()
    row = report.find_stack(ctx, stack_id)
    record, _ = progress.load_operation(ctx, row.id)
    with clusterm.required(CONF.heat_resume) as cluster:
        claims = report.holders(ctx, row.id, record, cluster)
        if not claims and record is None:
            print('stack %s (%s) is not locked and has no heat_resume '
                  'operation record: nothing to release'
                  % (row.id, row.name))
            return EXIT_OK
        report.refuse_if_owned(ctx, row.id, record, cluster, 'release')
    confirm('Release stack %s (%s), %s %s, held by dead engine %s?%s' % (
        row.name, row.id, row.action, row.status,
        ', '.join(e for e, _ in claims) or 'none',
        ' Its resources IN_PROGRESS and the stack become FAILED.'
        if row.status == states.IN_PROGRESS else ''), yes)
    engine_id = heat.generate_engine_id()
    for line in repair.release(ctx, row, engine_id):
        print('stack %s: %s' % (row.id, line))
    return EXIT_OK


# -- helpers --------------------------------------------------------------

def confirm(question, yes):
    """Ask; raise Declined on no, CommandError without a terminal."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise errors.CommandError('refused without confirmation: standard '
                                  'input is not a terminal (pass --yes)')
    answer = input('%s [y/N] ' % question)
    if answer.strip().lower() not in ('y', 'yes'):
        raise errors.Declined()


def _emit(text, output, what):
    if output in (None, '-'):
        sys.stdout.write(text)
        return
    with open(output, 'w', encoding='utf-8') as f:
        f.write(text)
    print('wrote the %s to %s' % (what, output))


def _fail(message):
    print('heat-resume: error: %s' % _one_line(message), file=sys.stderr)
    return EXIT_ERROR


def _one_line(message):
    lines = [line.strip() for line in str(message).splitlines()
             if line.strip()]
    text = lines[0] if lines else 'unknown error'
    return text if len(text) <= 300 else text[:297] + '...'


def _database():
    """The database URL without its password, for error messages."""
    try:
        return sqlalchemy.engine.make_url(
            CONF.database.connection).render_as_string(hide_password=True)
    except Exception:
        return 'the configured database'


def execute(name, **kwargs):
    """Run a command; map what operators cause to a one-line error."""
    from heat_resume import heat_internals as heat
    try:
        return COMMANDS[name][0](**kwargs)
    except errors.Declined:
        print('nothing done', file=sys.stderr)
        return EXIT_FAILED
    except errors.CommandError as exc:
        return _fail(exc)
    except (db_exception.DBConnectionError,
            sqlalchemy.exc.OperationalError) as exc:
        LOG.debug('Database error', exc_info=True)
        return _fail('the database (%s) is unreachable: %s' % (
            _database(), _one_line(getattr(exc, 'inner_exception', None)
                                   or exc)))
    except (db_exception.DBError, sqlalchemy.exc.SQLAlchemyError) as exc:
        LOG.debug('Database error', exc_info=True)
        return _fail('database error (%s): %s' % (_database(), exc))
    except heat.HeatException as exc:
        LOG.debug('Heat error', exc_info=True)
        return _fail(exc)
    except OSError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130
    except Exception as exc:
        LOG.debug('Unexpected error', exc_info=True)
        return _fail('%s: %s (--debug shows where)' % (
            type(exc).__name__, _one_line(exc)))


# -- argument parsing -----------------------------------------------------

def _positive(value):
    number = float(value)
    if number <= 0:
        raise ValueError('must be positive')
    return number


_positive.__name__ = 'positive number'  # what argparse calls it


# name: (function, help, [(flags, add_argument keywords)])
COMMANDS = {
    'status': (do_status, 'engines and operations in flight, or one '
               'stack resource by resource',
               [(('stack_id',), dict(nargs='?', metavar='STACK'))]),
    'watch': (do_watch, 'follow one stack\'s operation until it ends',
              [(('stack_id',), dict(metavar='STACK')),
               (('--interval',), dict(type=_positive, default=1.0,
                                      help='seconds between refreshes '
                                           '(default 1)'))]),
    'graph': (do_graph, 'the stack\'s task graph as DOT or SVG',
              [(('stack_id',), dict(metavar='STACK')),
               (('--format',), dict(choices=('dot', 'svg'), default='svg',
                                    help='default svg')),
               (('-o', '--output'), dict(metavar='FILE',
                                         help='default: stdout'))]),
    'timeline': (do_timeline, 'the stack\'s resource actions over time '
                 'as SVG',
                 [(('stack_id',), dict(metavar='STACK')),
                  (('--all',), dict(action='store_true',
                                    dest='all_operations',
                                    help='every operation in the task '
                                         'records, not only the last')),
                  (('-o', '--output'), dict(metavar='FILE',
                                            help='default: stdout'))]),
    'resume': (do_resume, 'resume a dead engine\'s operation here',
               [(('stack_id',), dict(metavar='STACK')),
                (('--yes',), dict(action='store_true',
                                  help='do not ask for confirmation'))]),
    'release': (do_release, 'free a stack a dead engine left locked',
                [(('stack_id',), dict(metavar='STACK')),
                 (('--yes',), dict(action='store_true',
                                   help='do not ask for confirmation'))]),
}


def _dest(flags, kwargs):
    return kwargs.get('dest') or flags[-1].lstrip('-').replace('-', '_')


def add_command_parsers(subparsers):
    for name, (func, help_, arguments) in COMMANDS.items():
        parser = subparsers.add_parser(name, help=help_,
                                       description=func.__doc__)
        for flags, kwargs in arguments:
            parser.add_argument(*flags, **kwargs)
        parser.set_defaults(func=func)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                handler=add_command_parsers)


def _configure(argv):
    # stdout carries DOT, SVG and tables, stderr one-line errors: Heat's
    # imports must not print their eventlet deprecation notice there
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    from heat_resume import heat_internals  # noqa: F401  Heat's options
    from heat_resume import conf
    conf.register_opts()
    CONF.register_cli_opt(command_opt)
    logging.register_options(CONF)
    # kazoo logs each reconnection attempt, Heat's environment each
    # deprecated resource type: the command says what matters itself
    logging.set_defaults(default_log_levels=(
        logging.get_default_log_levels() +
        ['kazoo=CRITICAL', 'heat.engine.environment=ERROR']))
    CONF.set_default('use_stderr', True)
    # an operator's command fails fast on a database that is down,
    # instead of retrying for minutes as a service does
    CONF.set_default('max_retries', 0, group='database')
    CONF.set_default('db_max_retries', 0, group='database')
    CONF(sys.argv[1:] if argv is None else argv, project='heat',
         prog='heat-resume')
    logging.setup(CONF, 'heat-resume')
    if not CONF.debug and not CONF.log_file:
        # a command's output is its answer: warnings and errors only,
        # unless --debug or a log file asks for more
        std_logging.getLogger().setLevel(std_logging.WARNING)


def main(argv=None):
    try:
        _configure(argv)
    except cfg.Error as exc:
        return _fail(exc)
    name = CONF.command.name
    arguments = {_dest(flags, kwargs): getattr(CONF.command,
                                               _dest(flags, kwargs))
                 for flags, kwargs in COMMANDS[name][2]}
    return execute(name, **arguments)


if __name__ == '__main__':
    sys.exit(main())
