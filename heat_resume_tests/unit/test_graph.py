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
