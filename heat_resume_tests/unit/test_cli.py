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

"""The heat-resume commands on real stacks (sqlite) and a real ZooKeeper.

Progress is staged with staging.StagingMixin: a create cut mid-way by
'engine-that-died', then resumed by 'engine-resuming'.
"""

import io
import os
import subprocess
import sys
import tempfile
from xml.etree import ElementTree as ET

import fixtures
from oslo_config import cfg
import testtools

from heat.common import service_utils
from heat.engine import stack as heat_stack
from heat.objects import stack as stack_object
from heat.objects import stack_lock as stack_lock_object

from heat_resume.cmd import manage
from heat_resume.cmd import pictures
from heat_resume.cmd import states
from heat_resume.cmd import watch
from heat_resume import conf
from heat_resume import coordination
from heat_resume import heat_internals
from heat_resume import progress
from heat_resume_tests.fixtures import sqlite_db
from heat_resume_tests.unit import base
from heat_resume_tests.unit import staging

SVG = '{%s}' % pictures.SVG_NS


def svg_groups(root, cls):
    return [g for g in root.iter() if g.get('class') == cls]


class StatesTest(testtools.TestCase):
    """cmd/states.py spells Heat's values without importing Heat."""

    def test_heat_s_own_strings(self):
        names = ('COMPLETE', 'IN_PROGRESS', 'FAILED', 'CREATE', 'DELETE',
                 'SUSPEND', 'RESUME', 'CHECK')
        for owner, more in ((heat_internals.Stack, ()),
                            (heat_internals.Resource, ('INIT',))):
            for name in names + more:
                self.assertEqual(getattr(owner, name),
                                 getattr(states, name))

    def test_one_colour_per_state_for_svg_and_terminal(self):
        for state, colour in states.COLOURS.items():
            self.assertEqual(colour.svg, pictures.STATE_COLOURS[state])
            self.assertEqual(colour.ansi, watch.COLOURS.get(state))


class CliTestCase(staging.StagingMixin, base.HeatResumeTestCase):
    def setUp(self):
        super().setUp()
        # no Keystone here: a resume acts as a noauth deployment does
        cfg.CONF.set_override('flavor', 'noauth', 'paste_deploy')
        self.ctx = base.utils.dummy_context()
        self.alive = self.patchobject(service_utils, 'engine_alive',
                                      return_value=False)

    def cli(self, command, **kwargs):
        """(exit code, stdout, stderr) of one command, in-process."""
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        code = manage.execute(command, **kwargs)
        return code, out.getvalue(), err.getvalue()

    def staged(self, **kwargs):
        """A create cut mid-way: a done, b returned, c inside, d waiting."""
        parts = dict(done=['a'], returned=['b'], inside=['c'])
        parts.update(kwargs)
        stack_id = self.stage_create(self.four(), **parts)
        stack_lock_object.StackLock.create(self.ctx, stack_id,
                                           'engine-that-died')
        self.calls[:] = []
        return stack_id

    def taken_over(self):
        """The staged create resumed by another engine, then finished."""
        cfg.CONF.set_override('in_progress_policy', 'retry', 'heat_resume')
        stack_id = self.stage_create(self.four(), done=['a'],
                                     returned=['b'], inside=['c'])
        stack = self.resume(stack_id)
        return stack

    def finish(self, stack):
        """What Heat's stack thread does last: persist, release the lock."""
        stack.persist_state_and_release_lock('engine-resuming')


class StatusTest(CliTestCase):
    def test_overview_lists_progress_counts(self):
        stack_id = self.staged()
        code, out, err = self.cli('status', stack_id=None)
        self.assertEqual(0, code, err)
        self.assertIn('operations in flight: 1', out)
        self.assertIn('stack %s: CREATE by engine engine-that-died'
                      % stack_id, out)
        self.assertIn('1 done, 2 in progress, 0 failed, 1 pending, '
                      '4 total', out)
        self.assertIn('stack_lock engine-that-died', out)
        self.assertIn('takeovers: none', out)
        self.assertIn('ZooKeeper not configured', out)

    def test_one_stack_resource_by_resource(self):
        stack_id = self.staged()
        code, out, err = self.cli('status', stack_id=stack_id)
        self.assertEqual(0, code, err)
        self.assertRegex(out, r'\bb\s+CREATE\s+IN_PROGRESS\s+'
                              r'handler_returned\s+1\s+engine-that-died')
        self.assertRegex(out, r'\bc\s+CREATE\s+IN_PROGRESS\s+'
                              r'handler_started')
        self.assertRegex(out, r'\bd\s+INIT\s+COMPLETE\s+-')
        self.assertIn('[######++++++++++++......]  25%', out)

    def test_takeovers_so_far(self):
        stack = self.taken_over()
        code, out, err = self.cli('status', stack_id=stack.id)
        self.assertEqual(0, code, err)
        self.assertIn('resumed 1 time(s)', out)
        self.assertIn('takeovers: 1', out)
        self.assertRegex(out, r'engine engine-that-died -> engine '
                              r'engine-resuming')
        self.assertIn('4 done, 0 in progress, 0 failed, 0 pending', out)

    def test_stack_by_name(self):
        stack_id = self.staged()
        name = stack_object.Stack.get_by_id(self.ctx, stack_id).name
        code, out, _ = self.cli('status', stack_id=name)
        self.assertEqual(0, code)
        self.assertIn(stack_id, out)

    def test_missing_stack_is_a_one_line_error(self):
        code, out, err = self.cli('status', stack_id='no-such-stack')
        self.assertEqual(2, code)
        self.assertEqual('', out)
        self.assertEqual(
            'heat-resume: error: stack no-such-stack does not exist\n', err)
        for command in ('watch', 'graph', 'timeline', 'release'):
            code, _, err = self.cli(command, stack_id='no-such-stack')
            self.assertEqual(2, code)
            self.assertEqual(1, len(err.splitlines()), err)

    def test_database_error_is_a_one_line_error(self):
        from oslo_db import exception as db_exception
        self.patchobject(
            stack_object.Stack, 'get_all', side_effect=db_exception.
            DBConnectionError('(pymysql.err.OperationalError) (2003, '
                              '"Can\'t connect")\n[SQL: SELECT 1]'))
        code, out, err = self.cli('status', stack_id=None)
        self.assertEqual(2, code)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('is unreachable', err)
        self.assertNotIn('Traceback', err)


class GraphTest(CliTestCase):
    def stage(self):
        resources = self.four()
        resources['e'] = {'type': 'OS::Heat::TestResource',
                          'properties': {'value': {
                              'get_attr': ['d', 'output']}}}
        stack_id = self.stage_create(resources, done=['a'],
                                     returned=['b'])
        stack = heat_stack.Stack.load(self.ctx, stack_id=stack_id)
        stack['c'].state_set('CREATE', 'FAILED', 'staged failure')
        return stack_id

    def test_dot_has_every_resource_and_edge(self):
        stack_id = self.stage()
        code, out, err = self.cli('graph', stack_id=stack_id,
                                  format='dot')
        self.assertEqual(0, code, err)
        self.assertTrue(out.startswith('digraph '))
        for name in 'abcde':
            self.assertIn('  "%s" [label="%s' % (name, name), out)
        edges = {line.strip() for line in out.splitlines() if '->' in line}
        self.assertEqual({'"a" -> "d";', '"b" -> "d";', '"c" -> "d";',
                          '"d" -> "e";'}, edges)
        self.assertIn('fillcolor="%s"' % pictures.STATE_COLOURS['FAILED'],
                      out)

    def test_svg_box_per_resource_coloured_by_state(self):
        stack_id = self.stage()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'graph.svg')
        code, out, err = self.cli('graph', stack_id=stack_id,
                                  format='svg', output=path)
        self.assertEqual(0, code, err)
        self.assertIn(path, out)
        root = ET.parse(path).getroot()
        self.assertEqual(SVG + 'svg', root.tag)
        boxes = {g.get('data-name'): g.find(SVG + 'rect').get('fill')
                 for g in svg_groups(root, 'resource')}
        colours = pictures.STATE_COLOURS
        self.assertEqual({'a': colours['COMPLETE'],
                          'b': colours['IN_PROGRESS'],
                          'c': colours['FAILED'],
                          'd': colours['INIT'], 'e': colours['INIT']},
                         boxes)
        edges = {(p.get('data-from'), p.get('data-to'))
                 for p in svg_groups(root, 'edge')}
        self.assertEqual({('a', 'd'), ('b', 'd'), ('c', 'd'), ('d', 'e')},
                         edges)
        # layered: a, b, c in the first column, d then e to the right
        x = {g.get('data-name'): float(g.find(SVG + 'rect').get('x'))
             for g in svg_groups(root, 'resource')}
        self.assertEqual(x['a'], x['b'])
        self.assertLess(x['a'], x['d'])
        self.assertLess(x['d'], x['e'])


class TimelineTest(CliTestCase):
    def timeline(self, stack_id):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'timeline.svg')
        code, _, err = self.cli('timeline', stack_id=stack_id,
                                output=path)
        self.assertEqual(0, code, err)
        return ET.parse(path).getroot()

    def check(self, root):
        bars = svg_groups(root, 'bar')
        actions = {(b.get('data-resource'), b.get('data-action'))
                   for b in bars}
        self.assertEqual({(n, 'CREATE') for n in 'abcd'}, actions)
        engines = {b.get('data-engine') for b in bars}
        self.assertEqual({'engine-that-died', 'engine-resuming'}, engines)
        legend = {}
        for item in svg_groups(root, 'legend-item'):
            if item.get('data-engine'):
                legend[item.get('data-engine')] = item.find(
                    SVG + 'rect').get('fill')
        self.assertEqual(engines, set(legend))
        self.assertNotEqual(legend['engine-that-died'],
                            legend['engine-resuming'])
        for bar in bars:
            self.assertEqual(legend[bar.get('data-engine')],
                             bar.get('fill'))

        def engines_of(name):
            return [b.get('data-engine') for b in bars
                    if b.get('data-resource') == name]
        self.assertEqual(['engine-that-died'], engines_of('a'))
        # b was polled to the end by the engine that resumed it
        self.assertEqual(['engine-that-died', 'engine-resuming'],
                         engines_of('b'))
        # c's handler was called again (attempt 2)
        self.assertEqual(['engine-that-died', 'engine-resuming'],
                         engines_of('c'))
        self.assertEqual(['engine-resuming'], engines_of('d'))
        marks = svg_groups(root, 'takeover')
        self.assertEqual(1, len(marks))
        self.assertEqual('engine-resuming', marks[0].get('data-engine'))
        self.assertEqual('engine-that-died', marks[0].get('data-from'))

    def test_bars_by_engine_with_a_takeover_marker(self):
        stack = self.taken_over()
        self.check(self.timeline(stack.id))

    def test_after_the_operation_record_is_gone(self):
        stack = self.taken_over()
        self.finish(stack)
        self.assertEqual((None, None),
                         progress.load_operation(self.ctx, stack.id))
        # from the "resumed by" event and the task records
        self.check(self.timeline(stack.id))


class WatchTest(CliTestCase):
    def test_finished_stack_prints_the_final_state(self):
        stack = self.create(base.hot(self.four()))
        self.finish(stack)
        code, out, err = self.cli('watch', stack_id=stack.id,
                                  interval=0.01)
        self.assertEqual(0, code, err)
        self.assertIn('4 done, 0 in progress, 0 failed, 0 pending', out)
        self.assertIn('  d: CREATE COMPLETE (complete)', out)
        self.assertRegex(out.splitlines()[-1],
                         r'^stack \S+ CREATE COMPLETE: Stack CREATE '
                         r'completed successfully$')

    def test_failed_stack_exits_1(self):
        stack_id = self.staged()
        stack = self.resume(stack_id)  # c fails: in_progress_policy fail
        self.finish(stack)
        code, out, _ = self.cli('watch', stack_id=stack_id, interval=0.01)
        self.assertEqual(1, code)
        self.assertIn('CREATE FAILED', out.splitlines()[-1])

    def test_takeover_shows_when_it_happens(self):
        cfg.CONF.set_override('in_progress_policy', 'retry', 'heat_resume')
        stack_id = self.staged()
        steps = []

        def sleep(seconds):
            # between polls: another engine takes over, then finishes
            if not steps:
                steps.append(self.resume(stack_id))
            else:
                self.finish(steps[0])

        out = io.StringIO()
        code = watch.Watch(self.ctx, stack_id, interval=0.01, out=out,
                           tty=False, sleep=sleep).run()
        text = out.getvalue()
        self.assertEqual(0, code, text)
        lines = text.splitlines()
        self.assertIn('  b: CREATE IN_PROGRESS (handler_returned) engine '
                      'engine-that-died', lines)
        takeover = [line for line in lines if line.startswith('taken')]
        self.assertEqual(1, len(takeover), text)
        self.assertRegex(takeover[0], r'^taken over by engine '
                                      r'engine-resuming after [0-9.]+ s '
                                      r'\(engine engine-that-died went '
                                      r'down\)$')
        self.assertLess(lines.index(takeover[0]),
                        lines.index('  d: CREATE COMPLETE (complete) '
                                    'engine engine-resuming'))

    def test_terminal_redraws_in_place(self):
        stack = self.create(base.hot(self.four()))
        self.finish(stack)
        out = io.StringIO()
        code = watch.Watch(self.ctx, stack.id, interval=0.01, out=out,
                           tty=True).run()
        self.assertEqual(0, code)
        self.assertIn('[########################] 100%', out.getvalue())
        self.assertIn(watch.COLOURS['COMPLETE'], out.getvalue())

    def test_frame_lines_fit_the_terminal(self):
        line = 'ab' + watch.COLOURS['FAILED'] + 'cdef' + watch.RESET + 'gh'
        self.assertEqual(line, watch.fit(line, 80))
        self.assertEqual('ab' + watch.COLOURS['FAILED'] + 'cd' + watch.RESET,
                         watch.fit(line, 5))
        self.assertEqual('abcd', watch.fit('abcdefgh', 5))


class ReleaseTest(CliTestCase):
    def test_refused_while_the_holder_is_alive(self):
        stack_id = self.staged()
        self.alive.return_value = True
        code, out, err = self.cli('release', stack_id=stack_id, yes=True)
        self.assertEqual(2, code)
        self.assertIn('refused to release stack %s: engine engine-that-died '
                      'holds its stack_lock and is alive' % stack_id, err)
        self.assertEqual('engine-that-died', stack_lock_object.StackLock
                         .get_engine_id(self.ctx, stack_id))
        self.assertIsNotNone(progress.load_operation(self.ctx,
                                                     stack_id)[0])

    def test_refused_without_a_terminal_or_yes(self):
        stack_id = self.staged()
        self.useFixture(fixtures.MonkeyPatch('sys.stdin', io.StringIO()))
        code, _, err = self.cli('release', stack_id=stack_id)
        self.assertEqual(2, code)
        self.assertIn('pass --yes', err)
        self.assertEqual('engine-that-died', stack_lock_object.StackLock
                         .get_engine_id(self.ctx, stack_id))

    def test_frees_a_dead_engine_s_stack_as_heat_s_reset(self):
        stack_id = self.staged()
        code, out, err = self.cli('release', stack_id=stack_id, yes=True)
        self.assertEqual(0, code, err)
        self.assertIn('took the stack lock from dead engine '
                      'engine-that-died', out)
        self.assertIn('deleted the heat_resume operation record', out)
        self.assertIn('marked 2 resource(s) IN_PROGRESS as FAILED: b, c',
                      out)
        self.assertIn('CREATE FAILED: Engine went down during stack CREATE',
                      out)
        self.assertIsNone(stack_lock_object.StackLock.get_engine_id(
            self.ctx, stack_id))
        self.assertEqual((None, None),
                         progress.load_operation(self.ctx, stack_id))
        stack = heat_stack.Stack.load(self.ctx, stack_id=stack_id)
        self.assertEqual(('CREATE', 'FAILED'), stack.state)
        self.assertEqual(('CREATE', 'COMPLETE'), stack['a'].state)
        self.assertEqual(('CREATE', 'FAILED'), stack['b'].state)
        self.assertEqual(('INIT', 'COMPLETE'), stack['d'].state)
        self.assertEqual([], self.calls)

    def test_a_finished_operation_gets_its_final_state(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        stack_lock_object.StackLock.create(self.ctx, stack.id,
                                           'engine-that-died')
        code, out, err = self.cli('release', stack_id=stack.id, yes=True)
        self.assertEqual(0, code, err)
        self.assertIn('wrote its final state', out)
        row = stack_object.Stack.get_by_id(self.ctx, stack.id)
        self.assertEqual(('CREATE', 'COMPLETE'), (row.action, row.status))

    def test_nothing_to_release(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        self.finish(stack)
        code, out, _ = self.cli('release', stack_id=stack.id, yes=True)
        self.assertEqual(0, code)
        self.assertIn('nothing to release', out)


class ResumeTest(CliTestCase):
    def test_refused_while_the_holder_is_alive(self):
        stack_id = self.staged()
        self.alive.return_value = True
        code, _, err = self.cli('resume', stack_id=stack_id, yes=True)
        self.assertEqual(2, code)
        self.assertIn('refused to resume', err)

    def test_resumes_a_dead_engine_s_operation(self):
        stack_id = self.stage_create(self.four(wait=1), done=['a'],
                                     returned=['b', 'c'])
        stack_lock_object.StackLock.create(self.ctx, stack_id,
                                           'engine-that-died')
        self.calls[:] = []
        code, out, err = self.cli('resume', stack_id=stack_id, yes=True)
        self.assertEqual(0, code, err)
        self.assertIn('resuming stack %s as engine' % stack_id, out)
        self.assertEqual(['d'], self.calls)
        row = stack_object.Stack.get_by_id(self.ctx, stack_id)
        self.assertEqual(('CREATE', 'COMPLETE'), (row.action, row.status))

    def test_nothing_to_resume(self):
        stack = self.create(base.hot({'a': base.test_resource()}))
        self.finish(stack)
        code, _, err = self.cli('resume', stack_id=stack.id, yes=True)
        self.assertEqual(2, code)
        self.assertIn('no heat_resume operation in flight', err)


class ZooKeeperStatusTest(base.ZooKeeperTestCase, CliTestCase):
    def setUp(self):
        super().setUp()
        cfg.CONF.set_override('zookeeper_hosts', [self.zk.hosts],
                              conf.GROUP)
        cfg.CONF.set_override('zookeeper_connection_timeout', 5.0,
                              conf.GROUP)

    def member(self, engine_id):
        coord = coordination.Coordinator(cfg.CONF.heat_resume, engine_id,
                                         versions={'heat': '27.0.1'})
        coord.start()
        self.addCleanup(coord.stop)
        return coord

    def test_engines_and_the_operations_they_own(self):
        stack_id = self.staged()
        member = self.member('engine-zk-a')
        self.assertIsNotNone(member.lock(stack_id))
        code, out, err = self.cli('status', stack_id=None)
        self.assertEqual(0, code, err)
        self.assertIn('engines alive (ZooKeeper %s, /heat_resume): 1'
                      % self.zk.hosts, out)
        self.assertRegex(out, r'engine-zk-a  host \S+  pid %d  since '
                              r'\S+  \(heat 27.0.1\)' % os.getpid())
        self.assertIn('    owns stack %s' % stack_id, out)
        self.assertIn('ZooKeeper lock engine-zk-a', out)
        self.assertIn('operation owner engine-that-died (NOT alive)', out)

    def test_release_refused_while_a_live_engine_holds_the_lock(self):
        stack_id = self.staged()
        self.member('engine-zk-a').lock(stack_id)
        code, _, err = self.cli('release', stack_id=stack_id, yes=True)
        self.assertEqual(2, code)
        self.assertIn('engine engine-zk-a holds its ZooKeeper lock', err)

    def test_release_of_a_stack_whose_engine_left(self):
        stack_id = self.staged()
        self.member('engine-zk-b')
        code, out, err = self.cli('release', stack_id=stack_id, yes=True)
        self.assertEqual(0, code, err)
        # ZooKeeper, not Heat's RPC ping, said the holder is dead
        self.assertFalse(self.alive.called)
        self.assertIn('CREATE FAILED', out)

    def test_unreachable_zookeeper(self):
        stack_id = self.staged()
        self.zk.stop()
        cfg.CONF.set_override('zookeeper_connection_timeout', 0.5,
                              conf.GROUP)
        code, out, err = self.cli('status', stack_id=None)
        self.assertEqual(2, code)
        # the database part is there
        self.assertIn('stack %s: CREATE by engine engine-that-died'
                      % stack_id, out)
        self.assertIn('ZooKeeper %s is unreachable' % self.zk.hosts, out)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('ZooKeeper %s is unreachable' % self.zk.hosts, err)
        code, _, err = self.cli('release', stack_id=stack_id, yes=True)
        self.assertEqual(2, code)
        self.assertEqual(1, len(err.splitlines()), err)


class MainTest(staging.StagingMixin, base.HeatResumeTestCase):
    """The command in a process of its own, as operators run it.

    It shares the tests' sqlite file; oslo.messaging's fake driver
    stands in for RabbitMQ (an RPC ping to a dead engine times out).
    """

    def heat_resume(self, *args, connection=None):
        config = tempfile.NamedTemporaryFile('w', suffix='.conf',
                                             delete=False)
        self.addCleanup(os.unlink, config.name)
        with config:
            config.write(CONFIG % (connection or
                                   'sqlite:///' + sqlite_db._DB_FILE))
        return subprocess.run(
            [sys.executable, '-m', 'heat_resume.cmd.manage',
             '--config-file', config.name] + list(args),
            capture_output=True, text=True, timeout=120)

    def test_missing_stack(self):
        result = self.heat_resume('status', 'no-such-stack')
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertEqual('heat-resume: error: stack no-such-stack does not '
                         'exist\n', result.stderr)

    def test_unreachable_database(self):
        result = self.heat_resume(
            'status', connection='mysql+pymysql://heat:secret@127.0.0.1:9/'
                                 'heat')
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertEqual(1, len(result.stderr.splitlines()), result.stderr)
        self.assertIn('the database (mysql+pymysql://heat:***@127.0.0.1:9/'
                      'heat) is unreachable', result.stderr)
        self.assertNotIn('secret', result.stderr)

    def test_graph_loads_the_stack_with_heat(self):
        stack = self.create(base.hot(self.four()))
        stack.persist_state_and_release_lock('engine-x')
        result = self.heat_resume('graph', stack.id, '--format', 'dot')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('', result.stderr)
        for name in 'abc':
            self.assertIn('"%s" -> "d";' % name, result.stdout)

    def test_release_and_resume(self):
        first = self.stage_create(self.four(), done=['a'], returned=['b'])
        second = self.stage_create(self.four(wait=1), done=['a'],
                                   returned=['b', 'c'])
        for stack_id in (first, second):
            stack_lock_object.StackLock.create(self.ctx(), stack_id,
                                               'engine-that-died')
        result = self.heat_resume('release', first)
        self.assertEqual(2, result.returncode)
        self.assertIn('pass --yes', result.stderr)
        result = self.heat_resume('release', first, '--yes')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('the stack is now CREATE FAILED', result.stdout)
        result = self.heat_resume('resume', second, '--yes')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('resuming stack %s' % second, result.stdout)
        self.assertIn('4 done, 0 in progress', result.stdout)
        row = stack_object.Stack.get_by_id(self.ctx(), second)
        self.assertEqual(('CREATE', 'COMPLETE'), (row.action, row.status))

    @staticmethod
    def ctx():
        return base.utils.dummy_context()


CONFIG = """[DEFAULT]
transport_url = fake://
engine_life_check_timeout = 1

[database]
connection = %s

[paste_deploy]
flavor = noauth

[heat_resume]
enabled = true
max_concurrency = 1
poll_interval_min = 0.01
poll_interval_max = 0.1
"""
