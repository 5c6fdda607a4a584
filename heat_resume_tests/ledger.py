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

"""Read the ledger of what the test resource did, kept outside Heat.

``HeatResume::Test::Ledger`` (heat_resume_tests/resources/ledger_resource.py,
self-contained so that it can be dropped into any Heat's plugin_dirs)
appends one JSON line per handle_create, handle_update and handle_delete to
the file named by $HEAT_RESUME_LEDGER, with one ``write()`` on an
``O_APPEND`` descriptor, so lines of concurrent engines never interleave.
Heat's database can be wrong after a crash; this file is the "cloud" the
resources live in, so tests can prove that nothing was created twice and
nothing leaked.

Each created object has its own id (the resource's resource_id). ``key``
is the Heat resource row it was created for: one key with two create
entries is a resource whose handle_create ran twice.
"""

import json
import os
import tempfile

ENV = 'HEAT_RESUME_LEDGER'
DEFAULT_PATH = os.path.join(tempfile.gettempdir(), 'heat-resume-ledger.jsonl')


def path():
    """The ledger file engines write to and tests read."""
    return os.environ.get(ENV) or DEFAULT_PATH


class Ledger(object):
    """What the entries of one ledger file say."""

    def __init__(self, entries):
        self.entries = list(entries)

    @classmethod
    def read(cls, file_path=None):
        try:
            with open(file_path or path()) as f:
                return cls(json.loads(line) for line in f if line.strip())
        except FileNotFoundError:
            return cls([])

    def of_stacks(self, stack_ids):
        stack_ids = set(stack_ids)
        return Ledger(e for e in self.entries if e['stack'] in stack_ids)

    def ops(self, op):
        return [e for e in self.entries if e['op'] == op]

    def created(self):
        return {e['object']: e for e in self.ops('create')}

    def duplicates(self):
        """Resource rows that had two objects at once.

        A create may run again for one row (Heat's own create retry, or a
        resume that found the handler interrupted) only once the object
        of the earlier run was deleted.
        """
        deleted = {e['object']: e['time'] for e in self.ops('delete')}
        live = {}
        found = set()
        for e in sorted(self.ops('create'), key=lambda e: e['time']):
            before = live.get(e['key'])
            if before is not None and deleted.get(before, e['time']) >= \
                    e['time']:
                found.add(e['key'])
            live[e['key']] = e['object']
        return sorted(found)

    def live(self):
        """Objects created and never deleted, by resource name."""
        deleted = {e['object'] for e in self.ops('delete')}
        return {obj: e['name'] for obj, e in self.created().items()
                if obj not in deleted}

    def calls(self, op, name):
        return len([e for e in self.ops(op) if e['name'] == name])
