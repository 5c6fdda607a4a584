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

"""Pictures of a stack: its task graph (DOT, SVG) and a timeline (SVG).

Pure functions of plain data (report.py reads the database), so that
they are tested without Heat and need no graphviz binary: the SVG is
built with xml.etree on a simple layered layout.
"""

import collections
import math
from xml.etree import ElementTree as ET

from heat_resume.cmd import states

SVG_NS = 'http://www.w3.org/2000/svg'

# resource states, as the graph colours them
STATE_COLOURS = collections.OrderedDict(
    (state, colour.svg) for state, colour in states.COLOURS.items())

# bars of the timeline, one colour per engine (Tableau 10 without red,
# which marks takeovers)
ENGINE_COLOURS = ('#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2',
                  '#edc948', '#9c755f', '#ff9da7', '#bab0ac', '#86bcb6')
TAKEOVER_COLOUR = '#d62728'

# how a bar (and its legend entry) shows that it failed, or still runs
FAILED_OUTLINE = {'stroke': TAKEOVER_COLOUR, 'stroke-width': '2'}
RUNNING_OUTLINE = {'stroke': '#333', 'stroke-dasharray': '3 2'}
TAKEOVER_LINE = {'stroke': TAKEOVER_COLOUR, 'stroke-width': '2',
                 'stroke-dasharray': '5 3'}

# the phase of the part of a bar before a takeover
TAKEN_OVER = 'taken over'

FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif'


class Node(object):
    """A resource as the graph shows it."""

    def __init__(self, name, type_='', action=states.INIT,
                 status=states.COMPLETE, detail=''):
        self.name = name
        self.type = type_ or ''
        self.action = action or states.INIT
        self.status = status or states.COMPLETE
        self.detail = detail or ''

    @property
    def state(self):
        """The colour key: INIT until the resource was ever acted on."""
        if self.action == states.INIT or self.status not in STATE_COLOURS:
            return states.INIT
        return self.status


class Bar(object):
    """One engine's part of one resource action, for the timeline."""

    def __init__(self, resource, action, engine, start, end, phase='',
                 attempt=None, running=False):
        self.resource = resource
        self.action = action
        self.engine = engine or '?'
        self.start = start       # seconds, any origin
        self.end = max(end, start)
        self.phase = phase or ''
        self.attempt = attempt
        self.running = running


class Takeover(object):
    def __init__(self, at, to_engine, from_engine=None):
        self.at = at
        self.to_engine = to_engine
        self.from_engine = from_engine


# -- DOT ------------------------------------------------------------------

def _dot_quote(text):
    return '"%s"' % str(text).replace('\\', '\\\\').replace('"', '\\"')


def dot(title, nodes, edges):
    """Graphviz source: an edge runs from a resource to what needs it."""
    lines = ['digraph %s {' % _dot_quote(title), '  rankdir=LR;',
             '  node [shape=box, style="rounded,filled", '
             'fontname="sans-serif"];']
    for node in nodes:
        label = '\\n'.join(
            part.replace('\\', '\\\\').replace('"', '\\"')
            for part in (node.name, node.type,
                         '%s %s' % (node.action, node.status)) if part)
        lines.append('  %s [label="%s", fillcolor="%s"];' % (
            _dot_quote(node.name), label, STATE_COLOURS[node.state]))
    for required, needing in edges:
        lines.append('  %s -> %s;' % (_dot_quote(required),
                                      _dot_quote(needing)))
    lines.append('}')
    return '\n'.join(lines) + '\n'


# -- SVG helpers ----------------------------------------------------------

def _svg(width, height, title):
    root = ET.Element('svg', {
        'xmlns': SVG_NS, 'width': _n(width), 'height': _n(height),
        'viewBox': '0 0 %s %s' % (_n(width), _n(height)),
        'font-family': FONT, 'font-size': '12'})
    ET.SubElement(root, 'title').text = title
    ET.SubElement(root, 'rect', width='100%', height='100%', fill='white')
    return root


def _n(value):
    """A coordinate: short, no float noise."""
    return ('%.1f' % value).rstrip('0').rstrip('.')


def _text(parent, x, y, text, **attrs):
    element = ET.SubElement(parent, 'text', dict(
        {k.replace('_', '-'): str(v) for k, v in attrs.items()},
        x=_n(x), y=_n(y)))
    element.text = text
    return element


def _shorten(text, length):
    return text if len(text) <= length else text[:length - 1] + '\u2026'


def _serialise(root):
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' +
            ET.tostring(root, encoding='unicode') + '\n')


# -- the task graph -------------------------------------------------------

BOX_W, BOX_H = 200, 56
COL_GAP, ROW_GAP = 70, 18
MARGIN, HEADER = 20, 44


def layers(nodes, edges):
    """Columns by dependency depth, each ordered to cross fewer edges.

    A node's depth is one more than its deepest requirement; within a
    column nodes are sorted by the mean row of what they require (one
    barycentre pass), then by name.
    """
    names = [n.name for n in nodes]
    requires = {name: [] for name in names}
    for required, needing in edges:
        if required in requires and needing in requires:
            requires[needing].append(required)
    depth = _depths(names, requires)
    columns = collections.defaultdict(list)
    for name in names:
        columns[depth[name]].append(name)
    row = {}
    result = []
    for level in sorted(columns):
        def weight(name):
            rows = [row[r] for r in requires[name] if r in row]
            return (sum(rows) / len(rows) if rows else 0, name)
        column = sorted(columns[level], key=weight)
        row.update((name, i) for i, name in enumerate(column))
        result.append(column)
    return result


def _depths(names, requires):
    """Longest chain of requirements below each name (Kahn's order).

    Iterative, for stacks deeper than Python's recursion; a node on a
    cycle (Heat refuses them) stays in the first column.
    """
    waiting = {name: len(set(requires[name])) for name in names}
    needed_by = collections.defaultdict(set)
    for name in names:
        for required in requires[name]:
            needed_by[required].add(name)
    depth = dict.fromkeys(names, 0)
    ready = [name for name in names if not waiting[name]]
    while ready:
        name = ready.pop()
        for needer in needed_by[name]:
            depth[needer] = max(depth[needer], depth[name] + 1)
            waiting[needer] -= 1
            if not waiting[needer]:
                ready.append(needer)
    return depth


def _bend(x1, y1, x2, y2):
    """An S-shaped Bezier segment from (x1, y1), the pen there, to (x2, y2).

    It leaves and arrives horizontally.
    """
    bend = max((x2 - x1) / 2, 20)
    return 'C %s %s, %s %s, %s %s' % (_n(x1 + bend), _n(y1), _n(x2 - bend),
                                      _n(y2), _n(x2), _n(y2))


def graph_svg(title, nodes, edges):
    """The task graph as SVG: boxes coloured by state, arrows to needers."""
    by_name = {n.name: n for n in nodes}
    columns = layers(nodes, edges)
    where = {}
    for col, names in enumerate(columns):
        for row, name in enumerate(names):
            where[name] = (MARGIN + col * (BOX_W + COL_GAP),
                           HEADER + row * (BOX_H + ROW_GAP))
    rows = max((len(c) for c in columns), default=0)
    width = max(MARGIN * 2 + len(columns) * (BOX_W + COL_GAP) - COL_GAP,
                MARGIN * 2 + 9 * len(title), 520)
    legend_y = HEADER + rows * (BOX_H + ROW_GAP) + 8
    root = _svg(width, legend_y + 30, title)
    defs = ET.SubElement(root, 'defs')
    marker = ET.SubElement(defs, 'marker', id='arrow', viewBox='0 0 10 10',
                           refX='10', refY='5', markerWidth='8',
                           markerHeight='8', orient='auto-start-reverse')
    ET.SubElement(marker, 'path', d='M 0 0 L 10 5 L 0 10 z', fill='#555')
    _text(root, MARGIN, 26, title, font_size=15, font_weight='bold')

    edge_group = ET.SubElement(root, 'g', {'class': 'edges'})
    lanes = collections.Counter()
    for required, needing in edges:
        if required not in where or needing not in where:
            continue
        (x1, y1), (x2, y2) = where[required], where[needing]
        x1, y1, y2 = x1 + BOX_W, y1 + BOX_H / 2, y2 + BOX_H / 2
        if x2 - x1 <= COL_GAP:
            d = 'M %s %s %s' % (_n(x1), _n(y1), _bend(x1, y1, x2, y2))
        else:
            # across columns: along the free lane between two rows, so
            # that the edge never runs behind a box it does not touch
            lane = round(((y1 + y2) / 2 - HEADER + ROW_GAP / 2) /
                         (BOX_H + ROW_GAP))
            lane = min(max(lane, 0), rows)
            lanes[lane] += 1
            shift = ((lanes[lane] - 1) % 5 - 2) * 3
            y = HEADER + lane * (BOX_H + ROW_GAP) - ROW_GAP / 2 + shift
            d = 'M %s %s %s L %s %s %s' % (
                _n(x1), _n(y1), _bend(x1, y1, x1 + COL_GAP, y),
                _n(x2 - COL_GAP), _n(y), _bend(x2 - COL_GAP, y, x2, y2))
        path = ET.SubElement(edge_group, 'path', {
            'class': 'edge', 'data-from': required, 'data-to': needing,
            'd': d, 'fill': 'none', 'stroke': '#555',
            'stroke-width': '1.2', 'marker-end': 'url(#arrow)'})
        ET.SubElement(path, 'title').text = '%s needs %s' % (needing,
                                                             required)

    for name in (n for column in columns for n in column):
        node = by_name[name]
        x, y = where[name]
        group = ET.SubElement(root, 'g', {
            'class': 'resource', 'data-name': name,
            'data-state': node.state})
        ET.SubElement(group, 'title').text = '\n'.join(
            p for p in (name, node.type, '%s %s' % (node.action,
                                                    node.status),
                        node.detail) if p)
        ET.SubElement(group, 'rect', {
            'x': _n(x), 'y': _n(y), 'width': _n(BOX_W),
            'height': _n(BOX_H), 'rx': '6',
            'fill': STATE_COLOURS[node.state], 'stroke': '#333'})
        _text(group, x + 8, y + 17, _shorten(name, 26), font_weight='bold')
        _text(group, x + 8, y + 32, _shorten(node.type, 30), font_size=10,
              fill='#333')
        _text(group, x + 8, y + 47, _shorten(
            ' '.join(p for p in ('%s %s' % (node.action, node.status),
                                 node.detail) if p), 32), font_size=10)
    _legend(root, MARGIN, legend_y, [
        (STATE_COLOURS[state], state) for state in STATE_COLOURS])
    return _serialise(root)


def _legend(root, x, y, entries):
    group = ET.SubElement(root, 'g', {'class': 'legend'})
    for colour, label in entries:
        _legend_item(group, ('data-label', label), label, x + 19, y, 'rect',
                     _square(x, y, colour, stroke='#333'))
        x += 34 + 8 * len(label)
    return group


def _legend_item(legend, data, label, text_x, y, tag, swatch):
    """A legend entry at y: its swatch (a ``tag`` element), then its label.

    ``data`` is the (attribute, value) the tests find the entry by.
    """
    item = ET.SubElement(legend, 'g', {'class': 'legend-item',
                                       data[0]: data[1]})
    ET.SubElement(item, tag, swatch)
    _text(item, text_x, y + 11, label)


def _square(x, y, fill, **outline):
    return dict(x=_n(x), y=_n(y), width='14', height='14', fill=fill,
                **outline)


# -- the timeline ---------------------------------------------------------

LABEL_W, PLOT_W = 180, 760
ROW_H, BAR_H = 22, 14
TOP = 62


def engine_colours(engines):
    """A colour per engine, in the order given (first seen first)."""
    colours = collections.OrderedDict()
    for engine in engines:
        if engine not in colours:
            colours[engine] = ENGINE_COLOURS[len(colours) %
                                             len(ENGINE_COLOURS)]
    return colours


def _tick_step(span, ticks=8):
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def timeline_svg(title, rows, bars, takeovers, subtitle=''):
    """A Gantt chart: a row per resource, bars coloured by engine.

    ``rows`` are resource names top to bottom; bar and takeover times are
    seconds from any common origin (the chart starts at the first one).
    """
    scale = _TimeScale(bars, takeovers)
    colours = engine_colours([b.engine for b in sorted(
        bars, key=lambda b: b.start)] + [t.to_engine for t in takeovers])
    bottom = TOP + len(rows) * ROW_H
    failed = any(b.phase == 'failed' for b in bars)
    running = any(b.running for b in bars)
    legend_rows = len(colours) + failed + running + bool(takeovers)
    root = _svg(LABEL_W + PLOT_W + 2 * MARGIN,
                bottom + 34 + 20 * max(legend_rows, 1), title)
    _text(root, MARGIN, 22, title, font_size=15, font_weight='bold')
    if subtitle:
        _text(root, MARGIN, 40, subtitle, font_size=11, fill='#444')
    _time_axis(root, scale, bottom)
    _resource_rows(root, rows)
    _bars(root, scale, rows, bars, colours)
    _takeover_marks(root, scale, bottom, takeovers)
    _timeline_legend(root, bottom + 26, colours, failed, running,
                     bool(takeovers))
    return _serialise(root)


class _TimeScale(object):
    """Seconds to x: the plot spans the first to the last instant shown."""

    def __init__(self, bars, takeovers):
        times = ([b.start for b in bars] + [b.end for b in bars] +
                 [t.at for t in takeovers])
        self.origin = min(times, default=0.0)
        self.span = max(max(times, default=1.0) - self.origin, 0.001)

    def x(self, seconds):
        return MARGIN + LABEL_W + (seconds - self.origin) / self.span * PLOT_W


def _time_axis(root, scale, bottom):
    """A grid line and a label in seconds at each round step."""
    axis = ET.SubElement(root, 'g', {'class': 'axis'})
    step = _tick_step(scale.span)
    tick = 0.0
    while tick <= scale.span + 1e-9:
        x = scale.x(scale.origin + tick)
        ET.SubElement(axis, 'line', x1=_n(x), y1=_n(TOP - 6), x2=_n(x),
                      y2=_n(bottom), stroke='#e4e4e4')
        _text(axis, x, TOP - 9, ('%g s' % round(tick, 6)),
              font_size=10, text_anchor='middle', fill='#555')
        tick += step


def _resource_rows(root, rows):
    """A resource's name per row, every other row shaded."""
    for index, name in enumerate(rows):
        y = TOP + index * ROW_H
        if index % 2:
            ET.SubElement(root, 'rect', x=_n(MARGIN), y=_n(y),
                          width=_n(LABEL_W + PLOT_W), height=_n(ROW_H),
                          fill='#f6f6f6')
        _text(root, MARGIN + 4, y + ROW_H / 2 + 4, _shorten(name, 24))


def _bars(root, scale, rows, bars, colours):
    """The bars of the resources in ``rows``; others are not drawn."""
    row_of = {name: i for i, name in enumerate(rows)}
    group = ET.SubElement(root, 'g', {'class': 'bars'})
    for bar in bars:
        if bar.resource not in row_of:
            continue
        y = TOP + row_of[bar.resource] * ROW_H + (ROW_H - BAR_H) / 2
        x = scale.x(bar.start)
        attrs = {
            'class': 'bar', 'data-resource': bar.resource,
            'data-action': bar.action, 'data-engine': bar.engine,
            'data-phase': bar.phase,
            'x': _n(x), 'y': _n(y),
            'width': _n(max(scale.x(bar.end) - x, 2)), 'height': _n(BAR_H),
            'rx': '2', 'fill': colours[bar.engine]}
        if bar.phase == 'failed':
            attrs.update(FAILED_OUTLINE)
        elif bar.running:
            attrs.update(RUNNING_OUTLINE)
        rect = ET.SubElement(group, 'rect', attrs)
        ET.SubElement(rect, 'title').text = _bar_title(bar)


def _bar_title(bar):
    return '%s %s%s by engine %s: %.2f s%s' % (
        bar.resource, bar.action,
        ' (attempt %s)' % bar.attempt if bar.attempt else '',
        bar.engine, bar.end - bar.start,
        ', running' if bar.running else
        ', ' + bar.phase if bar.phase else '')


def _takeover_marks(root, scale, bottom, takeovers):
    """A dashed red line across the rows at each takeover, labelled below.

    A label late in the chart ends at its line, so that it stays inside.
    """
    marks = ET.SubElement(root, 'g', {'class': 'takeovers'})
    for takeover in takeovers:
        x = scale.x(takeover.at)
        mark = ET.SubElement(marks, 'g', {
            'class': 'takeover', 'data-engine': takeover.to_engine,
            'data-from': takeover.from_engine or ''})
        ET.SubElement(mark, 'title').text = 'taken over by engine %s%s' % (
            takeover.to_engine, ' from engine %s' % takeover.from_engine
            if takeover.from_engine else '')
        ET.SubElement(mark, 'line', {
            'x1': _n(x), 'y1': _n(TOP - 4), 'x2': _n(x), 'y2': _n(bottom),
            **TAKEOVER_LINE})
        late = x > MARGIN + LABEL_W + PLOT_W * 0.7
        _text(mark, x - 3 if late else x + 3, bottom + 12,
              'takeover: %s' % _shorten(takeover.to_engine, 20),
              font_size=10, fill=TAKEOVER_COLOUR,
              text_anchor='end' if late else 'start')


def _timeline_legend(root, y, colours, failed, running, takeovers):
    """A line per engine, then the outlines and the marker that occur."""
    legend = ET.SubElement(root, 'g', {'class': 'legend'})
    _text(legend, MARGIN, y + 11, 'engines:', font_weight='bold')
    for engine, colour in colours.items():
        _legend_item(legend, ('data-engine', engine), engine, MARGIN + 90,
                     y, 'rect', _square(MARGIN + 70, y, colour,
                                        stroke='#333'))
        y += 20
    for label, outline, wanted in (('failed', FAILED_OUTLINE, failed),
                                   ('running', RUNNING_OUTLINE, running)):
        if wanted:
            _legend_item(legend, ('data-label', label), label, MARGIN + 90,
                         y, 'rect', dict(outline, **_square(
                             MARGIN + 70, y, 'white')))
            y += 20
    if takeovers:
        line = {'x1': _n(MARGIN + 77), 'y1': _n(y), 'x2': _n(MARGIN + 77),
                'y2': _n(y + 14), **TAKEOVER_LINE}
        _legend_item(legend, ('data-label', 'takeover'), 'takeover',
                     MARGIN + 90, y, 'line', line)
