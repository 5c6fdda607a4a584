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

"""pictures.py on plain data: layout, DOT, and SVG that parses."""

import subprocess
import sys
from xml.etree import ElementTree as ET

import testtools

from heat_resume.cmd import pictures

SVG = '{%s}' % pictures.SVG_NS


def of_class(root, cls):
    return [e for e in root.iter() if e.get('class') == cls]


def node(name, action='CREATE', status='COMPLETE'):
    return pictures.Node(name, 'OS::Heat::TestResource', action, status)


class PureTest(testtools.TestCase):
    def test_draws_without_heat(self):
        code = ('import sys; sys.modules["heat"] = None; '
                'from heat_resume.cmd import pictures; '
                'pictures.graph_svg("t", [pictures.Node("a")], [])')
        subprocess.run([sys.executable, '-c', code], check=True,
                       timeout=60)


class LayoutTest(testtools.TestCase):
    def test_columns_by_depth(self):
        nodes = [node(n) for n in 'abcx']
        edges = [('a', 'b'), ('b', 'c'), ('a', 'c')]
        self.assertEqual([['a', 'x'], ['b'], ['c']],
                         pictures.layers(nodes, edges))

    def test_rows_follow_what_they_need(self):
        # q needs z (second row), p needs a (first row): p above q
        nodes = [node(n) for n in ('a', 'z', 'q', 'p')]
        edges = [('z', 'q'), ('a', 'p')]
        self.assertEqual([['a', 'z'], ['p', 'q']],
                         pictures.layers(nodes, edges))

    def test_deep_chains_and_cycles(self):
        names = ['r%04d' % i for i in range(3000)]
        edges = list(zip(names, names[1:]))
        columns = pictures.layers([node(n) for n in names], edges)
        self.assertEqual(3000, len(columns))
        self.assertEqual([['x', 'y']], pictures.layers(
            [node('x'), node('y')], [('x', 'y'), ('y', 'x')]))

    def test_state_colours(self):
        self.assertEqual('INIT', node('a', 'INIT', 'COMPLETE').state)
        self.assertEqual('COMPLETE', node('a', 'DELETE', 'COMPLETE').state)
        self.assertEqual('FAILED', node('a', 'UPDATE', 'FAILED').state)
        self.assertEqual('IN_PROGRESS',
                         node('a', 'CHECK', 'IN_PROGRESS').state)


class DotTest(testtools.TestCase):
    def test_nodes_edges_and_quoting(self):
        text = pictures.dot('stack "s"', [node('a'), node('we"ird\\')],
                            [('a', 'we"ird\\')])
        self.assertIn('digraph "stack \\"s\\"" {', text)
        self.assertIn('"we\\"ird\\\\" [label="we\\"ird\\\\\\n', text)
        self.assertIn('"a" -> "we\\"ird\\\\";', text)
        self.assertIn('fillcolor="%s"' % pictures.STATE_COLOURS['COMPLETE'],
                      text)


class GraphSvgTest(testtools.TestCase):
    def test_parses_with_a_box_per_resource(self):
        nodes = [node('<a&b>'), node('b', 'CREATE', 'IN_PROGRESS'),
                 node('c', 'CREATE', 'FAILED'), node('d', 'INIT'),
                 node('e')]
        edges = [('<a&b>', 'b'), ('b', 'c'), ('<a&b>', 'd'), ('c', 'e'),
                 ('<a&b>', 'e')]
        root = ET.fromstring(pictures.graph_svg('t <&>', nodes, edges))
        self.assertEqual(SVG + 'svg', root.tag)
        self.assertEqual('t <&>', root.find(SVG + 'title').text)
        fills = {g.get('data-name'): g.find(SVG + 'rect').get('fill')
                 for g in of_class(root, 'resource')}
        colours = pictures.STATE_COLOURS
        self.assertEqual({'<a&b>': colours['COMPLETE'],
                          'b': colours['IN_PROGRESS'],
                          'c': colours['FAILED'], 'd': colours['INIT'],
                          'e': colours['COMPLETE']}, fills)
        paths = {(p.get('data-from'), p.get('data-to')): p.get('d')
                 for p in of_class(root, 'edge')}
        self.assertEqual(set(edges), set(paths))
        # <a&b> -> e spans three columns: it runs along a lane
        self.assertIn(' L ', paths[('<a&b>', 'e')])
        self.assertNotIn(' L ', paths[('b', 'c')])
        legend = [i.get('data-label') for i in of_class(root, 'legend-item')]
        self.assertEqual(list(colours), legend)

    def test_empty_stack(self):
        root = ET.fromstring(pictures.graph_svg('empty', [], []))
        self.assertEqual([], of_class(root, 'resource'))


class TimelineSvgTest(testtools.TestCase):
    def test_bars_coloured_by_engine_and_takeover_marks(self):
        bars = [pictures.Bar('a', 'CREATE', 'e1', 0.0, 1.0, 'complete', 1),
                pictures.Bar('b', 'CREATE', 'e1', 0.5, 2.0,
                             pictures.TAKEN_OVER),
                pictures.Bar('b', 'CREATE', 'e2', 2.0, 3.0, 'complete'),
                pictures.Bar('c', 'CREATE', 'e2', 2.5, 4.0, 'failed', 2),
                pictures.Bar('d', 'CREATE', 'e2', 3.0, 4.5,
                             'handler_returned', running=True)]
        marks = [pictures.Takeover(2.0, 'e2', 'e1')]
        root = ET.fromstring(pictures.timeline_svg(
            'stack <s>', ['a', 'b', 'c', 'd', 'never'], bars, marks,
            'subtitle & more'))
        rects = of_class(root, 'bar')
        self.assertEqual(5, len(rects))
        legend = {i.get('data-engine'): i.find(SVG + 'rect').get('fill')
                  for i in of_class(root, 'legend-item')
                  if i.get('data-engine')}
        self.assertEqual(pictures.engine_colours(['e1', 'e2']), legend)
        for rect in rects:
            self.assertEqual(legend[rect.get('data-engine')],
                             rect.get('fill'))
        # bars are placed by time: b's second part starts where e1's ends
        by = {(r.get('data-resource'), r.get('data-engine')): r
              for r in rects}
        first, second = by[('b', 'e1')], by[('b', 'e2')]
        self.assertAlmostEqual(
            float(first.get('x')) + float(first.get('width')),
            float(second.get('x')), delta=0.2)
        self.assertEqual(pictures.TAKEOVER_COLOUR,
                         by[('c', 'e2')].get('stroke'))
        self.assertIsNotNone(by[('d', 'e2')].get('stroke-dasharray'))
        mark = of_class(root, 'takeover')
        self.assertEqual(1, len(mark))
        self.assertEqual('e2', mark[0].get('data-engine'))
        line = mark[0].find(SVG + 'line')
        self.assertEqual(line.get('x1'), line.get('x2'))
        self.assertAlmostEqual(float(second.get('x')),
                               float(line.get('x1')), delta=0.2)

    def test_no_bars_is_still_a_picture(self):
        root = ET.fromstring(pictures.timeline_svg('t', ['a'], [], []))
        self.assertEqual([], of_class(root, 'bar'))

    def test_engine_colours_wrap(self):
        engines = ['e%d' % i for i in range(12)]
        colours = pictures.engine_colours(engines + ['e0'])
        self.assertEqual(engines, list(colours))
        self.assertEqual(colours['e0'], colours['e10'])
        self.assertNotIn(pictures.TAKEOVER_COLOUR, colours.values())
