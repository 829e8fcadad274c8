#!/bin/sh
# fake_bench: stands in for build/bench in hvbench's end-to-end tests, with
# the same command line and output contract (`list`; `run NAME [k=v...]`
# printing `RESULT {json}` or `FAIL NAME: reason` with exit 1) and workloads
# that misbehave on purpose. FAKE_SCALE (default 1) makes every run slower
# by that factor: fake_vmm.sh sets it for the virtualised side.
scale=${FAKE_SCALE:-1}

case "$1" in
list)
	printf 'alpha\tsynthetic\ta time, lower is better\n'
	printf 'beta\tmibench\ta rate, higher is better\n'
	printf 'gamma\tlatency\ta latency in microseconds\n'
	printf 'broken\tmibench\tfails its self-check\n'
	printf 'crash\tsynthetic\tkilled by SIGSEGV\n'
	printf 'hang\tsynthetic\tnever ends\n'
	printf 'sleepy\tsynthetic\ttakes its time (FAKE_SLEEP seconds)\n'
	printf 'garbage\tsynthetic\tprints a malformed RESULT line\n'
	exit 0
	;;
run) ;;
*)
	echo "fake_bench: unknown command '$1'" >&2
	exit 2
	;;
esac

name=$2
# A little deterministic jitter from the process id, so the samples differ.
jit=$(( $(od -An -N2 -tu2 /dev/urandom) % 9 ))
value() {
	awk -v b="$1" -v s="$scale" -v j="$jit" -v d="$2" \
		'BEGIN { v = b * (1 + j / 1000); if (d == "higher") v = v / s; else v = v * s;
			 printf "%.6f", v }'
}
result() {
	echo "some chatter before the result"
	printf 'RESULT {"benchmark":"%s","metric":"%s","unit":"%s","better":"%s","value":%s,' \
		"$name" "$2" "$3" "$4" "$(value "$1" "$4")"
	printf '"check":true,"params":{}}\n'
}

case "$name" in
alpha) result 1.5 time s lower ;;
beta) result 2000 rate ops/s higher ;;
gamma) result 20 wakeup us lower ;;
# Two of the monitor's own workloads, for runs with several monitors.
startup-entry) result 30 to_entry ms lower ;;
exit-pci)
	if [ -n "${FAKE_NO_PCI:-}" ]; then
		echo "UNAVAILABLE exit-pci: no PCI host bridge at 00:00.0 through 0xcf8/0xcfc"
		exit 5
	fi
	result 25 roundtrip_avg us lower
	;;
broken)
	echo "FAIL broken: checksum 1234 != 4321"
	exit 1
	;;
crash) kill -SEGV $$ ;;
hang) exec sleep 1000 ;;
sleepy)
	sleep "${FAKE_SLEEP:-0.2}"
	result 3 time s lower
	;;
garbage) echo 'RESULT {"benchmark":"garbage","metric":' ;;
*)
	echo "fake_bench: unknown workload '$name'" >&2
	exit 2
	;;
esac
exit 0
