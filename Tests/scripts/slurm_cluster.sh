#!/usr/bin/env bash
# Stands up, or stops, a single-node Slurm cluster on this machine from Debian's packages
# (slurm-wlm, munge): munged, slurmctld and slurmd, all state under one folder.
#
#   bash Tests/scripts/slurm_cluster.sh start DIR   # installs what is missing, starts the daemons,
#                                                   # writes DIR/env (source it: SLURM_CONF=...)
#   bash Tests/scripts/slurm_cluster.sh stop DIR    # stops the daemons started by `start DIR`
#
# The configuration needs no cgroups and no systemd (proctrack/linuxproc, task/none, no
# accounting), so it runs in containers and CI sandboxes, as root or as a user with sudo. It is
# a test bed for the recipe in Examples/slurm, not a production setup.
set -euo pipefail

action=${1:?usage: slurm_cluster.sh start|stop DIR}
dir=${2:?usage: slurm_cluster.sh start|stop DIR}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

stop_daemons() {
    # Jobs first: a slurmstepd whose slurmd is gone would linger, waiting for it.
    if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ]; then
        SLURM_CONF="$dir/slurm.conf" scancel --quiet --user="$(id -un)" 2>/dev/null || true
        for _ in $(seq 60); do
            [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h 2>/dev/null)" ] && break
            sleep 0.5
        done
    fi
    for name in slurmd slurmctld munged; do
        pidfile="$dir/$name.pid"
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if [ -n "$pid" ] && $SUDO kill -0 "$pid" 2>/dev/null; then
            $SUDO kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do $SUDO kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            $SUDO kill -9 "$pid" 2>/dev/null || true
        fi
        $SUDO rm -f "$pidfile"
    done
}

if [ "$action" = stop ]; then
    stop_daemons
    echo "slurm: stopped the daemons of $dir"
    exit 0
fi
[ "$action" = start ] || { echo "usage: slurm_cluster.sh start|stop DIR" >&2; exit 64; }

missing=()
for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$dir"
chmod 755 "$dir"  # munged runs as the munge user: DIR and its parents must let it through
dir=$(cd "$dir" && pwd)
$SUDO mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
user=$(id -un)

# munge: its own key and socket under DIR, so a system munged (if any) is left alone.
$SUDO chown munge:munge "$dir/munge"
$SUDO chmod 755 "$dir/munge"
if ! $SUDO test -f "$dir/munge/munge.key"; then
    $SUDO dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    $SUDO chown munge:munge "$dir/munge/munge.key"
    $SUDO chmod 400 "$dir/munge/munge.key"
fi
$SUDO runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" \
    --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
for _ in $(seq 50); do $SUDO test -S "$dir/munge/munge.socket" && break; sleep 0.1; done
$SUDO cp "$dir/munge/munged.pid" "$dir/munged.pid"

cat > "$dir/slurm.conf" <<EOF
ClusterName=fadtest
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
: > "$dir/plugstack.conf"
echo "PlugStackConfig=$dir/plugstack.conf" >> "$dir/slurm.conf"

export SLURM_CONF="$dir/slurm.conf"
$SUDO env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmctld -i
$SUDO env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmd
cat > "$dir/env" <<EOF
export SLURM_CONF=$dir/slurm.conf
EOF

for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
    case "$state" in idle|mixed|allocated) echo "slurm: node $host is $state ($cpus CPUs); source $dir/env"; exit 0 ;; esac
    sleep 1
done
echo "slurm: the node did not come up; logs:" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
