"""A task graph: which nodes may start, given which have finished.

Pure bookkeeping, no threads and no I/O, so that the scheduler's decisions
can be tested on their own. Keys are whatever the caller puts in (Heat's
Resource objects, in practice); nothing here looks inside them.

Keys are told apart by identity, never by ``==``: Heat's
``Resource.__eq__`` compares names and *resolved* definitions, so an
update's graph, which mixes same-named resources of the new, existing and
backup stacks, holds distinct resources that compare equal, and some whose
comparison raises (a get_attr whose stack definition is gone). Lookups go
through dicts keyed by ``id()``; no list of keys is ever searched.
"""

PENDING = 'PENDING'
RUNNING = 'RUNNING'
DONE = 'DONE'
FAILED = 'FAILED'
CANCELLED = 'CANCELLED'

FINISHED = frozenset((DONE, FAILED, CANCELLED))


class TaskGraph(object):
    """Nodes and their requirements, with the state of each node."""

    def __init__(self, requires, order=None):
        """:param requires: mapping of key -> keys that key requires.
        :param order: keys in the order ready nodes are offered (Heat's
            topological order); defaults to the mapping's order.
        """
        # every structure below is keyed by id(key); _keys maps back
        self._keys = {}
        self._requires = {}
        for key, needs in requires.items():
            self._requires[self._add(key)] = {self._add(n) for n in needs}
        for needs in list(self._requires.values()):
            for need in needs:
                self._requires.setdefault(need, set())
        self._required_by = {k: set() for k in self._requires}
        for key, needs in self._requires.items():
            for need in needs:
                self._required_by[need].add(key)
        given = [id(k) for k in (order if order is not None else ())]
        self._order = list(dict.fromkeys(
            [k for k in given if k in self._requires] + list(self._requires)))
        self._state = dict.fromkeys(self._order, PENDING)

    def _add(self, key):
        self._keys[id(key)] = key
        return id(key)

    @classmethod
    def from_dependencies(cls, dependencies, reverse=False):
        """Build from a heat.engine.dependencies.Dependencies."""
        graph = dependencies.graph(reverse=reverse)
        order = list(reversed(dependencies) if reverse else dependencies)
        return cls({k: set(node.requires()) for k, node in graph.items()},
                   order=order)

    def __iter__(self):
        return iter(self._of(self._order))

    def state(self, key):
        return self._state[id(key)]

    def ready(self):
        """Pending nodes whose requirements are all done, in order."""
        return self._of(k for k in self._order
                        if self._state[k] == PENDING and
                        all(self._state[r] == DONE
                            for r in self._requires[k]))

    def running(self):
        return self._of(k for k in self._order
                        if self._state[k] == RUNNING)

    def start(self, key):
        self._set(id(key), RUNNING, expect=(PENDING,))

    def done(self, key):
        self._set(id(key), DONE, expect=(PENDING, RUNNING))

    def fail(self, key):
        """Mark a node failed; return the pending nodes now unreachable."""
        self._set(id(key), FAILED, expect=(PENDING, RUNNING))
        return self._of(self._cancel_pending(self._downstream(id(key))))

    def cancel_pending(self):
        """Never start what has not started; return what was cancelled."""
        return self._of(self._cancel_pending(self._order))

    def finished(self):
        """True when nothing runs and nothing more can start."""
        if self.running():
            return False
        return not self.ready()

    def critical_path(self, cost):
        """Longest sum of cost(key) along any chain of requirements."""
        longest = {}

        def chain(key):
            if key not in longest:
                longest[key] = cost(self._keys[key]) + max(
                    (chain(r) for r in self._requires[key]), default=0)
            return longest[key]

        return max((chain(k) for k in self._order), default=0)

    def _downstream(self, key):
        seen, todo = set(), [key]
        while todo:
            for nxt in self._required_by.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return [k for k in self._order if k in seen]

    def _cancel_pending(self, keys):
        cancelled = [k for k in keys if self._state[k] == PENDING]
        for key in cancelled:
            self._state[key] = CANCELLED
        return cancelled

    def _of(self, ids):
        return [self._keys[k] for k in ids]

    def _set(self, key, state, expect):
        if self._state[key] not in expect:
            raise ValueError('%r is %s, cannot become %s'
                             % (self._keys[key], self._state[key], state))
        self._state[key] = state
