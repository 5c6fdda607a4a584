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

"""What the functional tests' ledger counts as a duplicate or a leak."""

import testtools

from heat_resume_tests.fixtures import ledger


def entry(op, obj, t, key='s/1', name='r'):
    return {'op': op, 'object': obj, 'time': t, 'key': key, 'name': name,
            'stack': 's', 'root': 's'}


class LedgerTest(testtools.TestCase):

    def test_create_twice_while_the_first_lives_is_a_duplicate(self):
        book = ledger.Ledger([entry('create', 'o1', 1),
                              entry('create', 'o2', 2)])
        self.assertEqual(['s/1'], book.duplicates())
        self.assertEqual({'o1': 'r', 'o2': 'r'}, book.live())

    def test_create_again_after_deleting_the_first_is_not(self):
        book = ledger.Ledger([entry('create', 'o1', 1),
                              entry('delete', 'o1', 2),
                              entry('create', 'o2', 3)])
        self.assertEqual([], book.duplicates())
        self.assertEqual({'o2': 'r'}, book.live())

    def test_replacement_is_another_row(self):
        book = ledger.Ledger([entry('create', 'o1', 1),
                              entry('create', 'o2', 2, key='s/2'),
                              entry('delete', 'o1', 3),
                              entry('delete', 'o1', 4)])  # delete re-run
        self.assertEqual([], book.duplicates())
        self.assertEqual({'o2': 'r'}, book.live())
