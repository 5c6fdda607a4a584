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

"""Leader loss in a real three-server ZooKeeper ensemble.

The product relies on a ZooKeeper session (and so its ephemeral nodes,
i.e. engine membership and stack locks) outliving the loss of the
ensemble's leader: a new leader is elected and clients reconnect within
their session timeout.
"""

import time

from kazoo import client as kazoo_client
from kazoo import protocol
from testtools import content

from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.unit import base

SESSION_TIMEOUT = 4.0


wait_for = zookeeper.wait_for


class LeaderLossTest(base.ZooKeeperTestCase):
    START_ZOOKEEPER = False  # the test starts and times an ensemble

    def client(self, hosts, randomize_hosts=True):
        client = kazoo_client.KazooClient(hosts=hosts,
                                          timeout=SESSION_TIMEOUT,
                                          randomize_hosts=randomize_hosts)
        states = []
        client.add_listener(states.append)
        client.start(10)
        self.addCleanup(client.close)
        self.addCleanup(client.stop)
        return client, states

    def test_session_survives_leader_loss(self):
        began = time.monotonic()
        ensemble = self.useFixture(zookeeper.ZooKeeperEnsemble())
        started = time.monotonic()
        old_leader = ensemble.leader()
        self.assertIsNotNone(old_leader)

        # Any member, as the product connects; and the worst case for
        # certain: a client on the leader loses its server too.
        client, states = self.client(ensemble.hosts)
        others = [s.hosts for i, s in enumerate(ensemble.servers)
                  if i != old_leader]
        on_leader, on_leader_states = self.client(
            ','.join([ensemble.servers[old_leader].hosts] + others),
            randomize_hosts=False)
        clients = ((client, states, '/leader-loss/any'),
                   (on_leader, on_leader_states, '/leader-loss/on-leader'))
        sessions = []
        for c, _, path in clients:
            c.create(path, b'before', ephemeral=True, makepath=True)
            sessions.append(c.client_id)

        killed_at = time.monotonic()
        self.assertEqual(old_leader, ensemble.stop_leader())
        new_leader = ensemble.wait_for_quorum(timeout=15)
        elected = time.monotonic() - killed_at
        self.assertNotEqual(old_leader, new_leader)
        self.assertEqual({'leader', 'follower'},
                         set(ensemble.modes().values()))

        self.assertTrue(wait_for(lambda: client.connected and
                                 on_leader.connected, 2 * SESSION_TIMEOUT))
        reconnected = time.monotonic() - killed_at
        self.assertIn(protocol.states.KazooState.SUSPENDED,
                      on_leader_states)
        for (c, c_states, path), session in zip(clients, sessions):
            self.assertNotIn(protocol.states.KazooState.LOST, c_states)
            self.assertEqual(session, c.client_id)
            data, stat = c.get(path)
            self.assertEqual(b'before', data)
            self.assertEqual(session[0], stat.ephemeralOwner)
            c.set(path, b'after')
            c.create(path + '-written', b'x', ephemeral=True)
        self.assertEqual(b'after', client.get('/leader-loss/on-leader')[0])

        self.addDetail('timings', content.text_content(
            'ensemble up %.1fs, new leader %.2fs after the kill, clients '
            'back %.2fs after it, test %.1fs' % (
                started - began, elected, reconnected,
                time.monotonic() - began)))
