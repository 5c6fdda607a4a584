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

"""The tempest plugin: tempest runs our tests against a given Heat."""

import os
import subprocess
import sys

import fixtures
import testtools

from heat_resume_tests.functional import base

TESTS = ('heat_resume_tests.functional.test_lifecycle.LifecycleTest.'
         'test_(create_and_delete|update_in_place)')


class TempestPluginTest(base.HeatResumeTest):

    def test_lifecycle_tests_run_under_tempest(self):
        self.require_harness()
        bin_dir = os.path.dirname(os.path.abspath(sys.executable))
        workspace = self.useFixture(fixtures.TempDir()).path
        subprocess.run([os.path.join(bin_dir, 'tempest'), 'init', workspace],
                       check=True, capture_output=True)
        with open(os.path.join(workspace, 'etc', 'tempest.conf'), 'a') as f:
            f.write('\n[heat_resume]\nheat_url = %s\nledger_path = %s\n'
                    % (self.cluster.endpoint, self.cluster.ledger_path))
        run = subprocess.run(
            [os.path.join(bin_dir, 'tempest'), 'run', '--concurrency', '1',
             '--regex', TESTS], cwd=workspace, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=600)
        self.addDetail('tempest', testtools.content.text_content(run.stdout))
        self.assertEqual(0, run.returncode)
        self.assertIn('Passed: 2', run.stdout)
        # they ran against this cluster, not a harness of their own
        stacks = {e['root'] for e in self.cluster.ledger().entries}
        self.assertEqual(2, len(stacks))
