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

"""HeatResume::Test::Ledger: a TestResource that keeps a ledger.

Loaded by heat-engine from ``[DEFAULT] plugin_dirs`` (the functional
harness points it at this directory). It behaves like
OS::Heat::TestResource (same properties: action_wait_secs, fail,
update_replace, ...), but each create makes an "object" with a fresh id in
heat_resume_tests.fixtures.ledger, and each delete removes it there, as a
real cloud API would.
"""

import json
import os
import socket
import tempfile
import time
import uuid

from heat.engine import properties
from heat.engine.resources.openstack.heat import test_resource
from oslo_utils import timeutils

# The same as heat_resume_tests.fixtures.ledger.ENV and DEFAULT_PATH: this
# module is loaded from plugin_dirs and must not need heat_resume_tests
# installed.
ENV = 'HEAT_RESUME_LEDGER'
DEFAULT_PATH = os.path.join(tempfile.gettempdir(), 'heat-resume-ledger.jsonl')


def record(op, **fields):
    """Append one entry with one write() on an O_APPEND descriptor."""
    entry = dict(fields, op=op, pid=os.getpid(), host=socket.gethostname(),
                 time=time.time())
    line = (json.dumps(entry, sort_keys=True) + '\n').encode()
    fd = os.open(os.environ.get(ENV) or DEFAULT_PATH,
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


class LedgerResource(test_resource.TestResource):

    HANDLER_SECS = 'handler_secs'
    properties_schema = dict(
        test_resource.TestResource.properties_schema,
        **{HANDLER_SECS: properties.Schema(
            properties.Schema.NUMBER,
            'Seconds handle_create takes before the object exists.',
            default=0, update_allowed=True)})

    def _record(self, op, obj):
        record(op, object=obj, key='%s/%s' % (self.stack.id, self.id),
               stack=self.stack.id, root=self.stack.root_stack_id(),
               name=self.name)

    def handle_create(self):
        if self.properties[self.FAIL]:
            return super().handle_create()
        time.sleep(self.properties[self.HANDLER_SECS])
        obj = str(uuid.uuid4())
        self._record('create', obj)
        self.resource_id_set(obj)
        self.data_set('value', self.properties[self.VALUE], redact=False)
        return timeutils.utcnow(), self._wait_secs()

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        self._record('update', self.resource_id)
        return super().handle_update(json_snippet, tmpl_diff, prop_diff)

    def handle_delete(self):
        if self.resource_id is not None:
            self._record('delete', self.resource_id)
        return super().handle_delete()


def resource_mapping():
    return {'HeatResume::Test::Ledger': LedgerResource}
