# shellcheck shell=bash
# plugin.sh: the heat_resume devstack plugin.
#
# devstack sources this file with the mode ($1: stack, unstack or clean)
# and, when stacking, the phase ($2); devstack/settings was sourced before.

# shellcheck source=devstack/lib/heat_resume
source "$(dirname "${BASH_SOURCE[0]}")/lib/heat_resume"

if is_service_enabled heat-resume; then
    if [[ "$1" == "stack" ]]; then
        case "$2" in
            pre-install)
                check_heat_resume_plugin_order
                ;;
            install)
                echo_summary "Installing heat_resume"
                install_heat_resume
                ;;
            post-config)
                echo_summary "Configuring heat_resume"
                configure_heat_resume
                ;;
            extra)
                echo_summary "Starting ZooKeeper and restarting" \
                    "heat-engine for heat_resume"
                start_heat_resume_zookeeper
                restart_heat_resume_engine
                ;;
            test-config)
                if is_service_enabled tempest; then
                    echo_summary "Configuring tempest for heat_resume"
                    configure_tempest_for_heat_resume
                fi
                ;;
        esac
    elif [[ "$1" == "unstack" ]]; then
        stop_heat_resume_zookeeper
    elif [[ "$1" == "clean" ]]; then
        cleanup_heat_resume
    fi
fi
