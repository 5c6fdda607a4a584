"""A sqlite database that Heat's test helpers can share between threads."""

import atexit
import os
import shutil
import tempfile

from oslo_config import cfg
from oslo_db import options as db_options
import sqlalchemy

from heat.tests import utils

_DB_DIR = tempfile.mkdtemp(prefix='heat-resume-sqlite-')
_DB_FILE = os.path.join(_DB_DIR, 'heat.sqlite')
atexit.register(shutil.rmtree, _DB_DIR, True)


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
