"""Heat's own extension points, on a Heat that has them (patches/).

A Heat with the patches in ``patches/`` applied builds every dependency
task group through ``scheduler.dependency_task_group()``, which loads the
class named by ``[DEFAULT] dependency_task_group_driver`` from the
``heat.engine.dependency_task_groups`` entry points. heat_resume
registers ParallelTaskGroup there as ``heat_resume``, and on such a Heat
the seam selects it by setting that option's default (while ``[heat_resume]
enabled``) instead of replacing ``scheduler.DependencyTaskGroup``. An
operator's own value in heat.conf wins over the default, as for any
option.

Only that replacement goes: everything else the seam wraps has no
extension point and is patched as before (patches/README.rst). The
second patch's ``heat.engine.stack_locks`` point is not used: heat_resume
wraps nothing on StackLock (its liveness hook, ``engine_alive``, is also
called by the engine outside the lock), so a lock driver would replace
no patch.

On a stock Heat ``available()`` is False and nothing here changes
anything: the seam patches the class as it always did.
"""

from importlib import metadata

from oslo_config import cfg
from oslo_log import log as logging

from heat_resume import heat_internals as heat

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

TASK_GROUP_OPTION = 'dependency_task_group_driver'
TASK_GROUP_NAMESPACE = 'heat.engine.dependency_task_groups'
DRIVER = 'heat_resume'

# The seam patches that an extension point makes unnecessary.
REPLACED = ((heat.scheduler, 'DependencyTaskGroup'),)

_state = {'active': False}


def heat_has_extension_points():
    """Whether this Heat selects its task group class by entry point."""
    return (callable(getattr(heat.scheduler, 'dependency_task_group', None))
            and TASK_GROUP_OPTION in CONF)


def driver_registered():
    """Whether heat_resume's own entry point is installed.

    A source tree that is not installed has none; Heat would then fail to
    load the driver, so the seam is used instead.
    """
    return any(ep.name == DRIVER
               for ep in metadata.entry_points(group=TASK_GROUP_NAMESPACE))


def available():
    return heat_has_extension_points() and driver_registered()


def active():
    """Whether heat_resume is installed through the extension points."""
    return _state['active']


def install():
    """Use the extension points if this Heat has them; return whether."""
    if not available():
        if heat_has_extension_points():
            LOG.warning('This Heat has the %(ns)s extension point but the '
                        '%(name)s entry point is not installed (is '
                        'heat_resume pip-installed?): patching Heat instead',
                        {'ns': TASK_GROUP_NAMESPACE, 'name': DRIVER})
        return False
    _state['active'] = True
    sync_conf()
    LOG.info('heat_resume uses Heat\'s extension points: [DEFAULT] '
             '%(opt)s defaults to %(name)s; %(replaced)s is not patched',
             {'opt': TASK_GROUP_OPTION, 'name': DRIVER,
              'replaced': ', '.join('%s.%s' % (owner.__name__, name)
                                    for owner, name in REPLACED)})
    return True


def uninstall():
    if _state['active']:
        CONF.clear_default(TASK_GROUP_OPTION)
    _state['active'] = False


def sync_conf():
    """Default the task group driver to heat_resume's while enabled."""
    if not _state['active']:
        return
    if not CONF.heat_resume.enabled:
        CONF.clear_default(TASK_GROUP_OPTION)
        return
    CONF.set_default(TASK_GROUP_OPTION, DRIVER)
    chosen = getattr(CONF, TASK_GROUP_OPTION)
    if chosen != DRIVER:
        LOG.warning('[DEFAULT] %(opt)s = %(chosen)s is set in the '
                    'configuration: heat_resume is enabled but Heat runs '
                    'stacks with that task group, not heat_resume\'s',
                    {'opt': TASK_GROUP_OPTION, 'chosen': chosen})
