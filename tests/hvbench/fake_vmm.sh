#!/bin/sh
# fake_vmm: stands in for build/vmm in hvbench's end-to-end tests:
# `run --kernel FILE --cmdline "run NAME k=v..."` runs fake_bench.sh 10%
# slower (FAKE_VMM_SCALE: another factor), prints its output among console noise with CRLF line ends as a
# serial console would, and exits like vmm after the guest's debug-exit
# write: (value << 1) | 1, value 0 on success.
#
# Misbehaviour on request, each after a good RESULT line so that only the
# exit status can tell:
#   FAKE_VMM_EXIT=N     exit with status N instead (14: a debug-exit value too
#                       large to carry; 143: stopped by SIGTERM); "kill": die
#                       by SIGKILL.
#   FAKE_VMM_HANG=FILE  ignore SIGTERM, start a "VM" in a session and process
#                       group of its own that ignores it too (as the VMs under
#                       `vmm system` run), write "PID VMPID" to FILE, and never
#                       end.
# `system CFG` stands in for `vmm system` running channel-ping: it appends
# CFG's path and its log_dir to FAKE_ARGV_LOG (when set), checks that CFG is
# a regular file and not a link, writes ping.log and pong.log into log_dir as
# the console server does, sleeps FAKE_SLEEP seconds (default 0), prints a
# RESULT line for channel-ping and exits 0.
kernel=
cmdline=
if [ "$1" = system ]; then
	cfg=$2
	if [ -L "$cfg" ] || [ ! -f "$cfg" ]; then
		echo "fake_vmm: $cfg is not a regular file" >&2
		exit 2
	fi
	logs=$(sed -n 's/^log_dir = "\(.*\)";$/\1/p' "$cfg")
	[ -n "${FAKE_ARGV_LOG:-}" ] && printf '%s\n%s\n--\n' "$cfg" "$logs" >>"$FAKE_ARGV_LOG"
	mkdir -p "$logs" && echo ping >"$logs/ping.log" && echo pong >"$logs/pong.log" || exit 2
	sleep "${FAKE_SLEEP:-0}"
	printf 'vmm system: VM ping ended\r\n'
	printf 'RESULT {"benchmark":"channel-ping","metric":"rtt_avg","unit":"us",'
	printf '"better":"lower","value":42.5}\n'
	exit 0
fi
while [ $# -gt 0 ]; do
	case "$1" in
	run) ;;
	--kernel) kernel=$2; shift ;;
	--cmdline) cmdline=$2; shift ;;
	*) echo "fake_vmm: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -r "$kernel" ] || { echo "fake_vmm: cannot read $kernel" >&2; exit 2; }
printf 'fake-vmm: booting %s\r\n' "$kernel"
# shellcheck disable=SC2086 # the command line is split into words on purpose
out=$(FAKE_SCALE=${FAKE_VMM_SCALE:-1.1} sh "$(dirname "$0")/fake_bench.sh" $cmdline)
rc=$?
printf '%s\n' "$out" | sed 's/$/\r/'
if [ -n "${FAKE_VMM_HANG:-}" ]; then
	trap '' TERM
	setsid sleep 1000 </dev/null >/dev/null 2>&1 &
	echo "$$ $!" >"$FAKE_VMM_HANG"
	while :; do sleep 1; done
fi
case ${FAKE_VMM_EXIT:-} in
'') ;;
kill) kill -KILL $$ ;;
*) exit "$FAKE_VMM_EXIT" ;;
esac
printf 'guest: bye\r\n'
[ $rc -eq 0 ] && exit 1
exit 3
