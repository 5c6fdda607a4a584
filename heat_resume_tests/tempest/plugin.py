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

"""Run heat_resume's functional tests under tempest.

``tempest run --regex heat_resume_tests`` runs the same test classes as
``tox -e functional``, against the Heat of tempest.conf instead of the
local harness; the tests that must kill engines skip there.
"""

import os

from tempest import config as tempest_config
from tempest.test_discover import plugins

from heat_resume_tests.functional import base
from heat_resume_tests.tempest import config


def remote_target():
    """(heatclient, ledger path, build timeout) from tempest.conf."""
    from heatclient import client as heat_client

    conf = tempest_config.CONF
    opts = conf.heat_resume
    if opts.heat_url:
        client = heat_client.Client('1', endpoint=opts.heat_url,
                                    token='noauth')
    else:
        from keystoneauth1.identity import v3
        from keystoneauth1 import session

        auth = v3.Password(
            auth_url=conf.identity.uri_v3,
            username=conf.auth.admin_username,
            password=conf.auth.admin_password,
            project_name=conf.auth.admin_project_name,
            user_domain_name=conf.auth.admin_domain_name,
            project_domain_name=conf.auth.admin_domain_name)
        verify = not conf.identity.disable_ssl_certificate_validation
        client = heat_client.Client(
            '1', session=session.Session(auth=auth, verify=verify),
            service_type='orchestration', interface='public',
            region_name=conf.identity.region)
    return client, opts.ledger_path, opts.build_timeout


class HeatResumeTempestPlugin(plugins.TempestPlugin):

    def load_tests(self):
        # runs in every test worker: the tests then target tempest.conf's
        # Heat instead of starting the local harness
        base.REMOTE = remote_target
        top = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        return os.path.join(top, 'heat_resume_tests', 'functional'), top

    def register_opts(self, conf):
        conf.register_group(config.group)
        conf.register_opts(config.opts, group=config.group)

    def get_opt_lists(self):
        return [(config.group.name, config.opts)]
