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

"""The engine bench's probe, templates and table, without engines.

The probe runs in a child interpreter: its SQLAlchemy listener is
class-wide and would count every later test's statements here.
"""

import json
import os
import subprocess
import sys

import fixtures
import testtools

from heat_resume_tests.fixtures import harness
from heat_resume_tests.scripts import bench_engines

PROBE = os.path.join(harness.RESOURCES_DIR, 'bench_probe.py')

CHILD = """
import importlib.util, json, os, sys, time
import sqlalchemy
from sqlalchemy import event
from kazoo import client

# what the probe wraps: kazoo's request queue, stubbed (no server here)
client.KazooClient._call = lambda self, request, async_object: True
spec = importlib.util.spec_from_file_location('bench_probe', sys.argv[1])
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)
engine = sqlalchemy.create_engine('sqlite://')  # created after the import


def statements(n):
    with engine.connect() as conn:
        for _ in range(n):
            conn.execute(sqlalchemy.text('SELECT 1'))


class Create(object):
    pass


client.KazooClient._call(None, Create(), None)
statements(3)
pid = os.fork()
if pid == 0:
    statements(2)  # counted afresh in the child
    time.sleep(0.5)
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(0.5)
print(json.dumps({'child': pid, 'wrapped': hasattr(
    client.KazooClient._call, 'bench_probe'), 'listening': event.contains(
        sqlalchemy.engine.Engine, 'before_cursor_execute',
        probe._count_statement)}))
"""


def run_child(bench_dir):
    env = dict(os.environ)
    env.pop(harness.BENCH_ENV, None)
    if bench_dir:
        env[harness.BENCH_ENV] = bench_dir
    return json.loads(subprocess.run(
        [sys.executable, '-c', CHILD, PROBE], env=env, check=True,
        capture_output=True, text=True).stdout)


class ProbeTest(testtools.TestCase):

    def test_counts_per_process_after_a_fork(self):
        bench_dir = self.useFixture(fixtures.TempDir()).path
        child = run_child(bench_dir)['child']
        files = {name: json.load(open(os.path.join(bench_dir, name)))
                 for name in os.listdir(bench_dir)}
        self.assertEqual(2, len(files), files)
        mine = files.pop('%d.json' % child)
        parent = files.popitem()[1]
        self.assertEqual({'pid': child, 'sql': 2, 'zk': {}}, mine)
        self.assertEqual(3, parent['sql'])
        self.assertEqual({'Create': 1}, parent['zk'])

    def test_does_nothing_without_the_variable(self):
        self.assertEqual({'wrapped': False, 'listening': False},
                         {k: v for k, v in run_child(None).items()
                          if k != 'child'})


class TemplatesTest(testtools.TestCase):

    def test_critical_path_is_the_longest_chain_of_waits(self):
        resources = {'a': bench_engines.test_resource(1),
                     'b': bench_engines.test_resource(3, ['a']),
                     'c': bench_engines.test_resource(2, ['a']),
                     'd': bench_engines.test_resource(1, ['b', 'c'])}
        self.assertEqual((5, ['a', 'b', 'd']),
                         bench_engines.critical_path(resources))

    def test_full_sizes(self):
        cases = {c.name: c for c in bench_engines.cases(quick=False)}
        self.assertEqual(201, cases['fanout'].resources)
        self.assertEqual(50, cases['chain'].resources)
        self.assertEqual(100, cases['dag'].resources)
        self.assertEqual(19, cases['dag'].critical_path)
        self.assertEqual((210, 11), (cases['nested'].resources,
                                     cases['nested'].stack_ops))
        self.assertEqual((500, 50), (cases['stacks'].resources,
                                     len(cases['stacks'].stacks)))
        self.assertEqual(1000, cases['big'].resources)

    def test_nested_stacks_come_with_their_template(self):
        case = bench_engines.nested(2, 3)
        template, files = case.stacks[0]
        self.assertEqual({'s00', 's01'}, set(template['resources']))
        self.assertEqual(3, len(json.loads(files['child.yaml'])['resources']))


class ReportTest(testtools.TestCase):

    def results(self):
        cases = [bench_engines.case_record(bench_engines.dag(2, 2))]
        fig = {'status': 'ok', 'cpu': 1.0, 'sql': 40, 'rss': 2 ** 27,
               'zk': {'Create': 2, 'Exists': 3}}
        kinds = {kind: {'cases': {'dag': {
            'create': dict(fig, wall=wall), 'delete': dict(fig, wall=1.0)}}}
            for kind, wall in (('legacy', 9.0), ('heat_resume', 3.09))}
        kinds['convergence'] = {'cases': {'dag': {
            'create': {'status': 'timeout'}, 'delete': {'status': 'not run'}}}}
        return {'cases': cases, 'kinds': kinds, 'timeout': 600,
                'session_timeout': 4.0}

    def test_table_has_ratios_and_timeouts(self):
        lines = bench_engines.table(self.results())
        create = lines[2]
        self.assertIn('timeout', create)
        # critical path 3 s; heat_resume / legacy 0.343
        self.assertIn('1.03', create)
        self.assertIn('0.343', create)
        self.assertIn('  5.0', create)  # ZooKeeper requests per operation
        self.assertEqual(len(lines[0]), len(lines[2]))

    def test_targets_say_met_or_missed(self):
        lines = bench_engines.target_lines(self.results())
        self.assertIn('1.030 x (met)', lines[1])

    def test_chart_is_a_png(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'chart.png')
        bench_engines.chart(self.results(), path)
        with open(path, 'rb') as f:
            self.assertEqual(b'\x89PNG', f.read(4))
