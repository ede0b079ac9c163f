# Helpers shared by the benchmark drivers (scripts/bench-echo; the same functions
# as in scripts/bench): stopping what we started by pid, CPU sampling, waiting for a
# quiet machine, printing a command so it can be pasted. Source it; it defines
# functions only. The callers set T (their temp dir) and PIDS (an array).

# stop_pid PID: SIGINT, up to 3 s, then SIGKILL to it and to its children.
stop_pid() {
    local pid=$1 kids k i
    kill -0 "$pid" 2>/dev/null || return 0
    kids=$(pgrep -P "$pid" 2>/dev/null || true)
    kill -INT "$pid" 2>/dev/null
    for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        for k in $kids; do kill -KILL "$k" 2>/dev/null; done
    fi
    wait "$pid" 2>/dev/null
}

# cpu_busy [LINE]: busy and steal jiffies of the whole machine (LINE "cpu ") or of one
# CPU (LINE "cpu0 "): user+nice+system+irq+softirq, steal.
cpu_busy() { awk -v l="${1:-cpu }" 'index($0, l) == 1 { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }

# proc_ticks PID...: utime+stime of the given processes (all their threads).
proc_ticks() {
    local t=0 p v
    for p in "$@"; do
        v=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || v=0
        t=$((t + ${v:-0}))
    done
    echo $t
}

# others_ticks PID...: utime+stime of every user-space process except the given
# ones and their direct children (kernel threads, which do our packets' softirq
# work, are left out too). Processes that start and end in between are missed.
others_ticks() {
    local skip=" $* "
    # one cat for all (a process may vanish meanwhile: its file is skipped)
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v skip="$skip" '
        NF > 20 {
            # comm may hold spaces: fields after the closing parenthesis
            i = index($0, ") "); rest = substr($0, i + 2); n = split(rest, a, " ")
            pid = substr($0, 1, index($0, " ") - 1)
            ppid = a[2]; flags = a[7]
            if (int(flags / 2097152) % 2 == 1) next          # PF_KTHREAD
            if (index(skip, " " pid " ") || index(skip, " " ppid " ")) next
            t += a[12] + a[13]
        }
        END { print t + 0 }'
}

dpdk_child() { pgrep -P "$1" 2>/dev/null | head -1; }

# wait_quiet [SECONDS] [PCT]: up to SECONDS (default 5) for a second in which the
# machine uses under PCT % (default 15) of one CPU; prints what it saw last.
wait_quiet() {
    local i b0 s0 b1 s1 pct=100 secs=${1:-5} lim=${2:-15}
    for i in $(seq "$secs"); do
        read -r b0 s0 < <(cpu_busy); sleep 1; read -r b1 s1 < <(cpu_busy)
        pct=$(( (b1 - b0) * 100 / $(getconf CLK_TCK) ))
        [ "$pct" -lt "$lim" ] && break
    done
    echo "$pct"
}

# show_cmd ARG...: the command as a copy-pasteable line, the temp dir written as "$T".
show_cmd() {
    local out="" a
    for a in "$@"; do
        if [ -n "${T:-}" ] && [[ "$a" == *"$T"* ]]; then a="\"${a//$T/\$T}\""
        elif [[ "$a" =~ [^A-Za-z0-9_./=,:@+-] ]]; then a="'$a'"
        fi
        out+=" $a"
    done
    echo "${out# }"
}

# take_build_lock FD: hold /tmp/c10m-build.lock on FD for the rest of the script
# (builds and other benchmarks on the other CPU would skew everything).
take_build_lock() {
    eval "exec $1>/tmp/c10m-build.lock"
    if ! flock -n "$1"; then
        echo "${BENCH_NAME:-bench}: waiting for /tmp/c10m-build.lock (a build or benchmark is running)..." >&2
        flock "$1"
    fi
}

# machine_meta: KEY=VALUE lines describing the machine and the versions.
machine_meta() { # machine_meta C10M_BINARY ROOT
    echo "DATE=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "CPU_MODEL=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "CPUS=$(nproc --all)"
    # lscpu names the hypervisor where it can; a guest it cannot name still has the
    # cpuid "hypervisor" flag.
    local hv
    hv=$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1 | sed 's/.\+/& VM/')
    [ -z "$hv" ] && grep -qw hypervisor /proc/cpuinfo && hv="VM, hypervisor not named by lscpu"
    echo "HYPERVISOR=$hv"
    echo "KERNEL=$(uname -r)"
    echo "DPDK_VERSION=$(pkg-config --modversion libdpdk 2>/dev/null || dpkg-query -W -f='${Version}' dpdk 2>/dev/null)"
    echo "C10M_VERSION=$("$1" --version 2>/dev/null | tail -1)"
    echo "GIT=$(git -C "$2" rev-parse --short HEAD 2>/dev/null)$(git -C "$2" status --porcelain -- lib app 2>/dev/null | grep -q . && echo ' + uncommitted lib/app changes')"
    echo "TSC_HZ=$(awk '/^cpu MHz/ { printf "%.0f", $4 * 1e6; exit }' /proc/cpuinfo)"
    echo "LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)"
}
