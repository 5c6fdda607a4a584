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

"""The everyday forms of an engine going away, with the DEFAULT policy.

A rolling restart (every upgrade) stops each engine gracefully while its
handlers are in the middle of slow cloud calls: the engine drains (its
handlers return and record their cookies) before it hands over, so a
peer polls them and nothing fails under ``in_progress_policy = fail``.
A fleet switched over engine by engine: a stock engine's stacks are
never taken by a heat_resume engine while the stock engine lives.
"""

import signal
import threading
import time

from heat_resume_tests.fixtures import harness
from heat_resume_tests.functional import base
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates


def default_policy_config(zk_hosts, session_timeout):
    # in_progress_policy stays at its default, fail: what operators run
    return harness.plugin_config(zk_hosts, session_timeout,
                                 sweep_interval=5, retry=False)


class RollingRestartTest(base.HeatResumeTest):

    ENGINES = 3

    @classmethod
    def cluster_config(cls, zk_hosts):
        return default_policy_config(zk_hosts, cls.SESSION_TIMEOUT)

    def wave(self):
        """Two creates whose handle_create calls take 1.5 s each."""
        return [self.stack_create(templates.chains(
            count=8, chains=4, create=1, handler=1.5), None)
            for _ in range(2)]

    def test_every_engine_restarted_in_turn(self):
        self.require_harness()
        stacks, restarted = [], []
        for _ in range(3):
            wave = self.wave()
            stacks += wave
            # a handle_create of the first stack is running
            scenario.wait_for_phase(self.cluster, wave[0], 'handler_started')
            holders = [self.cluster.lock_holder(s) for s in wave]
            engine = next((n for n in holders
                           if n is not None and n not in restarted),
                          None) or min({1, 2, 3} - set(restarted))
            self.cluster.kill_engine(engine, sig=signal.SIGTERM)
            self.cluster.start_engine(engine)
            restarted.append(engine)
        self.assertEqual([1, 2, 3], sorted(restarted))
        for stack_id in stacks:
            self.wait_for_status(stack_id, 'CREATE_COMPLETE')
            self.assert_settled(stack_id)
        # the first stop caught a handler of the first stack: it returned
        # during the drain, and the peer polled its cookie
        polled = [rec for rec in scenario.task_records(
            self.cluster, stacks[0]).values() if rec.get('resumed_by')]
        self.assertNotEqual([], polled)
        log = self.cluster.engine_log(restarted[0])
        self.assertIn('drained in', log)


class MixedFleetTest(base.HeatResumeTest):
    """Engine 1 runs stock legacy Heat; engine 2 heat_resume (switching)."""

    ENGINES = 1
    ENGINE_CONFIG = {1: {'heat_resume': {'enabled': 'false'},
                         'DEFAULT': {'convergence_engine': 'false'}}}

    @classmethod
    def cluster_config(cls, zk_hosts):
        return default_policy_config(zk_hosts, cls.SESSION_TIMEOUT)

    def watch_holders(self, stacks):
        """Every stack_lock holder seen, per stack, until told to stop."""
        seen = {stack_id: set() for stack_id in stacks}
        stop = threading.Event()

        def sample():
            while not stop.wait(0.2):
                for stack_id in stacks:
                    for (engine,) in self.cluster.sql(
                            'SELECT engine_id FROM stack_lock '
                            'WHERE stack_id = %s', stack_id):
                        seen[stack_id].add(engine)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(stop.set)
        return seen, stop

    def test_stock_engine_s_stacks_are_never_taken(self):
        self.require_harness()
        stock = self.cluster.engine_id(1)
        stacks = [self.stack_create(templates.chains(
            count=12, chains=4, create=6), None) for _ in range(2)]
        deadline = time.monotonic() + 30
        while not all(self.cluster.lock_holder(s) == 1 for s in stacks):
            self.assertLess(time.monotonic(), deadline, 'not begun')
            time.sleep(0.2)
        seen, stop = self.watch_holders(stacks)
        # a heat_resume engine joins (Heat's reset_stack_status and the
        # sweep run at its start), and is restarted once
        self.cluster.start_engine(2)
        time.sleep(6)  # one sweep_interval and more
        self.cluster.kill_engine(2, sig=signal.SIGTERM)
        self.cluster.start_engine(2)
        for stack_id in stacks:
            self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        stop.set()
        for stack_id in stacks:
            self.assertEqual({stock}, seen[stack_id], stack_id)
            self.assert_settled(stack_id)
            events = self.hc.events.list(stack_id)
            self.assertEqual([], [e.resource_status_reason for e in events
                                  if 'resumed' in (e.resource_status_reason
                                                   or '')])
