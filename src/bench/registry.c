/*
 * registry: the list of workloads, in the order `bench list` prints them.
 */
#include "workloads.h"

const struct bench_workload *const bench_workloads[] = {
	&wl_cpu,
	&wl_memory,
	&wl_threads,
	&wl_mutex,
	&wl_basicmath,
	&wl_bitcount,
	&wl_qsort,
	&wl_susan_smoothing,
	&wl_susan_edges,
	&wl_susan_corners,
	&wl_timer_latency,
	&wl_disk_seq_read,
	&wl_disk_seq_write,
	&wl_disk_rand_read,
	&wl_disk_rand_iops,
};

const size_t bench_nworkloads = sizeof(bench_workloads) / sizeof(bench_workloads[0]);
