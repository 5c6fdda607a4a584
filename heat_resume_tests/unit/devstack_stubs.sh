# shellcheck shell=bash
# A stand-in for the devstack functions that devstack/settings, plugin.sh
# and lib/heat_resume call, for heat_resume_tests/unit/test_devstack.py:
# devstack itself cannot run in a unit test.
#
# * Calls that would change the machine (packages, services, sudo) are
#   recorded one per line in $STUB_LOG instead.
# * iniset and iniget really edit and read ini files (python3's
#   configparser: comments are lost, good enough for oslo.config); as
#   devstack's, they run with xtrace off, and the log gets no values.
# * sudo runs file commands (mkdir, rm, sed, tee, ...) but refuses any
#   absolute path outside $STUB_ROOT; systemctl, service, apt-get and dnf
#   are only recorded.
# * is_ubuntu/is_fedora follow $STUB_OS (ubuntu or fedora).

: "${STUB_LOG:?}" "${STUB_ROOT:?}"

function _stub_record {
    echo "$*" >> "$STUB_LOG"
}

function _stub_check_path {
    local real
    real=$(realpath -m "$1")
    if [[ "$real" != "$STUB_ROOT"/* ]]; then
        echo "stub: $1 is outside $STUB_ROOT" >&2
        _stub_record "refused $1"
        return 1
    fi
}

function iniset {
    local xtrace
    xtrace=$(set +o | grep xtrace)
    set +o xtrace
    local flag=""
    if [[ "$1" == "-sudo" ]]; then
        flag="-sudo "
        shift
    fi
    _stub_check_path "$1" || return 1
    _stub_record "iniset $flag$1 $2 $3"
    python3 - "$@" <<'PYTHON' || return 1
import configparser
import sys

path, section, option, value = sys.argv[1:5]
parser = configparser.RawConfigParser(strict=False,
                                      default_section='stub:none')
parser.optionxform = str
parser.read(path)
if not parser.has_section(section):
    parser.add_section(section)
parser.set(section, option, value)
with open(path, 'w') as f:
    parser.write(f)
PYTHON
    $xtrace
}

function iniget {
    local xtrace
    xtrace=$(set +o | grep xtrace)
    set +o xtrace
    python3 - "$@" <<'PYTHON'
import configparser
import sys

path, section, option = sys.argv[1:4]
parser = configparser.RawConfigParser(strict=False,
                                      default_section='stub:none')
parser.optionxform = str
parser.read(path)
if parser.has_option(section, option):
    print(parser.get(section, option))
PYTHON
    $xtrace
}

function sudo {
    local arg
    _stub_record "sudo $*"
    case "$1" in
        systemctl|service|apt-get|dnf|yum)
            return 0
            ;;
    esac
    for arg in "$@"; do
        if [[ "$arg" == /* ]]; then
            _stub_check_path "$arg" || return 1
        fi
    done
    "$@"
}

function install_package { _stub_record "install_package $*"; }
function pip_install { _stub_record "pip_install $*"; }
function setup_develop { _stub_record "setup_develop $*"; }
function start_service { _stub_record "start_service $*"; }
function restart_service { _stub_record "restart_service $*"; }
function stop_process { _stub_record "stop_process $*"; }
function define_plugin { _stub_record "define_plugin $*"; }
function plugin_requires { _stub_record "plugin_requires $*"; }

# Fails as systemctl does for a unit that is not loaded when told to.
function stop_service {
    _stub_record "stop_service $*"
    return "${STUB_STOP_SERVICE_RC:-0}"
}

function is_ubuntu {
    [[ "${STUB_OS:-ubuntu}" == "ubuntu" ]]
}

function is_fedora {
    [[ "${STUB_OS:-ubuntu}" == "fedora" ]]
}

function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",${ENABLED_SERVICES:-}," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        if [[ ",${DISABLED_SERVICES:-}," == *",$service,"* ]]; then
            continue
        fi
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES=${ENABLED_SERVICES:-},$service
        fi
    done
}

# devstack's, less its own xtrace handling.
function trueorfalse {
    local default=$1 testval=${!2:-}
    case "$testval" in
        1|[yY]es|YES|[tT]rue|TRUE) echo True ;;
        0|[nN]o|NO|[fF]alse|FALSE) echo False ;;
        *) echo "$default" ;;
    esac
}

function echo_summary {
    echo "$@"
}

function warn {
    shift
    echo "WARNING: $*" >&2
}

function die {
    shift
    echo "ERROR: $*" >&2
    _stub_record "die"
    exit 1
}
