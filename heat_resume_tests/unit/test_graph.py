import testtools

from heat_resume import graph


class TaskGraphTest(testtools.TestCase):
    def diamond(self):
        # a <- b, a <- c, (b, c) <- d
        return graph.TaskGraph({'a': set(), 'b': {'a'}, 'c': {'a'},
                                'd': {'b', 'c'}}, order='abcd')

    def test_ready_follows_requirements(self):
        g = self.diamond()
        self.assertEqual(['a'], g.ready())
        g.start('a')
        self.assertEqual([], g.ready())
        g.done('a')
        self.assertEqual(['b', 'c'], g.ready())
        g.start('b')
        g.done('b')
        self.assertEqual(['c'], g.ready())
        g.start('c')
        g.done('c')
        self.assertEqual(['d'], g.ready())
        self.assertFalse(g.finished())

    def test_failure_cancels_only_downstream(self):
        g = self.diamond()
        g.start('a')
        g.done('a')
        g.start('b')
        g.start('c')
        self.assertEqual(['d'], g.fail('b'))
        self.assertEqual(graph.CANCELLED, g.state('d'))
        self.assertEqual(graph.RUNNING, g.state('c'))
        self.assertFalse(g.finished())
        g.done('c')
        self.assertTrue(g.finished())

    def test_cancel_pending_leaves_running_alone(self):
        g = self.diamond()
        g.start('a')
        self.assertEqual(['b', 'c', 'd'], g.cancel_pending())
        self.assertEqual([], g.ready())
        self.assertFalse(g.finished())
        g.done('a')
        self.assertTrue(g.finished())

    def test_illegal_transition_raises(self):
        g = self.diamond()
        g.start('a')
        self.assertRaises(ValueError, g.start, 'a')

    def test_requirement_only_keys_are_nodes(self):
        g = graph.TaskGraph({'b': {'a'}})
        self.assertEqual({'a', 'b'}, set(g))
        self.assertEqual(['a'], g.ready())

    def test_critical_path(self):
        g = self.diamond()
        cost = {'a': 1, 'b': 5, 'c': 2, 'd': 1}
        self.assertEqual(7, g.critical_path(cost.get))

    def test_from_heat_dependencies(self):
        from heat.engine import dependencies
        deps = dependencies.Dependencies([('b', 'a'), ('c', 'b')])
        forward = graph.TaskGraph.from_dependencies(deps)
        self.assertEqual(['a'], forward.ready())
        backward = graph.TaskGraph.from_dependencies(deps, reverse=True)
        self.assertEqual(['c'], backward.ready())


class Twin(object):
    """A key that compares as Heat's Resource does: by name and content.

    Heat's ``Resource.__eq__`` compares names and *resolved* definitions;
    resolving one may raise (a get_attr whose stack definition is gone, as
    in an update's mix of new, existing and backup resources).
    """

    def __init__(self, name, poisoned=False):
        self.name = name
        self.poisoned = poisoned

    def __eq__(self, other):
        if self.poisoned or getattr(other, 'poisoned', False):
            raise RuntimeError('Need a reference to the StackDefinition '
                               'object')
        return isinstance(other, Twin) and self.name == other.name

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return 'Twin(%s@%x)' % (self.name, id(self))


class IdentityTest(testtools.TestCase):
    """Nodes are told apart by identity, never by the keys' __eq__."""

    def test_equal_keys_stay_distinct_nodes(self):
        first, second = Twin('test1'), Twin('test1')
        self.assertEqual(first, second)
        # second is absent from the order given: it must not be taken
        # for first, which is there and compares equal
        g = graph.TaskGraph({first: set(), second: {first}}, order=[first])
        self.assertEqual(2, len(list(g)))
        self.assertEqual([first], g.ready())
        self.assertIs(first, g.ready()[0])
        g.start(first)
        g.done(first)
        self.assertEqual(graph.PENDING, g.state(second))
        self.assertIs(second, g.ready()[0])

    def test_order_never_compares_keys(self):
        a, b, c = (Twin(n, poisoned=True) for n in 'abc')
        # c is a requirement only, absent from the order given
        g = graph.TaskGraph({a: set(), b: {a, c}}, order=[b, a])
        self.assertEqual(3, len(list(g)))
        self.assertEqual(set(map(id, (a, c))), set(map(id, g.ready())))
        g.start(a)
        g.done(a)
        self.assertEqual([b], [k for k in g.fail(c)])
        self.assertEqual(graph.CANCELLED, g.state(b))
        self.assertTrue(g.finished())

    def test_from_dependencies_with_equal_resources(self):
        from heat.engine import dependencies
        new, old, backup = (Twin('test1', poisoned=True) for _ in range(3))
        user = Twin('test2', poisoned=True)
        deps = dependencies.Dependencies([(user, new), (old, None),
                                          (backup, None)])
        g = graph.TaskGraph.from_dependencies(deps)
        self.assertEqual(4, len(list(g)))
        forward = g.ready()
        self.assertEqual({id(new), id(old), id(backup)}, set(map(id, forward)))
        backward = graph.TaskGraph.from_dependencies(deps, reverse=True)
        self.assertEqual({id(user), id(old), id(backup)},
                         set(map(id, backward.ready())))
