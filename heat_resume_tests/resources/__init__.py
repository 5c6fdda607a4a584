# Not imported by anything: heat-engine loads the modules of this
# directory from [DEFAULT] plugin_dirs (fixtures.harness.RESOURCES_DIR,
# devstack's HEAT_RESUME_ENABLE_TEST_RESOURCE) as heat.engine.plugins.*,
# and pkgutil skips __init__. This file only makes pbr list the directory
# as a package, so that an install ships its modules (harness points
# plugin_dirs at the installed copy) without setuptools' "absent from the
# packages configuration" warning.
