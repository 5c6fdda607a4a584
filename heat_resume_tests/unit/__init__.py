# heat.tests.common must be imported before any heat.engine module: it
# selects oslo.service's threading backend (see HEAT-NOTES).
from heat.tests import common  # noqa: F401
