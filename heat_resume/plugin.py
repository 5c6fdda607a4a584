"""The entry point Heat loads in every engine process.

heat-engine loads the ``heat.stack_lifecycle_plugins`` entry points while
it builds its global environment, before the engine service starts;
importing this module registers the ``[heat_resume]`` options and installs
the seam (which, on a Heat with patches/ applied, uses Heat's own
extension point where there is one: extension.py). The lifecycle plugin
itself does nothing: it is only the door. ``resume_here`` is the same
door for ``heat-resume resume``, which acts as an engine would.
"""

from heat_resume import conf

conf.register_opts()
try:
    conf.validate()
except conf.InvalidConfig as exc:
    # heat-engine loads this module before it forks its workers: exiting
    # here stops it with this one line, before it runs any stack
    raise SystemExit('heat_resume: %s' % exc)

from heat_resume import engine_identity  # noqa: E402  options first
from heat_resume import heat_internals as heat  # noqa: E402
from heat_resume import seam  # noqa: E402
from heat_resume import takeover  # noqa: E402

seam.install()


def resume_here(stack_id, engine_id):
    """Resume a dead engine's operation in this process, as an engine would.

    The seam is in (importing this module put it there), so the operation
    records, fences and notifies as on an engine, under ``engine_id``.
    Returns the stack thread, or None when takeover.resume_stack touched
    nothing (the caller says why).
    """
    heat.setup_messaging()
    engine_identity.set_engine_id(engine_id)
    return takeover.resume_stack(stack_id, engine_id,
                                 heat.ThreadGroupManager())


class HeatResumeLifecyclePlugin(heat.LifecyclePlugin):
    """No pre/post operation work; loading the module is what counts."""
