"""A HeatTestCase with heat_resume installed and enabled."""

import time

import fixtures
from oslo_config import cfg

from heat.common import template_format
from heat.engine import scheduler as heat_scheduler
from heat.tests import common
from heat.tests import utils

from heat_resume import conf
from heat_resume import seam
from heat_resume_tests.fixtures import sqlite_db


def hot(resources, outputs=None):
    tmpl = {'heat_template_version': '2015-04-30', 'resources': resources}
    if outputs:
        tmpl['outputs'] = outputs
    return tmpl


def test_resource(wait=0, depends_on=(), **props):
    res = {'type': 'OS::Heat::TestResource',
           'properties': dict({'value': 'v', 'wait_secs': wait}, **props)}
    if depends_on:
        res['depends_on'] = list(depends_on)
    return res


class HeatResumeTestCase(common.HeatTestCase):
    enabled = True

    def setUp(self):
        self.useFixture(fixtures.MonkeyPatch(
            'heat.tests.utils.setup_dummy_db', sqlite_db.setup_file_db))
        super().setUp()
        conf.register_opts()
        cfg.CONF.set_override('enabled', self.enabled, conf.GROUP)
        cfg.CONF.set_override('poll_interval_min', 0.005, conf.GROUP)
        cfg.CONF.set_override('poll_interval_max', 0.05, conf.GROUP)
        self.assertTrue(seam.install())
        self.addCleanup(seam.uninstall)

    def parse(self, tmpl, **kwargs):
        if not isinstance(tmpl, dict):
            tmpl = template_format.parse(tmpl)
        return utils.parse_stack(tmpl, **kwargs)

    def create(self, tmpl, **kwargs):
        stack = self.parse(tmpl, **kwargs)
        started = time.monotonic()
        stack.create()
        stack.elapsed = time.monotonic() - started
        return stack

    @staticmethod
    def run_task(task):
        heat_scheduler.TaskRunner(task)()
