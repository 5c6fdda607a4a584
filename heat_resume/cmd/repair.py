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

"""Freeing a stack a dead engine left: ``heat-resume release``.

The one CLI module that writes Heat's tables: it takes the stack lock
from the dead engine and resets the stack as Heat's own
reset_stack_status would. The caller has made sure, with
report.refuse_if_owned, that no live engine holds the stack.
"""

from oslo_log import log as logging

from heat_resume.cmd import errors
from heat_resume import heat_internals as heat
from heat_resume import progress

LOG = logging.getLogger(__name__)

# Heat's own reason, so that the stack reads as after Heat's reset
RESET_REASON = 'Engine went down during stack %s'


def take(ctx, stack_id, engine_id):
    """Take Heat's stack lock for engine_id from a dead holder.

    What Heat's StackLock.acquire does once its liveness check said the
    holder is dead: a compare-and-swap steal (or a plain create when
    nobody holds it), so that an engine racing us for the stack wins or
    loses cleanly. Returns the engine it was taken from, or None.
    """
    holder = heat.StackLockObject.get_engine_id(ctx, stack_id)
    if holder is not None:
        result = heat.StackLockObject.steal(ctx, stack_id, holder,
                                            engine_id)
        if result is None:
            LOG.info('Took the stack lock of %(stack)s from dead engine '
                     '%(engine)s', {'stack': stack_id, 'engine': holder})
            return holder
        if result is not True:
            raise errors.CommandError(
                'engine %s took stack %s meanwhile: nothing done'
                % (result, stack_id))
    other = heat.StackLockObject.create(ctx, stack_id, engine_id)
    if other is not None:
        raise errors.CommandError('engine %s took stack %s meanwhile: '
                                  'nothing done' % (other, stack_id))
    return None


def release(ctx, row, engine_id):
    """Free a stack left by a dead engine; return what was done (lines).

    The caller has checked that no live engine holds it. As Heat's own
    reset_stack_status would: the lock is taken from the dead engine, the
    resources left IN_PROGRESS and the stack are marked FAILED ("Engine
    went down during stack ..."), and the lock is released with the
    state. The heat_resume operation record goes first, so that nothing
    resumes it; when it says the operation had already finished, its
    final state is written instead of FAILED.
    """
    heat.setup_messaging()  # the final state goes out as a notification too
    done = []
    record, _ = progress.load_operation(ctx, row.id)
    previous = take(ctx, row.id, engine_id)
    if previous:
        done.append('took the stack lock from dead engine %s' % previous)
    lock = heat.StackLock(ctx, row.id, engine_id)
    try:
        stack = None
        if row.status == heat.Stack.IN_PROGRESS:
            stack = heat.Stack.load(ctx, stack=row)
        if record is not None:
            progress.delete_operation(ctx, row.id)
            done.append('deleted the heat_resume operation record (%s by '
                        'engine %s, operation %s, %d takeover(s))' % (
                            record.get('op'), record.get('engine'),
                            record.get('id'), record.get('resumes', 0)))
        if stack is None:
            lock.release()
            done.append('released the stack lock; the stack stays %s %s'
                        % (row.action, row.status))
            return done
        final = record and record.get('final')
        if final:
            stack.state_set(*final)
            done.append('the operation had finished: wrote its final state')
        else:
            failed = sorted(r.name for r in stack.resources.values()
                            if r.status == r.IN_PROGRESS)
            stack.reset_stack_and_resources_in_progress(
                RESET_REASON % stack.action)
            done.append('marked %d resource(s) IN_PROGRESS as FAILED%s' % (
                len(failed), ': ' + ', '.join(failed) if failed else ''))
        stack.persist_state_and_release_lock(engine_id)
        done.append('released the stack lock; the stack is now %s %s: %s'
                    % (stack.action, stack.status, stack.status_reason))
    except Exception:
        lock.release()
        raise
    LOG.info('Released stack %(stack)s: %(done)s',
             {'stack': row.id, 'done': '; '.join(done)})
    return done
