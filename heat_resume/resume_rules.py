"""What resuming does, decided from what the database says. Pure.

A resource's task record (progress.py) carries the *phase* its latest
action reached; ``decide`` turns that phase, the resource row's
action/status and the configured policy into one choice per resource.
``resumable`` says whether a stack operation can be resumed at all. No
I/O and no Heat objects: the values are the strings Heat stores
(heat_states.py), so the rules can be tested on their own
(test_resume_rules.py).
"""

from heat_resume import conf
from heat_resume import heat_states

# The phases of a task record, in order.
STARTED = 'handler_started'    # handle_<action>() is about to be called
RETURNED = 'handler_returned'  # it returned; the record holds the cookie
COMPLETE = 'complete'
FAILED = 'failed'
IN_FLIGHT = frozenset((STARTED, RETURNED))

# What resuming does with one resource.
RUN = 'run'          # not started (or nothing to resume): the normal task
SKIP = 'skip'        # already done by the dead engine
POLL = 'poll'        # handler returned: poll its saved cookie
FINISH = 'finish'    # checks were complete, the state write was lost
RETRY = 'retry'      # caught inside the handler: call it again
FAIL = 'fail'        # caught inside the handler: fail it with a reason
ADOPT = 'adopt'      # caught inside the handler, its nested stack made

# Stack actions that resume (ROLLBACK too, of a create or an update).
RESUMABLE = (heat_states.CREATE, heat_states.DELETE, heat_states.SUSPEND,
             heat_states.RESUME, heat_states.CHECK, heat_states.UPDATE)


def pollable(record, action):
    """Whether the record holds a saved cookie of ``action`` to poll."""
    return bool(record and record.get('action') == action and
                record.get('phase') == RETURNED and
                record.get('cookie_saved'))


def decide(action, resource_action, resource_status, record, policy):
    """What resuming ``action`` does with one resource."""
    if resource_action != action:
        return RUN
    if resource_status == heat_states.COMPLETE:
        return RUN if action == heat_states.DELETE else SKIP
    if resource_status != heat_states.IN_PROGRESS:
        return RUN
    if action == heat_states.DELETE:
        # handle_delete must be idempotent (Heat retries deletes itself)
        return RUN
    if record and record.get('action') == action:
        if record.get('phase') == COMPLETE:
            return FINISH
        if pollable(record, action):
            return POLL
    return RETRY if policy == conf.IN_PROGRESS_RETRY else FAIL


def may_adopt(choice, action, record):
    """Whether a nested stack the handler made would be ADOPTed here.

    A create caught inside its handler: the child (found by owner and
    name) is the object the handler made, not a second one, so taking it
    creates nothing, whatever the policy.
    """
    return (choice in (RETRY, FAIL) and action == heat_states.CREATE and
            record is not None and record.get('phase') == STARTED)


def resource_action(stack_action, op):
    """The resource action a resumed stack action runs.

    A create's rollback deletes what the create made; an update's rollback
    is an update back to the previous template.
    """
    if stack_action == heat_states.ROLLBACK and op != heat_states.UPDATE:
        return heat_states.DELETE
    return stack_action


def resumable(stack_action, op, prev_template_id, record):
    """Whether a stack found IN_PROGRESS with ``record`` can resume.

    :param stack_action: the stack row's action.
    :param op: the operation the record names (the call that began it).
    :param prev_template_id: the stack row's prev_raw_template_id, where
        legacy Heat keeps an update's target template.
    """
    if record.get('final'):
        return True
    if stack_action == heat_states.ROLLBACK:
        return op in (heat_states.CREATE, heat_states.UPDATE)
    if stack_action == heat_states.UPDATE:
        return prev_template_id is not None
    return stack_action in RESUMABLE
