"""The action and status strings Heat stores in its stack and resource rows.

Pure: the rules of a resume (resume_rules.py) and the operators' tool
(cmd/states.py) read these strings in rows without importing Heat;
test_heat_internals checks them against Heat's own constants.
"""

# actions
INIT = 'INIT'
CREATE = 'CREATE'
UPDATE = 'UPDATE'
DELETE = 'DELETE'
ROLLBACK = 'ROLLBACK'
SUSPEND = 'SUSPEND'
RESUME = 'RESUME'
CHECK = 'CHECK'

# statuses
COMPLETE = 'COMPLETE'
IN_PROGRESS = 'IN_PROGRESS'
FAILED = 'FAILED'
