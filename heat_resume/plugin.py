"""The entry point Heat loads in every engine process.

heat-engine loads the ``heat.stack_lifecycle_plugins`` entry points while
it builds its global environment, before the engine service starts;
importing this module registers the ``[heat_resume]`` options and installs
the seam (which, on a Heat with patches/ applied, uses Heat's own
extension point where there is one: extension.py). The lifecycle plugin
itself does nothing: it is only the door.
"""

from heat_resume import conf

conf.register_opts()

from heat_resume import heat_internals as heat  # noqa: E402  options first
from heat_resume import seam  # noqa: E402

seam.install()


class HeatResumeLifecyclePlugin(heat.LifecyclePlugin):
    """No pre/post operation work; loading the module is what counts."""
