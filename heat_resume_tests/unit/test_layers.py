"""Imports run downwards only: the layers of doc/source/design.rst."""

import ast
import os

import testtools

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'heat_resume')

# top first; a module may import only modules of lower layers
LAYERS = [
    {'plugin'},
    {'seam'},
    {'membership', 'drop_in', 'extension'},
    {'takeover'},
    {'resumed_operation'},
    {'operation', 'handler_loop'},
    {'scheduler', 'coordination', 'progress'},
    {'fence'},
    {'graph', 'resume_rules', 'engine_identity', 'bound_operation'},
    {'conf', 'heat_internals', 'heat_states'},
]


def layer_of(module):
    for depth, layer in enumerate(LAYERS):
        if module in layer:
            return depth
    return None


def imported_modules(path):
    """heat_resume modules (not cmd) that ``path`` imports."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == 'heat_resume':
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split('.')[1] for alias in node.names
                         if alias.name.startswith('heat_resume.'))
    return found - {'cmd'}


class LayersTest(testtools.TestCase):
    def modules(self):
        return sorted(name[:-3] for name in os.listdir(PACKAGE)
                      if name.endswith('.py') and name != '__init__.py')

    def test_every_module_has_a_layer(self):
        self.assertEqual([], [m for m in self.modules()
                              if layer_of(m) is None])

    def test_imports_go_down(self):
        wrong = {}
        for module in self.modules():
            path = os.path.join(PACKAGE, module + '.py')
            up = sorted(m for m in imported_modules(path)
                        if layer_of(m) is not None and
                        layer_of(m) <= layer_of(module))
            if up:
                wrong[module] = up
        self.assertEqual({}, wrong)

    def test_the_scan_sees_imports(self):
        self.assertIn('heat_internals', imported_modules(
            os.path.join(PACKAGE, 'operation.py')))
