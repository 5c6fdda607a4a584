"""The demo: a real heat-engine SIGKILLed mid-create, its stack finished.

Runs the same scenario twice on real processes (heat-api under WSGI with
noauth, heat-engine as its own OS process, MariaDB, RabbitMQ): a stack of
20 OS::Heat::TestResource in 4 chains of 5 (2 s each) is being created,
its engine is SIGKILLed while handlers are in flight, and a new engine
process starts. Stock legacy Heat fails the stack; with heat_resume the
new engine resumes it.

    python -m heat_resume_tests.demo [--only-plugin]
"""

import sys
import time

from heat_resume_tests.functional import harness
from heat_resume_tests.functional import scenario
from heat_resume_tests.functional import templates

PLUGIN = {'heat_resume': {'enabled': 'true', 'in_progress_policy': 'retry'}}


def say(started, text):
    print('[%6.1fs] %s' % (time.monotonic() - started, text), flush=True)


def counts(states):
    result = {}
    for status, _ in states.values():
        result[status] = result.get(status, 0) + 1
    return ', '.join('%d %s' % (n, s) for s, n in sorted(result.items()))


def run(title, config, convergence_engine):
    print('\n== %s ==' % title, flush=True)
    started = time.monotonic()
    with harness.HeatCluster(engines=1, config=config,
                             convergence_engine=convergence_engine) as c:
        say(started, 'heat-api on %s, engine-1 pid %s, database %s'
            % (c.endpoint, c.engine_pids(1), c.name))
        hc = c.client()
        stack_id = hc.stacks.create(
            stack_name='demo', template=templates.chains(
                count=20, chains=4, create=2))['stack']['id']
        say(started, 'creating stack %s: 20 resources, 4 chains of 5, '
            '2 s each' % stack_id)
        scenario.wait_mid_create(hc, stack_id, min_complete=4)
        if config:
            scenario.wait_for_phase(c, stack_id, 'handler_returned')
        c.kill_engine(1)
        states = scenario.db_resource_states(c, stack_id)
        say(started, 'SIGKILLed engine-1 (master and worker): %s'
            % counts(states))
        c.start_engine(1)
        say(started, 'started a new engine-1 process, pid %s'
            % c.engine_pids(1))
        stack = c.wait_for_stack_status(
            stack_id, ('CREATE_COMPLETE', 'CREATE_FAILED'), timeout=120,
            fail_on=())
        say(started, 'stack %s: %s' % (stack.stack_status,
                                       stack.stack_status_reason))
        states = scenario.resource_states(hc, stack_id)
        say(started, 'resources: %s' % counts(states))
        calls = scenario.handle_create_calls(c)
        twice = sorted(n for n, k in calls.items() if k > 1)
        say(started, 'handle_create calls: %d for %d resources; called '
            'twice: %s' % (sum(calls.values()), len(calls),
                           ', '.join(twice) or 'none'))
        if config:
            resumed = sorted(n for n, rec in scenario.task_records(
                c, stack_id).items() if rec.get('resumed_by'))
            say(started, 'polled from their saved cookie by the new engine '
                '(handler not called again): %s'
                % (', '.join(resumed) or 'none'))
        for event in hc.events.list(stack_id):
            reason = event.resource_status_reason or ''
            if 'resumed' in reason or 'went down' in reason:
                say(started, 'event: %s' % reason)
        return stack.stack_status


def main(argv):
    results = []
    if '--only-plugin' not in argv:
        results.append(('stock legacy Heat', run(
            'stock legacy Heat 27 (no heat_resume)', None, False)))
    results.append(('heat_resume', run(
        'heat_resume enabled', PLUGIN, True)))
    print()
    for title, status in results:
        print('%-18s %s' % (title, status))
    return 0 if results[-1][1] == 'CREATE_COMPLETE' else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
