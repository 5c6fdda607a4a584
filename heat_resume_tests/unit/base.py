"""A HeatTestCase with heat_resume installed and enabled."""

import os
import tempfile
import time

import fixtures
from oslo_config import cfg
from oslo_db import options as db_options
import sqlalchemy

from heat.common import template_format
from heat.engine import scheduler as heat_scheduler
from heat.tests import common
from heat.tests import utils

from heat_resume import conf
from heat_resume import seam


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


_DB_FILE = os.path.join(tempfile.mkdtemp(prefix='heat-resume-unit-'),
                        'heat.sqlite')


def setup_file_db():
    """Heat's setup_dummy_db, on a file instead of one shared connection.

    Heat's in-memory sqlite is one connection for the whole process; the
    scheduler's worker threads would interleave their transactions on it.
    A file gives each thread its own connection; BEGIN IMMEDIATE makes
    sqlite queue writers (up to its 5s busy timeout) instead of failing a
    transaction that reads first and writes later ("database is locked").
    """
    db_options.set_defaults(cfg.CONF, connection='sqlite:///' + _DB_FILE)
    cfg.CONF.set_default('sqlite_synchronous', False, group='database')
    engine = utils.get_engine()
    engine.dispose()
    if not sqlalchemy.event.contains(engine, 'begin', _begin_immediate):
        for listener in list(engine.dispatch.begin):
            if listener.__name__ == '_sqlite_emit_begin':  # oslo.db's
                sqlalchemy.event.remove(engine, 'begin', listener)
        sqlalchemy.event.listen(engine, 'begin', _begin_immediate)
    utils.models.BASE.metadata.create_all(engine)


def _begin_immediate(connection):
    # oslo.db's _sqlite_emit_begin, with IMMEDIATE
    if 'in_transaction' not in connection.info:
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        connection.info['in_transaction'] = True


class HeatResumeTestCase(common.HeatTestCase):
    enabled = True

    def setUp(self):
        self.useFixture(fixtures.MonkeyPatch(
            'heat.tests.utils.setup_dummy_db', setup_file_db))
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
