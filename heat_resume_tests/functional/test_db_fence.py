"""The fence in the database, on the databases Heat runs on.

fence.write_if_owner runs a write in a transaction that first reads the
stack's stack_lock row FOR SHARE. These tests drive it in this process
against a private database on the machine's MariaDB and PostgreSQL, with
Heat's own database API: the owner's write goes in, a zombie's is
refused, and an owner paused *inside* its fenced transaction (the case a
SIGSTOP cannot be aimed at) neither blocks the steal for ever nor gets
its write in after it.
"""

import threading
import time
import uuid

from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
import testtools

from heat.common import context as heat_context
from heat.db import api as db_api
from heat.db import models

from heat_resume import conf
from heat_resume import fence
from heat_resume_tests.fixtures import harness
from heat_resume_tests.fixtures import services

# how long a test waits for something that must happen; not a tolerance
PATIENCE = 60


class DatabaseFenceTest(testtools.TestCase):

    DB_URL = harness.DEFAULT_DB_URL

    def setUp(self):
        super().setUp()
        conf.register_opts(cfg.CONF)
        name = 'hr_fence_%s' % uuid.uuid4().hex[:10]
        services.create_database(self.DB_URL, name)
        self.addCleanup(services.drop_database, self.DB_URL, name)
        manager = enginefacade.transaction_context()
        manager.configure(connection=services.database_url(self.DB_URL,
                                                           name))
        self.addCleanup(db_api.context_manager.patch_factory(manager))
        engine = manager.writer.get_engine()
        self.addCleanup(engine.dispose)
        models.BASE.metadata.create_all(engine)
        self.stack_id = self._stack()
        db_api.stack_lock_create(self.ctx(), self.stack_id, 'engine-a')

    def ctx(self):
        return heat_context.get_admin_context()

    def _stack(self):
        ctx = self.ctx()
        template = db_api.raw_template_create(ctx, {'template': {}})
        return db_api.stack_create(ctx, {
            'name': 'fenced', 'raw_template_id': template.id,
            'username': 'admin', 'tenant': 'admin', 'action': 'CREATE',
            'status': 'IN_PROGRESS', 'status_reason': 'owner',
            'disable_rollback': True}).id

    def reason(self):
        return db_api.stack_get(self.ctx(), self.stack_id).status_reason

    def write(self, reason):
        def stack_update(ctx):
            db_api.stack_update(ctx, self.stack_id,
                                {'status_reason': reason})
        return stack_update

    def test_owner_writes(self):
        fence.write_if_owner(self.ctx(), self.stack_id, 'engine-a',
                             self.write('owner wrote it'))
        self.assertEqual('owner wrote it', self.reason())

    def test_stolen_lock_refuses_the_write(self):
        db_api.stack_lock_steal(self.ctx(), self.stack_id, 'engine-a',
                                'engine-b')
        exc = self.assertRaises(fence.NotOwner, fence.write_if_owner,
                                self.ctx(), self.stack_id, 'engine-a',
                                self.write('zombie wrote it'))
        self.assertIn('engine-b', str(exc))
        self.assertEqual('owner', self.reason())

    def test_owner_paused_inside_its_write(self):
        written, wake = threading.Event(), threading.Event()
        outcome = {}

        def paused_write(ctx):
            self.write('zombie wrote it')(ctx)
            written.set()
            wake.wait(PATIENCE)  # the process is stopped here

        def zombie():
            try:
                fence.write_if_owner(self.ctx(), self.stack_id, 'engine-a',
                                     paused_write)
                outcome['zombie'] = 'wrote'
            except fence.NotOwner as exc:
                outcome['zombie'] = exc

        def steal():
            outcome['steal'] = db_api.stack_lock_steal(
                self.ctx(), self.stack_id, 'engine-a', 'engine-b')
            outcome['stolen_at'] = time.monotonic()

        threads = [threading.Thread(target=zombie)]
        threads[0].start()
        self.assertTrue(written.wait(PATIENCE))
        paused_at = time.monotonic()
        threads.append(threading.Thread(target=steal))
        threads[1].start()
        threads[1].join(PATIENCE)
        # the steal went through while the owner was still paused...
        self.assertFalse(threads[1].is_alive(), 'the steal never came')
        self.assertFalse(wake.is_set())
        self.assertIsNone(outcome['steal'])  # Heat's "stolen"
        self.addDetail('steal_waited', testtools.content.text_content(
            '%.2f s (fence_idle_timeout %s s)' % (
                outcome['stolen_at'] - paused_at,
                cfg.CONF.heat_resume.fence_idle_timeout)))
        # ...the server rolled the paused owner's write back...
        self.assertEqual('owner', self.reason())
        wake.set()
        threads[0].join(PATIENCE)
        # ...and, awake, the owner is refused and writes nothing
        self.assertIsInstance(outcome['zombie'], fence.NotOwner)
        self.assertIn('engine-b', str(outcome['zombie']))
        self.assertEqual('owner', self.reason())
        self.assertEqual('engine-b', db_api.stack_lock_get_engine_id(
            self.ctx(), self.stack_id))


class PostgreSQLDatabaseFenceTest(DatabaseFenceTest):

    DB_URL = 'postgresql+psycopg2://postgres@127.0.0.1:5432'
