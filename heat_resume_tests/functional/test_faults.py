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

"""Faults around the owner's engine: more engines, ZooKeeper, the
database and the broker breaking mid-operation, on private instances.

Each test ends as every functional test does: the expected terminal state,
nothing IN_PROGRESS, and a ledger with no duplicate and (after the
cleanup's delete) no leak.
"""

import time

from heatclient import exc as heat_exc
import testtools

from heat_resume_tests.functional import base
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates


def detail(test, name, text):
    test.addDetail(name, testtools.content.text_content(text))


class FaultTest(base.HeatResumeTest):

    def start_create(self, count=12, create=2):
        """Start a create; return once some handle_create has returned."""
        stack_id = self.stack_create(templates.chains(
            count=count, chains=4, create=create), None)
        scenario.wait_for_phase(self.cluster, stack_id, 'handler_returned')
        return stack_id, self.cluster.lock_holder(stack_id)

    def resumed(self, stack_id):
        return [name for name, rec in scenario.task_records(
            self.cluster, stack_id).items() if rec.get('resumed_by')]

    def assert_finished_by_owner(self, stack_id, owner):
        """No takeover happened: the owner wrote every task record."""
        self.assertEqual([], self.resumed(stack_id))
        self.assertEqual({self.cluster.engine_id(owner)}, {
            rec['engine'] for rec in scenario.task_records(
                self.cluster, stack_id).values()})


class TwoEnginesKilledTest(FaultTest):

    ENGINES = 3

    def test_owner_and_another_engine_killed(self):
        stack_id, owner = self.start_create(count=20)
        other = next(n for n in (1, 2, 3) if n != owner)
        self.kill_engine(owner, stack_id)
        self.kill_engine(other, stack_id)
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)
        survivor = 6 - owner - other
        self.assertIn(self.cluster.engine_id(survivor), {
            rec['engine'] for rec in scenario.task_records(
                self.cluster, stack_id).values()})


class ZooKeeperOutageTest(FaultTest):

    def test_zookeeper_down_longer_than_the_session(self):
        stack_id, owner = self.start_create()
        self.zk.stop()
        time.sleep(3 * self.SESSION_TIMEOUT)
        # the owner fenced itself when its session was lost: a handler it
        # was running could not record its object (no physical id), the
        # window of a kill inside a handler (kill_engine notes it so)
        self.caught |= scenario.caught_in_handler(self.cluster, stack_id)
        self.zk.start()
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)
        detail(self, 'resumed', repr(self.resumed(stack_id)))


class EnsembleLeaderLossTest(FaultTest):

    ZK_ENSEMBLE = True
    SESSION_TIMEOUT = 4.0

    def test_leader_loss_changes_nothing(self):
        stack_id, owner = self.start_create()
        stopped = self.zk.stop_leader()
        self.assertNotEqual(stopped, self.zk.wait_for_quorum())
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)
        self.assert_finished_by_owner(stack_id, owner)


class DatabaseRestartTest(FaultTest):

    PRIVATE_MARIADB = True

    def test_mariadb_restart_mid_create(self):
        stack_id, owner = self.start_create()
        self.mariadb.stop()
        time.sleep(2)
        self.mariadb.start()
        self.wait_for_status(stack_id, 'CREATE_COMPLETE')
        self.assert_settled(stack_id)


class BrokerRestartTest(FaultTest):

    PRIVATE_RABBITMQ = True
    # RabbitMQ drops a request published before the engines have declared
    # their queues again on the restarted broker (it is not durable): the
    # API's call then waits its whole rpc_response_timeout. 10 s instead of
    # 60 lets the test ask again within the window below.
    RPC_TIMEOUT = 10
    API_BACK_WITHIN = 90

    @classmethod
    def cluster_config(cls, zk_hosts):
        config = super().cluster_config(zk_hosts)
        config['DEFAULT'] = {'rpc_response_timeout': str(cls.RPC_TIMEOUT)}
        return config

    def wait_for_api(self, stack_id):
        """Ask until an engine answers the API over the new broker."""
        deadline = time.monotonic() + self.API_BACK_WITHIN
        while True:
            try:
                return self.hc.stacks.get(stack_id)
            except heat_exc.HTTPInternalServerError:
                self.assertLess(time.monotonic(), deadline,
                                'no engine answered the API over RPC')

    def test_rabbitmq_restart_mid_create(self):
        stack_id, owner = self.start_create()
        self.rabbit.restart()
        # the operation runs in the engine, not over RPC: it goes on
        scenario.wait_for_db_status(self.cluster, stack_id,
                                    'CREATE_COMPLETE')
        # and the API works again once oslo.messaging has reconnected
        self.wait_for_api(stack_id)
        self.stack_update(stack_id, templates.chains(
            count=12, chains=4, create=0, value='-new'))
        self.assert_settled(stack_id)


class DeletedDuringTakeoverTest(FaultTest):

    def test_stack_deleted_while_its_owner_is_taken_over(self):
        stack_id, owner = self.start_create(count=20)
        self.kill_engine(owner, stack_id)
        # as a user would: delete, and again while Heat says it is busy
        refusals = []
        deadline = time.monotonic() + 60
        while True:
            try:
                self.hc.stacks.delete(stack_id)
                break
            except heat_exc.HTTPException as e:
                refusals.append(str(e).strip())
                self.assertLess(time.monotonic(), deadline, refusals)
                time.sleep(1)
        detail(self, 'refusals', '\n'.join(refusals))
        # Heat's delete waits for the stack lock: the takeover may finish
        # the create first, then the delete runs
        self.wait_for_status(stack_id, 'DELETE_COMPLETE',
                             previous='CREATE_COMPLETE')
        self.assert_no_leaks(stack_id)
