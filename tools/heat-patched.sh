#!/bin/bash
# Install openstack-heat from its sdist with patches/*.patch applied (the
# extension points heat_resume uses instead of its seam) into the Python
# environment of $PYTHON (default: python), replacing the stock Heat there.
# Used by tox -e heat-patched; see patches/README.rst.
#
#   tools/heat-patched.sh WORKDIR
#
# WORKDIR receives the sdist and the patched tree. HEAT_PATCHED_VERSION
# (default 27.0.1) is the release the patches were made against. A stamp
# in the environment skips the rebuild when neither it, the patches nor
# this script changed.
set -euo pipefail

workdir=${1:?usage: $0 WORKDIR}
version=${HEAT_PATCHED_VERSION:-27.0.1}
python=${PYTHON:-python}
top=$(cd "$(dirname "$0")/.." && pwd)
patches=("$top"/patches/*.patch)

env_prefix=$("$python" -c 'import sys; print(sys.prefix)')
stamp="$env_prefix/heat-patched.stamp"
want="$version $(cat "$0" "${patches[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
        "$python" -c 'from heat.engine import scheduler, stack_lock
scheduler.get_task_group_class; stack_lock.get_stack_lock_class' \
        2>/dev/null; then
    echo "heat-patched: openstack-heat $version with ${#patches[@]}" \
         "patches already installed"
    exit 0
fi

rm -rf "$workdir/sdist" "$workdir/heat"
mkdir -p "$workdir/sdist" "$workdir/heat"
quietly() {  # the build's warnings only when it fails
    if ! "$@" > "$workdir/build.log" 2>&1; then
        cat "$workdir/build.log"
        return 1
    fi
}
quietly "$python" -m pip download --no-deps --no-binary openstack-heat \
    "openstack-heat==$version" -d "$workdir/sdist"
tar -xzf "$workdir/sdist/openstack_heat-$version.tar.gz" \
    -C "$workdir/heat" --strip-components=1
for p in "${patches[@]}"; do
    echo "heat-patched: applying $(basename "$p")"
    patch --batch --forward --quiet -p1 -d "$workdir/heat" < "$p"
done
# Keep the sdist's egg-info: without git, pbr takes the package data
# (heat/cloudinit, templates...) from its SOURCES.txt; the build rewrites
# its entry_points.txt from the patched setup.cfg.
echo "heat-patched: installing openstack-heat $version (patched)"
PBR_VERSION=$version quietly "$python" -m pip install --no-deps \
    --force-reinstall "$workdir/heat"
"$python" -c 'from heat.engine import scheduler, stack_lock
print("heat-patched: task group driver", scheduler.get_task_group_class())
print("heat-patched: stack lock driver", stack_lock.get_stack_lock_class())'
echo "$want" > "$stamp"
