"""The resource handler loop: one action's steps, recorded and resumable.

``run_handler`` is Heat's Resource.action_handler_task (resource.py, 27.x)
with progress records around it: the phase before handle_<action>(), the
cookie it returned, and the outcome. Given a saved record it skips the
handler and re-enters check_<action>_complete() with the saved cookie,
which is how an interrupted action is resumed without a second
handle_create().
"""

from oslo_log import log as logging
from oslo_utils import excutils

from heat_resume import bound_operation
from heat_resume import heat_internals as heat
from heat_resume import progress

LOG = logging.getLogger(__name__)


def run_handler(resource, action, args=None, action_prefix=None,
                resume=None):
    """Task: handle_<action>() then poll check_<action>_complete()."""
    args = args or []
    handler_action = action.lower()
    check = getattr(resource, 'check_%s_complete' % handler_action, None)
    if action_prefix:
        handler_action = '%s_%s' % (action_prefix.lower(), handler_action)
    handler = getattr(resource, 'handle_%s' % handler_action, None)
    if not callable(handler):
        return

    op = bound_operation.get()
    owned = op.check_owner if op is not None else (lambda what: None)
    if resume is None:
        what = 'handle_%s of %s' % (handler_action, resource.name)
        owned(what)
        record, written = progress.task_started(
            resource, action, op.id if op is not None else None)
        if op is not None and not written:
            # no fenced write proved this engine still owns the stack
            op.confirm_owner(what)
        try:
            handler_data = handler(*args)
        except StopIteration:
            _finished(owned, resource, record, ok=False)
            raise RuntimeError('Plugin method raised StopIteration')
        except BaseException:
            with excutils.save_and_reraise_exception():
                _finished(owned, resource, record, ok=False)
        owned('the cookie of %s' % resource.name)
        progress.task_returned(resource, record, handler_data)
        if op is not None:
            op.handler_returned()  # a drain need not wait for the checks
        yield
    else:
        record = resume
        handler_data = record.get('cookie')
        owned('the takeover of %s' % resource.name)
        progress.task_resumed(resource, record)

    ok = False
    try:
        if callable(check):
            yield from _poll(resource, check, handler_data, handler_action,
                             op)
        ok = True
    finally:
        _finished(owned, resource, record, ok)


def _finished(owned, resource, record, ok):
    owned('the outcome of %s' % resource.name)
    progress.task_finished(resource, record, ok)


def _poll(resource, check, handler_data, handler_action, op):
    try:
        while True:
            try:
                done = check(handler_data)
            except heat.PollDelay as delay:
                yield delay.period
            else:
                if done:
                    return
                yield
    except StopIteration:
        raise RuntimeError('Plugin method raised StopIteration')
    except Exception:
        raise
    except:  # noqa: cancelled or timed out: let the resource clean up
        with excutils.save_and_reraise_exception():
            # handed over (fenced): the action is the new owner's to
            # poll, not this engine's to cancel
            handed_over = op is not None and op.fenced is not None
            canceller = getattr(resource, 'handle_%s_cancel' % handler_action,
                                None)
            if callable(canceller) and not handed_over:
                try:
                    canceller(handler_data)
                except Exception:
                    LOG.exception('Error cancelling resource %s',
                                  handler_action)
