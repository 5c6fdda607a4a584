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

"""HeatResume::Test::Nested: a nested stack slow to learn its own id.

Loaded by heat-engine from ``[DEFAULT] plugin_dirs``, like the ledger. A
StackResource as Heat's template resource is (``create_with_template``:
the create_stack call, then ``resource_id_set``) whose ``id_secs`` waits
between the two, as a loaded engine's reply may: the window in which an
engine killed leaves a nested stack its resource does not know, widened
so that a test can kill an engine inside it.
"""

import time

from heat.engine import properties
from heat.engine.resources import stack_resource


class SlowIdNestedStack(stack_resource.StackResource):

    PROPERTIES = (TEMPLATE, ID_SECS) = ('template', 'id_secs')
    properties_schema = {
        TEMPLATE: properties.Schema(
            properties.Schema.MAP, 'The nested stack\'s template.',
            required=True),
        ID_SECS: properties.Schema(
            properties.Schema.NUMBER,
            'Seconds between the create_stack call and resource_id_set.',
            default=0),
    }

    def child_template(self):
        return self.properties[self.TEMPLATE]

    def child_params(self):
        return {}

    def handle_create(self):
        self._slow_id = True
        self.create_with_template(self.child_template(), self.child_params())

    def resource_id_set(self, inst):
        if getattr(self, '_slow_id', False):
            self._slow_id = False
            time.sleep(self.properties[self.ID_SECS])
        super().resource_id_set(inst)


def resource_mapping():
    return {'HeatResume::Test::Nested': SlowIdNestedStack}
