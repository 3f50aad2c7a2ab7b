#!/usr/bin/env bash
# A real single-node SLURM on this machine, for testing `--profile profiles/slurm` (tests/test_slurm.py, CI).
#
#   tools/local_slurm.sh start    # install if missing, configure, start munged + slurmctld + slurmd, wait for idle
#   tools/local_slurm.sh status   # exit 0 when our daemons run and the node is idle/mixed/allocated
#   tools/local_slurm.sh stop     # stop only the daemons this script started (by their pid files)
#
# State lives in a private directory ($RLTICKETS_SLURM_DIR, default /tmp/rltickets-slurm): munge key and socket,
# spool, pid and log files; a system munged is never touched. The config itself must be /etc/slurm/slurm.conf:
# the executor's job step strips SLURM_CONF before its inner `srun`, which then reads only the default path. The
# script writes that file only when it is absent or was written by this script (first line below), and refuses
# to run on a machine with its own SLURM config; `stop` removes it again.
# Idempotent: `start` on a running cluster only checks it. Needs root (slurmd starts jobs as the submitting user)
# and Debian/Ubuntu's apt for the install (slurmctld slurmd slurm-client munge; ~10 s after apt-get update).
# Exit code 3 means SLURM could not be installed or started here (callers may skip, with this reason).
set -euo pipefail

STATE_DIR=${RLTICKETS_SLURM_DIR:-/tmp/rltickets-slurm}
CONF=/etc/slurm/slurm.conf
MARKER="# Written by tools/local_slurm.sh: a single-node test cluster. Not for production."
# Ports away from SLURM's defaults (6817/6818), so a system SLURM on this host keeps its own.
CTLD_PORT=${RLTICKETS_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${RLTICKETS_SLURMD_PORT:-16818}
NODE=$(hostname -s)
CONFIG_CHANGED=0

log() { echo "local_slurm: $*" >&2; }
unavailable() { log "$*"; exit 3; }

install_packages() {
    local missing=()
    for binary in slurmctld slurmd sbatch squeue munged; do
        command -v "$binary" >/dev/null || missing+=("$binary")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || unavailable "missing ${missing[*]} and not root, cannot apt-get install"
    command -v apt-get >/dev/null || unavailable "missing ${missing[*]} and no apt-get on this system"
    log "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
    # policy-rc.d 101: the packages' postinst must not start the system services (no systemd here, and we run
    # our own private daemons). Only created if absent, removed again only if we created it.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1; fi
    local ok=0
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >"$STATE_DIR/apt.log" 2>&1 ||
        { apt-get update -qq >>"$STATE_DIR/apt.log" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                slurmctld slurmd slurm-client munge >>"$STATE_DIR/apt.log" 2>&1; }; then ok=1; fi
    [ "$created_policy" -eq 1 ] && rm -f "$policy"
    [ "$ok" -eq 1 ] || unavailable "apt-get install of slurm failed (see $STATE_DIR/apt.log)"
}

write_config() {
    mkdir -p "$STATE_DIR"/{spool/ctld,spool/d,log,run,munge}
    chmod 700 "$STATE_DIR/munge"
    if [ ! -s "$STATE_DIR/munge/munge.key" ]; then
        dd if=/dev/urandom of="$STATE_DIR/munge/munge.key" bs=1024 count=1 status=none
        chmod 400 "$STATE_DIR/munge/munge.key"
    fi
    local cpus memory_mb
    # Not nproc: it honours OMP_NUM_THREADS (1 in the test environment) and would give the node a single CPU.
    cpus=$(getconf _NPROCESSORS_ONLN)
    # Leave 10% of RAM to the OS; jobs ask for mem_mb and SLURM refuses what does not fit.
    memory_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
    if [ -e "$CONF" ] && [ "$(head -1 "$CONF")" != "$MARKER" ]; then
        unavailable "$CONF exists and was not written by this script: this machine has its own SLURM, use that"
    fi
    mkdir -p "$(dirname "$CONF")"
    cat >"$CONF.tmp" <<EOF
$MARKER
ClusterName=rltickets
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE_DIR/munge/munge.socket
StateSaveLocation=$STATE_DIR/spool/ctld
SlurmdSpoolDir=$STATE_DIR/spool/d
SlurmctldPidFile=$STATE_DIR/run/slurmctld.pid
SlurmdPidFile=$STATE_DIR/run/slurmd.pid
SlurmctldLogFile=$STATE_DIR/log/slurmctld.log
SlurmdLogFile=$STATE_DIR/log/slurmd.log
# No cgroups in containers: track processes by parent pid, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue for an hour: the executor's squeue status command needs to see them.
MinJobAge=3600
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
# The partition names profiles/slurm/config.yaml uses, so the test exercises its per-rule partitions.
PartitionName=short Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=long Nodes=$NODE MaxTime=INFINITE State=UP
EOF
    if cmp -s "$CONF.tmp" "$CONF"; then rm "$CONF.tmp"; else mv "$CONF.tmp" "$CONF" && CONFIG_CHANGED=1; fi
}

# The pid in a pid file, if that process is alive and is the named daemon (a stale file never kills a stranger).
live_pid() {
    local pidfile=$1 name=$2 pid
    [ -s "$pidfile" ] || return 1
    pid=$(tr -dc 0-9 <"$pidfile")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ] && echo "$pid"
}

wait_for() { # seconds, then a command that must succeed
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}

node_state() { sinfo -h -n "$NODE" -o %t 2>/dev/null | head -1; }
node_usable() { case "$(node_state)" in idle | mix | alloc | comp) return 0 ;; *) return 1 ;; esac; }

start() {
    mkdir -p "$STATE_DIR"
    install_packages
    write_config
    if ! live_pid "$STATE_DIR/run/munged.pid" munged >/dev/null; then
        # --force: run although the key or the socket directory would fail munged's ownership checks for root.
        munged --force --key-file="$STATE_DIR/munge/munge.key" --socket="$STATE_DIR/munge/munge.socket" \
            --pid-file="$STATE_DIR/run/munged.pid" --log-file="$STATE_DIR/log/munged.log" \
            --seed-file="$STATE_DIR/munge/munged.seed" ||
            unavailable "munged did not start (see $STATE_DIR/log/munged.log)"
        wait_for 10 test -S "$STATE_DIR/munge/munge.socket" || unavailable "munged socket did not appear"
    fi
    if ! live_pid "$STATE_DIR/run/slurmctld.pid" slurmctld >/dev/null; then
        slurmctld -f "$CONF" || unavailable "slurmctld did not start (see $STATE_DIR/log/slurmctld.log)"
    fi
    wait_for 20 scontrol ping || unavailable "slurmctld does not answer (see $STATE_DIR/log/slurmctld.log)"
    # Daemons that were already running read a rewritten slurm.conf on reconfigure.
    [ "$CONFIG_CHANGED" -eq 0 ] || scontrol reconfigure >/dev/null 2>&1 || true
    if ! live_pid "$STATE_DIR/run/slurmd.pid" slurmd >/dev/null; then
        slurmd -f "$CONF" -N "$NODE" || unavailable "slurmd did not start (see $STATE_DIR/log/slurmd.log)"
    fi
    if ! wait_for 30 node_usable; then
        # A node that was down (e.g. after a restart with a different CPU count) is put back in service.
        scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
        wait_for 15 node_usable || unavailable "node $NODE is '$(node_state)', not idle (see $STATE_DIR/log/)"
    fi
    log "ready: node $NODE is $(node_state); $(slurmctld -V); config $CONF"
}

stop() {
    local name pid
    for name in slurmd slurmctld munged; do
        if pid=$(live_pid "$STATE_DIR/run/$name.pid" "$name"); then
            kill "$pid"
            wait_for 15 test ! -e "/proc/$pid" || { log "$name ($pid) ignored SIGTERM, sending SIGKILL"; kill -9 "$pid"; }
            log "stopped $name ($pid)"
        fi
    done
    if [ -e "$CONF" ] && [ "$(head -1 "$CONF")" = "$MARKER" ]; then rm -f "$CONF"; fi
}

status() {
    local name
    for name in munged slurmctld slurmd; do
        live_pid "$STATE_DIR/run/$name.pid" "$name" >/dev/null || { log "$name is not running"; return 1; }
    done
    node_usable || { log "node $NODE is '$(node_state)'"; return 1; }
    log "running: node $NODE is $(node_state)"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
