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

"""What stock legacy Heat does when its engine dies mid-create.

The baseline heat_resume changes: without the plugin a restarted engine
marks the stack, and every resource the dead engine had in progress,
FAILED. test_engine_death runs the same scenario with the
plugin enabled and expects CREATE_COMPLETE instead.
"""

import testtools

from heat_resume_tests.fixtures import harness
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates

REASON = 'Engine went down during stack CREATE'


class StockEngineDeathTest(testtools.TestCase):

    def setUp(self):
        super(StockEngineDeathTest, self).setUp()
        # Legacy path, no heat_resume section: stock Heat 27 behaviour.
        self.cluster = self.useFixture(
            harness.HeatCluster(engines=1, convergence_engine=False))
        self.cluster.add_log_details(self)
        self.hc = self.cluster.client()

    def test_sigkill_mid_create_fails_stack(self):
        template = templates.chains(count=20, chains=4, create=2)
        stack_id = self.hc.stacks.create(
            stack_name='stock_death', template=template)['stack']['id']
        scenario.wait_mid_create(self.hc, stack_id, min_complete=4)

        self.cluster.kill_engine(1)
        # What the dead engine left; nothing moves until an engine starts.
        before = scenario.db_resource_states(self.cluster, stack_id)
        statuses = [s for s, _ in before.values()]
        self.assertIn('CREATE_IN_PROGRESS', statuses)
        self.assertIn('CREATE_COMPLETE', statuses)
        self.assertEqual(
            (('CREATE', 'IN_PROGRESS'),),
            self.cluster.sql('SELECT action, status FROM stack WHERE id = %s',
                             stack_id))

        self.cluster.start_engine(1)
        stack = self.cluster.wait_for_stack_status(
            stack_id, 'CREATE_FAILED', timeout=60)
        self.assertIn(REASON, stack.stack_status_reason)

        after = scenario.resource_states(self.hc, stack_id)
        for name, (status, _) in before.items():
            if status == 'CREATE_IN_PROGRESS':
                self.assertEqual('CREATE_FAILED', after[name][0], name)
                self.assertIn(REASON, after[name][1])
            else:
                # Finished and never-started resources are left alone.
                self.assertEqual(status, after[name][0], name)
