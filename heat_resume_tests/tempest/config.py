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

"""The ``[heat_resume]`` group of tempest.conf."""

from oslo_config import cfg

from heat_resume_tests.fixtures import ledger

group = cfg.OptGroup(name='heat_resume',
                     title='heat_resume functional tests')

opts = [
    cfg.StrOpt('heat_url',
               help='Heat API endpoint with the project, for a Heat that '
                    'runs with the noauth paste flavor (e.g. '
                    'http://127.0.0.1:8004/v1/admin). Unset: the endpoint '
                    'comes from the Keystone catalog, with tempest\'s admin '
                    'credentials ([auth] admin_*).'),
    cfg.StrOpt('ledger_path', default=ledger.DEFAULT_PATH,
               help='File the HeatResume::Test::Ledger resource writes on '
                    'the engines\' host ($HEAT_RESUME_LEDGER of '
                    'heat-engine); the tests read it to prove nothing was '
                    'created twice or leaked.'),
    cfg.IntOpt('build_timeout', default=300,
               help='Seconds a stack operation may take in the tests.'),
]
