"""heat_internals: the one face to Heat, and the shape it was checked at."""

import ast
import os
from unittest import mock

import testtools

from heat.engine import stack as heat_stack

from heat_resume import heat_internals
from heat_resume import heat_states

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'heat_resume')


def heat_imports(path):
    """Lines of ``path`` that import Heat (``heat`` or ``heat.*``)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or '']
        else:
            continue
        if any(n == 'heat' or n.startswith('heat.') for n in names):
            found.append(node.lineno)
    return found


class FaceTest(testtools.TestCase):
    def test_no_other_module_imports_heat(self):
        offenders = {}
        for top, _, files in os.walk(PACKAGE):
            for name in files:
                path = os.path.join(top, name)
                if (name.endswith('.py') and
                        name != 'heat_internals.py' and heat_imports(path)):
                    offenders[os.path.relpath(path, PACKAGE)] = (
                        heat_imports(path))
        self.assertEqual({}, offenders)

    def test_the_scan_finds_imports(self):
        # the rule above could not fail if the scan never found anything
        self.assertNotEqual([], heat_imports(heat_internals.__file__))


class StatesTest(testtools.TestCase):
    def test_heat_states_are_heat_s_own_strings(self):
        names = [n for n in dir(heat_states) if n.isupper()]
        self.assertIn('ROLLBACK', names)
        for name in names:
            owner = (heat_internals.Stack if hasattr(heat_internals.Stack,
                                                     name)
                     else heat_internals.Resource)
            self.assertEqual(getattr(owner, name),
                             getattr(heat_states, name), name)


class ShapeTest(testtools.TestCase):
    def test_missing_symbol_is_named(self):
        with mock.patch.object(heat_internals, 'SHAPE', [
                (heat_stack.Stack, 'no_such_method', ['self'])]):
            error = self.assertRaises(heat_internals.IncompatibleHeat,
                                      heat_internals.check_shape)
        self.assertIn('Stack.no_such_method is missing', str(error))

    def test_changed_parameters_are_named(self):
        with mock.patch.object(heat_internals, 'SHAPE', [
                (heat_stack.Stack, 'state_set', ['self', 'status'])]):
            error = self.assertRaises(heat_internals.IncompatibleHeat,
                                      heat_internals.check_shape)
        self.assertIn('Stack.state_set', str(error))
        self.assertIn("expected parameters ('self', 'status')", str(error))

    def test_shape_of_this_heat_is_known(self):
        heat_internals.check_shape()

    def test_this_heat_is_a_checked_release(self):
        # a new pin in constraints/ needs its release checked and listed
        self.assertIn(heat_internals.heat_version(),
                      heat_internals.CHECKED_VERSIONS)


class ConstraintsTest(testtools.TestCase):
    def test_each_series_pins_a_checked_heat(self):
        # constraints/heat-<series>.txt is what each tox env installs
        top = os.path.dirname(PACKAGE)
        for series, versions in heat_internals.CHECKED_RELEASES.items():
            path = os.path.join(top, 'constraints', 'heat-%s.txt' % series)
            with open(path) as f:
                pins = [line.split('==', 1)[1].strip() for line in f
                        if line.startswith('openstack-heat==')]
            self.assertEqual(1, len(pins), path)
            self.assertIn(pins[0], versions, path)
