"""heat-compat: Heat's own stack tests, without and with heat_resume.

Runs the chosen modules of ``heat.tests`` (they ship in the
openstack-heat wheel) twice, in two processes side by side: once stock,
once with heat_resume installed and enabled in every test's setUp. Both
runs use the same thread-safe sqlite file database, so the only
difference is the plugin. Prints the counts of each run and every test
that passes stock but not with the plugin; doc/source/heat-compat.rst
explains those that cannot pass by design.

    python -m heat_resume_tests.scripts.compat [module ...]
"""

import json
import os
import subprocess
import sys
import time
import unittest

MODULES = [
    'heat.tests.test_stack',
    'heat.tests.test_stack_delete',
    'heat.tests.test_stack_update',
    'heat.tests.engine.service.test_stack_create',
    'heat.tests.engine.service.test_stack_update',
    'heat.tests.engine.service.test_stack_action',
    'heat.tests.engine.service.test_stack_delete',
    'heat.tests.test_engine_service',
    'heat.tests.test_resource',
    'heat.tests.openstack.heat.test_resource_group',
    'heat.tests.test_nested_stack',
    'heat.tests.engine.test_scheduler',
]


# Heat tests that pass on stock Heat and fail with heat_resume on purpose:
# test id -> why. Any other such test is a regression: exit 1.
EXPLAINED = {}


def _patch_heat_test_case(enabled):
    from heat.tests import common

    import fixtures
    from oslo_config import cfg

    from heat_resume import conf
    from heat_resume import seam
    from heat_resume_tests.fixtures import sqlite_db

    original = common.HeatTestCase.setUp

    def setUp(self, *args, **kwargs):
        self.useFixture(fixtures.MonkeyPatch(
            'heat.tests.utils.setup_dummy_db', sqlite_db.setup_file_db))
        original(self, *args, **kwargs)
        if enabled:
            conf.register_opts()
            cfg.CONF.set_override('enabled', True, conf.GROUP)
            seam.install()
            self.addCleanup(seam.uninstall)

    common.HeatTestCase.setUp = setUp


def run_one(mode, modules, out):
    """In this process: run ``modules`` stock or enabled; write results."""
    _patch_heat_test_case(mode == 'enabled')
    suite = unittest.defaultTestLoader.loadTestsFromNames(modules)
    result = unittest.TestResult()
    started = time.monotonic()
    suite.run(result)
    bad = sorted(t.id() for t, _ in result.failures + result.errors)
    with open(out, 'w') as f:
        json.dump({'mode': mode, 'run': result.testsRun, 'bad': bad,
                   'skipped': len(result.skipped),
                   'seconds': time.monotonic() - started}, f)


def main(argv):
    if argv[:1] == ['--one']:
        return run_one(argv[1], argv[3:], argv[2])
    modules = argv or MODULES
    procs, outs = [], {}
    for mode in ('stock', 'enabled'):
        outs[mode] = '/tmp/heat-resume-compat-%s-%d.json' % (mode,
                                                             os.getpid())
        procs.append(subprocess.Popen(
            [sys.executable, '-m', 'heat_resume_tests.scripts.compat',
             '--one', mode, outs[mode]] + modules,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        proc.wait()
    results = {}
    for mode, path in outs.items():
        with open(path) as f:
            results[mode] = json.load(f)
        os.unlink(path)
    stock, enabled = results['stock'], results['enabled']
    for res in (stock, enabled):
        print('%-8s ran %4d  passed %4d  failed %3d  skipped %3d  (%.0fs)' % (
            res['mode'], res['run'],
            res['run'] - len(res['bad']) - res['skipped'], len(res['bad']),
            res['skipped'], res['seconds']))
    regressions = sorted(set(enabled['bad']) - set(stock['bad']))
    print('passing stock, failing with heat_resume: %d' % len(regressions))
    for test_id in regressions:
        print('  %s%s' % (test_id, ' (explained: %s)' % EXPLAINED[test_id]
                          if test_id in EXPLAINED else ''))
    unexplained = [t for t in regressions if t not in EXPLAINED]
    if not enabled['run'] or enabled['run'] != stock['run']:
        print('the two runs differ in size: %d stock, %d enabled'
              % (stock['run'], enabled['run']))
        return 1
    return 1 if unexplained else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
