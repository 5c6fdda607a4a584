"""Benchmark: stock legacy Heat vs heat_resume, in one process.

Creates the same stacks with Heat's in-process API on a MariaDB database
of its own, first with heat_resume installed but disabled (stock legacy:
Heat's TaskRunner, 1 s steps), then enabled, and prints wall-clock
figures. A script that prints figures, not a test.

    python -m heat_resume_tests.scripts.bench [--db-url URL]
        [--only fanout,chain,dag]
"""

import argparse
import logging
import os
import secrets
import sys
import time

from oslo_config import cfg

SCENARIOS = ('fanout', 'chain', 'dag')


def test_resource(wait=0, depends_on=()):
    res = {'type': 'OS::Heat::TestResource',
           'properties': {'value': 'v', 'wait_secs': wait}}
    if depends_on:
        res['depends_on'] = sorted(depends_on)
    return res


def fanout(width=200):
    resources = {'root': test_resource()}
    for i in range(width):
        resources['leaf%03d' % i] = test_resource(depends_on=['root'])
    return resources


def chain(length=50):
    return {'c%02d' % i: test_resource(
        depends_on=['c%02d' % (i - 1)] if i else ())
        for i in range(length)}


def dag():
    """20 resources in 5 layers of 4, waits of 1-3 s, uneven edges."""
    waits = [1, 2, 3, 1, 2]
    resources = {}
    for layer in range(5):
        for i in range(4):
            deps = ()
            if layer:
                deps = {'n%d%d' % (layer - 1, i),
                        'n%d%d' % (layer - 1, (i + layer) % 4)}
            resources['n%d%d' % (layer, i)] = test_resource(
                wait=waits[(layer + i) % 5], depends_on=deps)
    return resources


def critical_path(resources):
    from heat_resume import graph
    g = graph.TaskGraph({k: set(v.get('depends_on', ()))
                         for k, v in resources.items()})
    return g.critical_path(
        lambda k: resources[k]['properties']['wait_secs'])


def setup_heat(db_url):
    from heat.common import config  # noqa: F401  registers Heat's options
    from heat.common import messaging
    from heat.db import api as db_api
    from heat.db import models
    from heat.engine import resources as heat_resources
    from heat.engine import scheduler as heat_scheduler
    from heat_resume import conf
    from heat_resume import seam

    etc = os.path.join(sys.prefix, 'etc', 'heat')
    cfg.CONF([], project='heat', default_config_files=[])
    cfg.CONF.set_override('connection', db_url, group='database')
    cfg.CONF.set_override('deferred_auth_method', 'password')
    cfg.CONF.set_override('environment_dir',
                          os.path.join(etc, 'environment.d'))
    cfg.CONF.set_override('template_dir', os.path.join(etc, 'templates'))
    cfg.CONF.set_override('max_resources_per_stack', 1000)
    conf.register_opts()
    models.BASE.metadata.create_all(db_api.get_engine())
    messaging.setup('fake://', optional=True)  # notifications go nowhere
    heat_resources.initialise()
    heat_scheduler.ENABLE_SLEEP = True
    seam.install()


def create(resources, enabled):
    from heat.common import context
    from heat.engine import stack as heat_stack
    from heat.engine import template
    from heat_resume import seam

    cfg.CONF.set_override('enabled', enabled, 'heat_resume')
    seam.sync_conf()
    ctx = context.RequestContext(user_id='bench', project_id='bench',
                                 is_admin=True, password='x',
                                 auth_token_info={'token': 'x'})
    tmpl = template.Template({'heat_template_version': '2015-04-30',
                              'resources': resources})
    stack = heat_stack.Stack(ctx, 'bench-%s' % secrets.token_hex(3), tmpl)
    stack.store()
    started = time.monotonic()
    stack.create()
    elapsed = time.monotonic() - started
    if stack.state != ('CREATE', 'COMPLETE'):
        raise SystemExit('%s: %s' % (stack.state, stack.status_reason))
    return elapsed


def make_database(server_url):
    import pymysql
    name = 'hr_bench_%s' % secrets.token_hex(4)
    conn = pymysql.connect(host='127.0.0.1', port=3306, user='root',
                           password='')
    with conn.cursor() as cur:
        cur.execute('CREATE DATABASE %s CHARACTER SET utf8mb4' % name)
    return conn, name, '%s/%s?charset=utf8mb4' % (server_url, name)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db-url', default='mysql+pymysql://root:@127.0.0.1'
                        ':3306', help='MariaDB server, without database')
    parser.add_argument('--only', default=','.join(SCENARIOS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    conn, name, url = make_database(args.db_url)
    try:
        setup_heat(url)
        return run(args.only.split(','))
    finally:
        with conn.cursor() as cur:
            cur.execute('DROP DATABASE %s' % name)


def run(only):
    print('max_concurrency=%d poll %.3f..%.2fs x%.1f' % (
        cfg.CONF.heat_resume.max_concurrency,
        cfg.CONF.heat_resume.poll_interval_min,
        cfg.CONF.heat_resume.poll_interval_max,
        cfg.CONF.heat_resume.poll_backoff_factor))
    rows = []
    if 'fanout' in only:
        res = fanout()
        rows.append(('fan-out: 1 root + 200 zero-wait', len(res),
                     create(res, False), create(res, True), None))
    if 'chain' in only:
        res = chain()
        rows.append(('chain of 50 zero-wait', len(res),
                     create(res, False), create(res, True), None))
    if 'dag' in only:
        res = dag()
        rows.append(('20-resource DAG with waits', len(res),
                     create(res, False), create(res, True),
                     critical_path(res)))
    print('%-34s %5s %10s %12s %10s' % ('stack create', 'res', 'stock s',
                                        'heat_resume s', 'speed-up'))
    for title, count, stock, ours, path in rows:
        print('%-34s %5d %10.2f %12.2f %9.1fx' % (title, count, stock, ours,
                                                  stock / ours))
        print('    per resource: stock %.1f ms, heat_resume %.1f ms' % (
            1000 * stock / count, 1000 * ours / count))
        if path:
            print('    critical path %.1f s: stock %.3fx, heat_resume %.3fx'
                  % (path, stock / path, ours / path))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
