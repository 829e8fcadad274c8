#!/bin/sh
# realtool.sh: the one converter between the real benchmark tools (Debian's
# sysbench and rt-tests' cyclictest) and our RESULT-line contract. It runs a
# tool with parameters equivalent to our own workloads' defaults (`bench run
# cpu` and sysbench-cpu do the same work) and turns its report into one
# `RESULT {json}` line, or `FAIL NAME: reason` and a non-zero exit.
#
# The same script runs on both sides of a comparison: hvbench runs it on the
# host as the native runner of these workloads, and the Linux guest's /init
# (lab/init-inner.sh) runs it inside the guest. So both sides run the same
# command line and the same parser. It is POSIX sh plus an awk that
# busybox's awk understands too (the guest has nothing else).
#
#   realtool.sh NAME [key=value...]     run NAME, print RESULT or FAIL
#   realtool.sh --parse NAME FILE [key=value...]
#                                       convert a captured output FILE (tests)
#   realtool.sh --decode ARGS           decode the guest's bench.args= value
#                                       into one parameter a line
#   realtool.sh --list                  the workloads, in `bench list` form
#
# Workloads and parameters (defaults are those of the matching bench
# workload):
#   sysbench-cpu      max_prime=10000 time_ms=1000 events=0
#   sysbench-memory   block_size=1M total_size=4G oper=write access=seq
#   sysbench-threads  threads=2 events=1000 yields=1000 locks=8
#   sysbench-mutex    threads=2 mutex_num=4096 mutex_locks=50000 mutex_loops=10000
#   cyclictest        interval_us=1000 loops=200 prio=0
#
# bench.args encoding (the Linux kernel command line is split at spaces and
# cannot hold quotes, control characters or non-ASCII safely): parameters
# joined by ",", and in each one every byte other than A-Z a-z 0-9 . _ + : /
# = - written as %XX (two upper-case hex digits). So "a=1,b=x y" is
# "a=1,b=x%20y". An empty value means no parameters.
#
# Exit status: 0 RESULT printed; 1 FAIL printed; 2 usage error.
set -eu

usage() {
	echo "usage: realtool.sh NAME [key=value...] | --parse NAME FILE [key=value...] | --decode ARGS | --list" >&2
	exit 2
}

fail() {
	echo "FAIL $name: $*"
	exit 1
}

list() {
	printf 'sysbench-cpu\tsynthetic\tDebian sysbench cpu (like cpu); events/s\n'
	printf 'sysbench-memory\tsynthetic\tDebian sysbench memory (like memory); MiB/s\n'
	printf 'sysbench-threads\tsynthetic\tDebian sysbench threads (like threads); events/s\n'
	printf 'sysbench-mutex\tsynthetic\tDebian sysbench mutex (like mutex); ms\n'
	printf 'cyclictest\tlatency\tDebian rt-tests cyclictest (like timer-latency); us\n'
}

decode() {
	printf '%s\n' "$1" | awk '
	function hexval(c) { return index("0123456789ABCDEF", toupper(c)) - 1 }
	{
		n = split($0, word, ",")
		for (i = 1; i <= n; i++) {
			s = word[i]; out = ""
			while ((p = index(s, "%")) > 0) {
				hi = hexval(substr(s, p + 1, 1)); lo = hexval(substr(s, p + 2, 1))
				if (hi < 0 || lo < 0) { print "bad escape in " word[i] > "/dev/stderr"; exit 2 }
				out = out substr(s, 1, p - 1) sprintf("%c", hi * 16 + lo)
				s = substr(s, p + 3)
			}
			if (out s != "") print out s
		}
	}'
}

# Accepts a parameter value only in the form its key expects, so that a value
# can neither smuggle options into the tool nor break the JSON we print.
check_value() {
	case $2 in
	count)
		case $1 in '' | *[!0-9]*) fail "parameter $3: '$1' is not a whole number" ;; esac
		;;
	size)
		case $1 in
		'' | *[!0-9KMGT]* | [KMGT]* | *[KMGT]?*) fail "parameter $3: '$1' is not a size (digits, then K, M, G or T)" ;;
		esac
		;;
	oper)
		case $1 in read | write | none) ;; *) fail "parameter $3: '$1' is not read, write or none" ;; esac
		;;
	access)
		case $1 in seq | rnd) ;; *) fail "parameter $3: '$1' is not seq or rnd" ;; esac
		;;
	esac
}

# Sets the workload's defaults, then the key=value arguments over them; builds
# $params, the JSON object body that records them.
set_params() {
	# Every parameter variable, named for the record (set by eval below).
	p_max_prime="" p_time_ms="" p_events="" p_block_size="" p_total_size="" p_oper=""
	p_access="" p_threads="" p_yields="" p_locks="" p_mutex_num="" p_mutex_locks=""
	p_mutex_loops="" p_interval_us="" p_loops="" p_prio="" v=""
	case $name in
	sysbench-cpu) keys="max_prime:count:10000 time_ms:count:1000 events:count:0" ;;
	sysbench-memory) keys="block_size:size:1M total_size:size:4G oper:oper:write access:access:seq" ;;
	sysbench-threads) keys="threads:count:2 events:count:1000 yields:count:1000 locks:count:8" ;;
	sysbench-mutex) keys="threads:count:2 mutex_num:count:4096 mutex_locks:count:50000 mutex_loops:count:10000" ;;
	cyclictest) keys="interval_us:count:1000 loops:count:200 prio:count:0" ;;
	*) fail "unknown workload (realtool.sh --list shows them)" ;;
	esac
	for k in $keys; do
		eval "p_${k%%:*}=\${k##*:}"
	done
	for a in "$@"; do
		key=${a%%=*}
		case $a in *=*) ;; *) fail "parameter '$a' is not key=value" ;; esac
		kind=""
		for k in $keys; do
			[ "${k%%:*}" = "$key" ] || continue
			kind=${k#*:}
			kind=${kind%%:*}
		done
		[ -n "$kind" ] || fail "unknown parameter '$key' (expected one of: $(echo "$keys" | sed 's/:[^ ]*//g'))"
		check_value "${a#*=}" "$kind" "$key"
		eval "p_$key=\${a#*=}"
	done
	params=""
	for k in $keys; do
		eval "v=\$p_${k%%:*}"
		case ${k#*:} in
		count:*) params="$params,\"${k%%:*}\":$v" ;;
		*) params="$params,\"${k%%:*}\":\"$v\"" ;;
		esac
	done
	params=${params#,}
}

# The tool's command line for the workload, into the positional parameters of
# the caller through $cmd (words without spaces, so a plain list will do).
tool_cmd() {
	case $name in
	sysbench-cpu)
		# sysbench takes whole seconds: round time_ms up.
		secs=$(((p_time_ms + 999) / 1000))
		[ "$secs" -gt 0 ] || [ "$p_events" -gt 0 ] || fail "time_ms=0 and events=0 would never end"
		cmd="sysbench cpu --threads=1 --cpu-max-prime=$p_max_prime --time=$secs --events=$p_events run"
		;;
	sysbench-memory)
		cmd="sysbench memory --threads=1 --memory-block-size=$p_block_size --memory-total-size=$p_total_size --memory-oper=$p_oper --memory-access-mode=$p_access --time=0 --events=0 run"
		;;
	sysbench-threads)
		cmd="sysbench threads --threads=$p_threads --events=$p_events --time=0 --thread-yields=$p_yields --thread-locks=$p_locks run"
		;;
	sysbench-mutex)
		cmd="sysbench mutex --threads=$p_threads --mutex-num=$p_mutex_num --mutex-locks=$p_mutex_locks --mutex-loops=$p_mutex_loops --time=0 run"
		;;
	cyclictest)
		# -N: nanoseconds, for a finer average than cyclictest's whole
		# microseconds; -q: only the summary line.
		cmd="cyclictest -q -N -t 1 -i $p_interval_us -l $p_loops"
		[ "$p_prio" -eq 0 ] || cmd="$cmd -p $p_prio"
		;;
	esac
}

# The parsing part: reads a tool's output and prints the RESULT line, or FAIL.
parse() {
	awk -v name="$name" -v params="$params" -v loops="${p_loops:-0}" -v nthreads="${p_threads:-1}" '
	function num(s) { gsub(/[^0-9.]/, "", s); return s + 0 }
	# The word after a label such as "Avg:" on the current line.
	function field(label,   i) {
		for (i = 1; i < NF; i++) if ($i == label) return $(i + 1)
		return ""
	}
	function result(metric, unit, better, value, extra) {
		printf "RESULT {\"benchmark\":\"%s\",\"metric\":\"%s\",\"unit\":\"%s\",\"better\":\"%s\",\"value\":%s,\"tool\":\"%s\"%s,\"params\":{%s}}\n", name, metric, unit, better, value, tool, extra, params
	}
	function failed(why) {
		printf "FAIL %s: %s\n", name, (err != "" ? err : why)
		bad = 1
	}
	/^sysbench [0-9]/ { tool = $1 " " $2 }
	/^FATAL|Invalid value|^Unknown|[Ee]rror/ { if (err == "") err = $0 }
	/events per second:/ { eps = num($NF); have_eps = 1 }
	/total time:/ { total = num($NF); have_total = 1 }
	/total number of events:/ { events = num($NF); have_events = 1 }
	/MiB transferred/ {
		mibs = $0; sub(/.*\(/, "", mibs); sub(/ MiB\/sec.*/, "", mibs)
		mib = num($1); have_mibs = 1
	}
	/^T: *[0-9]+ / {
		tool = "cyclictest"
		c = num(field("C:")); mn = num(field("Min:")); av = num(field("Avg:")); mx = num(field("Max:"))
		have_t = 1
	}
	END {
		if (name == "sysbench-cpu") {
			if (!have_eps || !have_events) failed("no \"events per second\" in the sysbench output")
			else result("events_per_s", "events/s", "higher", sprintf("%.2f", eps), sprintf(",\"events\":%d,\"time_s\":%.4f", events, total))
		} else if (name == "sysbench-memory") {
			if (!have_mibs) failed("no \"MiB transferred\" in the sysbench output")
			else result("throughput", "MiB/s", "higher", sprintf("%.2f", num(mibs)), sprintf(",\"mib\":%.2f,\"time_s\":%.4f", mib, total))
		} else if (name == "sysbench-threads") {
			if (!have_total || !have_events || total <= 0) failed("no \"total time\" and event count in the sysbench output")
			else result("events_per_s", "events/s", "higher", sprintf("%.2f", events / total), sprintf(",\"events\":%d,\"time_s\":%.4f", events, total))
		} else if (name == "sysbench-mutex") {
			# sysbench mutex counts one event per thread.
			if (!have_total || !have_events) failed("no \"total time\" in the sysbench output")
			else if (events != nthreads) failed(sprintf("%d events, expected one per thread (%d)", events, nthreads))
			else result("time", "ms", "lower", sprintf("%.3f", total * 1000), sprintf(",\"events\":%d", events))
		} else if (name == "cyclictest") {
			if (!have_t) failed("no \"T: 0\" summary line in the cyclictest output")
			else if (c != loops) failed(sprintf("%d wake-ups counted, expected loops=%d", c, loops))
			else result("latency_avg", "us", "lower", sprintf("%.3f", av / 1000), sprintf(",\"check\":%d,\"min\":%.3f,\"avg\":%.3f,\"max\":%.3f", c, mn / 1000, av / 1000, mx / 1000))
		}
		exit bad
	}' "$1"
}

[ $# -ge 1 ] || usage
case $1 in
--list)
	list
	exit 0
	;;
--decode)
	[ $# -eq 2 ] || usage
	decode "$2"
	exit 0
	;;
--parse)
	[ $# -ge 3 ] || usage
	name=$2
	file=$3
	shift 3
	set_params "$@"
	[ -r "$file" ] || fail "cannot read $file"
	parse "$file"
	exit $?
	;;
-*) usage ;;
esac

name=$1
shift
set_params "$@"
tool_cmd
tool=${cmd%% *}
command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (Debian package $([ "$tool" = cyclictest ] && echo rt-tests || echo sysbench))"
out=$(mktemp "${TMPDIR:-/tmp}/realtool.XXXXXX")
trap 'rm -f "$out"' EXIT
rc=0
# shellcheck disable=SC2086 # $cmd is a list of words without spaces
$cmd >"$out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	# The tool's own message is the best reason; the parser finds it.
	tail -n 5 "$out" | sed 's/^/realtool: | /' >&2
	why=$(parse "$out" | grep '^FAIL' | head -n 1) || true
	[ -z "$why" ] || { echo "$why"; exit 1; }
	fail "$tool exit status $rc"
fi
parse "$out"
