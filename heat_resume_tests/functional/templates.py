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

"""Inline HOT templates shared by the functional tests."""

import yaml


def resource_name(i):
    return 'r%02d' % i


LEDGER = 'HeatResume::Test::Ledger'


def chains(count=20, chains=4, create=2, update=0, delete=0, value='',
           type=LEDGER, handler=0):
    """HOT dict of ``count`` test resources in parallel chains.

    Resource ``i`` depends on ``i - chains``, so the stack has ``chains``
    independent chains of ``count / chains`` resources that the engine
    creates in parallel, and a stack create takes at least
    ``count / chains * create`` seconds (legacy adds ~1 s per step): long
    enough to kill an engine when some resources are CREATE_COMPLETE,
    some CREATE_IN_PROGRESS and some not started.

    :param create, update, delete: ``action_wait_secs`` of every resource.
    :param type: HeatResume::Test::Ledger (an OS::Heat::TestResource that
        keeps heat_resume_tests.fixtures.ledger) or another TestResource type.
    :param value: appended to every resource's value (an update changes
        it to update every resource in place).
    :param handler: seconds each Ledger resource's handle_create takes
        (``handler_secs``: a slow cloud call).
    """
    resources = {}
    for i in range(count):
        res = {
            'type': type,
            'properties': {
                'value': resource_name(i) + value,
                'action_wait_secs': {
                    'create': create, 'update': update, 'delete': delete},
            },
        }
        if handler:
            res['properties']['handler_secs'] = handler
        if i >= chains:
            res['depends_on'] = [resource_name(i - chains)]
        resources[resource_name(i)] = res
    return {
        'heat_template_version': '2018-08-31',
        'description': '%d TestResources in %d chains' % (count, chains),
        'resources': resources,
    }


def nested_parent():
    """A template resource, inner.yaml, between two TestResources.

    ``after`` reads the nested stack's output: the parent goes on only
    once the nested stack is complete. Create it with nested_files().
    """
    return {
        'heat_template_version': '2018-08-31',
        'resources': {
            'before': {'type': 'OS::Heat::TestResource',
                       'properties': {'value': 'before'}},
            'inner': {'type': 'inner.yaml', 'depends_on': ['before']},
            'after': {'type': 'OS::Heat::TestResource',
                      'depends_on': ['inner'],
                      'properties': {'value': {
                          'get_attr': ['inner', 'first']}}},
        },
        'outputs': {'after': {'value': {'get_attr': ['after', 'output']}}},
    }


def nested_inner():
    tmpl = chains(count=8, chains=2, create=2)
    tmpl['outputs'] = {'first': {'value': {'get_attr': ['r00', 'output']}}}
    return tmpl


def nested_files():
    """The ``files`` of a nested_parent() create: its inner.yaml."""
    return {'inner.yaml': yaml.safe_dump(nested_inner())}
