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

"""The states the CLI reads in Heat's rows, and the colour of each.

Pure, so that pictures.py draws without Heat: the values are the strings
Heat stores (heat_states.py, which resume_rules.py reads too), and
test_cli checks them against heat_internals. One
colour table serves the SVG pictures and the terminal of ``watch``.
"""

import collections

from heat_resume import heat_states

# the CLI's names for Heat's strings (one copy: heat_states.py)
INIT = heat_states.INIT
COMPLETE = heat_states.COMPLETE
IN_PROGRESS = heat_states.IN_PROGRESS
FAILED = heat_states.FAILED

CREATE = heat_states.CREATE
DELETE = heat_states.DELETE
SUSPEND = heat_states.SUSPEND
RESUME = heat_states.RESUME
CHECK = heat_states.CHECK

# stack actions that make the same action of every resource
UNIFORM_ACTIONS = (CREATE, DELETE, SUSPEND, RESUME, CHECK)

Colour = collections.namedtuple('Colour', 'svg ansi')

# in the order of the graph's legend; INIT keeps the terminal's colour
COLOURS = collections.OrderedDict([
    (COMPLETE, Colour('#7cc47f', '\x1b[32m')),     # green
    (IN_PROGRESS, Colour('#ffbf3f', '\x1b[33m')),  # amber, yellow
    (FAILED, Colour('#e5534b', '\x1b[31m')),       # red
    (INIT, Colour('#c8c8c8', None)),               # grey
])
