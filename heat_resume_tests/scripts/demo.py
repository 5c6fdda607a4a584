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

"""The demo: three real heat-engines, the owner of a create killed, the
stack finished by another, live.

Starts, on 127.0.0.1, a private ZooKeeper, a fresh MariaDB database, a
RabbitMQ virtual host, heat-api (WSGI, noauth) and three heat-engines with
heat_resume enabled. It creates a stack of 30 resources (6 chains of 5,
2 s each), follows it with ``heat-resume watch`` (the operators' tool),
SIGKILLs the engine that owns the create half-way, and lets the watch show
the takeover and the completion. Then it checks the test resources'
ledger (nothing created twice), writes the timeline and the task graph
with ``heat-resume timeline`` / ``graph``, and stops everything it
started. ``--stock`` first runs the same kill on stock legacy Heat, which
leaves the stack CREATE_FAILED.

    python -m heat_resume_tests.scripts.demo [--stock] [--output DIR]
"""

import argparse
import os
import subprocess
import sys
import time

from heat_resume_tests.fixtures import harness
from heat_resume_tests.fixtures import zookeeper
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates

SESSION_TIMEOUT = 4.0  # the product's default is 10 s


class Clock(object):

    def __init__(self):
        self.started = time.monotonic()

    def say(self, text):
        print('[%6.1fs] %s' % (time.monotonic() - self.started, text),
              flush=True)


def heat_resume(cluster, *args, **kwargs):
    """Run the operators' command line tool against the cluster."""
    return subprocess.Popen(
        [os.path.join(cluster.bin_dir, 'heat-resume'), '--config-file',
         cluster.conf_file, '--nodebug'] + list(args), **kwargs)


def stock(clock):
    print('\n== stock legacy Heat 27: the engine killed mid-create ==',
          flush=True)
    with harness.HeatCluster(engines=1, convergence_engine=False) as c:
        hc = c.client()
        stack_id = hc.stacks.create(stack_name='demo-stock',
                                    template=templates.chains(
                                        count=20, chains=4, create=2)
                                    )['stack']['id']
        scenario.wait_mid_create(hc, stack_id, min_complete=4)
        c.kill_engine(1)
        clock.say('SIGKILLed engine-1; starting it again')
        c.start_engine(1)
        stack = c.wait_for_stack_status(
            stack_id, ('CREATE_COMPLETE', 'CREATE_FAILED'), timeout=120,
            fail_on=())
        clock.say('stock Heat: %s (%s)' % (stack.stack_status,
                                           stack.stack_status_reason))


def takeover(clock, output):
    print('\n== heat_resume: three engines and ZooKeeper ==', flush=True)
    with zookeeper.ZooKeeperServer() as zk, harness.HeatCluster(
            engines=3, config=harness.plugin_config(
                zk.hosts, SESSION_TIMEOUT)) as c:
        clock.say('heat-api %s; engines %s; ZooKeeper %s (session timeout '
                  '%.0f s)' % (c.endpoint, ', '.join(
                      '%s pid %s' % (c.engine_host(n), c.engine_pids(n)[0])
                      for n in sorted(c.engines)), zk.hosts,
                      SESSION_TIMEOUT))
        hc = c.client()
        stack_id = hc.stacks.create(
            stack_name='demo', template=templates.chains(
                count=30, chains=6, create=2))['stack']['id']
        clock.say('creating stack demo (%s): 30 resources, 6 chains of 5, '
                  '2 s each' % stack_id)
        watch = heat_resume(c, 'watch', stack_id, '--interval', '0.5')
        scenario.wait_mid_create(hc, stack_id, min_complete=12)
        scenario.wait_for_phase(c, stack_id, 'handler_returned')
        owner = c.lock_holder(stack_id)
        c.kill_engine(owner)
        clock.say('SIGKILLed %s, the owner of the create (master and '
                  'worker)' % c.engine_host(owner))
        status = watch.wait(timeout=300)
        clock.say('heat-resume watch exited %d' % status)
        stack = hc.stacks.get(stack_id)
        clock.say('stack demo: %s' % stack.stack_status)
        book = c.ledger()
        clock.say('ledger: %d objects created for %d resources, created '
                  'twice: %s' % (len(book.ops('create')),
                                 len(book.created()),
                                 book.duplicates() or 'none'))
        os.makedirs(output, exist_ok=True)
        for command, name in (('timeline', 'timeline.svg'),
                              ('graph', 'graph.svg')):
            path = os.path.join(output, name)
            heat_resume(c, command, stack_id, '-o', path).wait()
            clock.say('wrote %s' % path)
        return stack.stack_status


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--stock', action='store_true',
                        help='first show stock legacy Heat failing')
    parser.add_argument('--output', default='demo-output',
                        help='where the pictures go (default: %(default)s)')
    args = parser.parse_args(argv)
    clock = Clock()
    if args.stock:
        stock(clock)
    status = takeover(clock, os.path.abspath(args.output))
    return 0 if status == 'CREATE_COMPLETE' else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
