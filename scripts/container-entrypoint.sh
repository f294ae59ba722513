#!/usr/bin/env bash
# The image's entrypoint (/usr/local/bin/signet-entrypoint). It takes the Sign'Stash docker
# command's arguments unchanged and starts the gateway with the container's layout:
#   signet-gateway --host 0.0.0.0 --port 8080 --work-folder /home --state-dir /tmp/signet \
#     --local-signers N [--max-bytes-in-flight B] "$@"
# N comes from the container's CPU limit (cgroup v2 cpu.max, v1 cpu.cfs_quota_us; else the CPUs
# it may use), lowered when the memory limit is small (one signer per 256 MiB above 256 MiB, at
# least 1); under a 512 MiB memory limit the document bytes out with signers (default 64 MiB)
# are capped at an eighth of it. Every argument the user gives comes after these and wins (a
# repeated flag takes its last value); a flag the user gives is not computed at all.
# A first argument that is not a flag is run as a command instead: `IMAGE signet-signer ...`,
# `IMAGE signet-csc-sim ...` (compose uses this).
# Environment (optional): SIGNET_STATE_DIR (default /tmp/signet), SIGNET_WORK_FOLDER (/home).
set -euo pipefail

if [[ $# -gt 0 && $1 != --* ]]; then
    exec "$@"
fi
for argument in "$@"; do
    [[ $argument == --help ]] && exec signet-gateway --help
done

say() { printf 'signet-entrypoint: %s\n' "$*" >&2; }

# Whether the user gave flag $1 (as --name=value or --name value).
given() {
    local name=$1 argument
    shift
    for argument in "$@"; do
        [[ $argument == "--$name" || $argument == "--$name="* ]] && return 0
    done
    return 1
}

# The value the user gave flag $1 (the last one), empty when none.
value_of() {
    local name=$1 found="" take=false argument
    shift
    for argument in "$@"; do
        if $take; then found=$argument; take=false; continue; fi
        case $argument in
            "--$name="*) found=${argument#*=} ;;
            "--$name") take=true ;;
        esac
    done
    printf '%s' "$found"
}

# CPUs this container may use: the CFS quota rounded up, never more than the CPUs it can run on.
cpu_limit() {
    local online quota period
    online=$(nproc)
    if [[ -r /sys/fs/cgroup/cpu.max ]]; then # cgroup v2: "max 100000" or "200000 100000"
        read -r quota period </sys/fs/cgroup/cpu.max
    elif [[ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]]; then # cgroup v1: -1 = no quota
        quota=$(</sys/fs/cgroup/cpu/cpu.cfs_quota_us)
        period=$(</sys/fs/cgroup/cpu/cpu.cfs_period_us)
    else
        quota=max period=1
    fi
    if [[ $quota =~ ^[0-9]+$ && $period =~ ^[0-9]+$ && $period -gt 0 ]]; then
        local cpus=$(((quota + period - 1) / period))
        ((cpus < online)) && online=$cpus
    fi
    ((online < 1)) && online=1
    echo "$online"
}

# The memory limit in MiB, empty when there is none (cgroup v2 memory.max, v1 limit_in_bytes;
# v1 reports "no limit" as a huge number, above the machine's memory).
memory_limit_mib() {
    local limit="" total_kib
    if [[ -r /sys/fs/cgroup/memory.max ]]; then
        limit=$(</sys/fs/cgroup/memory.max)
    elif [[ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]]; then
        limit=$(</sys/fs/cgroup/memory/memory.limit_in_bytes)
    fi
    [[ $limit =~ ^[0-9]+$ ]] || return 0
    total_kib=$(awk '/^MemTotal:/ {print $2; exit}' /proc/meminfo)
    [[ $total_kib =~ ^[0-9]+$ ]] && ((limit / 1024 >= total_kib)) && return 0
    echo $((limit / 1024 / 1024))
}

state=${SIGNET_STATE_DIR:-/tmp/signet}
work=${SIGNET_WORK_FOLDER:-/home}
defaults=(--host 0.0.0.0 --port 8080 --work-folder "$work")
given state-dir "$@" || defaults+=(--state-dir "$state")
given state-dir "$@" && state=$(value_of state-dir "$@")
given work-folder "$@" && work=$(value_of work-folder "$@")

# The state folder must be writable by this user (uid 10001 by default): a new named volume on
# /tmp is a copy of the image's /tmp, where /tmp/signet is ours; anything else needs a chown.
if ! mkdir -p "$state" 2>/dev/null || [[ ! -w $state || ! -x $state ]]; then
    say "the state folder $state is not writable by uid $(id -u): mount a new named volume on $(dirname "$state") (it starts as a copy of the image's, where $state is ours), or make $state in what you mount there belong to uid $(id -u)"
    exit 1
fi
if [[ ! -r $work/client-services-config.json ]]; then
    say "no readable $work/client-services-config.json: bind the work folder on $work (readable by uid $(id -u))"
    exit 1
fi

cpus=$(cpu_limit)
memory=$(memory_limit_mib)
signers=$cpus
if [[ -n $memory ]]; then
    by_memory=$(((memory - 256) / 256))
    ((by_memory < 1)) && by_memory=1
    ((by_memory < signers)) && signers=$by_memory
fi
sizing=()
if given local-signers "$@"; then
    signers="$(value_of local-signers "$@") (given)"
else
    sizing+=(--local-signers "$signers")
fi
in_flight=""
if [[ -n $memory ]] && ((memory < 512)) && ! given max-bytes-in-flight "$@"; then
    in_flight=$((memory * 1024 * 1024 / 8))
    sizing+=(--max-bytes-in-flight "$in_flight")
fi
say "cpus ${cpus}, memory limit ${memory:-none}${memory:+ MiB}: local signers ${signers}${in_flight:+, max bytes in flight $in_flight}; state ${state}, work folder ${work}"
exec signet-gateway "${defaults[@]}" "${sizing[@]}" "$@"
