# hvbench on arm64 beyond cpu and timer-latency (sourced by init-outer.sh):
# the benchmark guest's GPIO loopback latency through vmm and through irqfd,
# a disk workload and rng-read, at --size tiny with one repetition (the
# numbers mean nothing under TCG; that each is measured and recorded does),
# and an A/B run of vmm against itself. lab/arm64/run.sh checks the
# results.json it prints.
if [ -x /hvbench ] && [ -x /bench ] && [ -f /benchguest.elf ]; then
	HVBENCH_BENCH=/bench HVBENCH_VMM=/vmm HVBENCH_GUEST_IMAGE=/benchguest.elf \
		HVBENCH_GNUPLOT=none /hvbench run \
		--bench irq-latency-user,irq-latency-irqfd,disk-rand-read,rng-read,channel-ping \
		--size tiny --reps 1 --cpu 0 --timeout 120 --out /tmp/hvb-dev
	echo "LAB: hvb dev status $?"
	echo "LAB: hvb dev results.json begin"
	cat /tmp/hvb-dev/results.json
	echo "LAB: hvb dev results.json end"
	HVBENCH_BENCH=/bench HVBENCH_GUEST_IMAGE=/benchguest.elf HVBENCH_GNUPLOT=none \
		/hvbench run --ab /vmm /vmm --bench irq-latency-user --size tiny --reps 1 \
		--cpu 0 --timeout 120 --out /tmp/hvb-ab
	echo "LAB: hvb ab status $?"
	grep -c "irq-latency-user" /tmp/hvb-ab/compare.md | sed 's/^/LAB: hvb ab compare rows /'
fi
