#!/usr/bin/env bash
# A single-node Slurm cluster on localhost for trying and testing the dataset job array (no systemd, no slurmdbd).
#   scripts/slurm-local.sh start [DIR]   start munged, slurmctld and slurmd with state and logs under DIR
#   scripts/slurm-local.sh stop [DIR]    stop the slurmctld and slurmd started there (munged is left running)
# DIR defaults to /tmp/tessera-slurm. After start, use the cluster with: export SLURM_CONF=DIR/slurm.conf
# Needs Debian's slurmctld, slurmd, slurm-client and munge packages, and root.
set -euo pipefail
action=${1:-}
dir=${2:-/tmp/tessera-slurm}

case "$action" in
start)
    for tool in munged slurmctld slurmd sbatch squeue; do
        command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 1; }
    done
    mkdir -p "$dir/state" "$dir/spool"
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        mkdir -p /run/munge && chown munge:munge /run/munge
        [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
        runuser -u munge -- munged
    fi
    cpus=$(nproc)
    cat > "$dir/slurm.conf" <<CONF
ClusterName=tessera
SlurmctldHost=localhost(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF" -N localhost || { echo "error: slurmd did not start; see $dir/slurmd.log" >&2; exit 1; }
    for _ in $(seq 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            echo "slurm cluster up: export SLURM_CONF=$SLURM_CONF"
            exit 0
        fi
        sleep 1
    done
    echo "error: the node did not come up within 60 s; see $dir/slurmctld.log and $dir/slurmd.log" >&2
    exit 1
    ;;
stop)
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
        [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    ;;
*)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
