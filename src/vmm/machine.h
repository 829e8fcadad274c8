/*
 * machine: one PC-like virtual machine assembled from the parts.
 *
 * Owns: the run configuration, the device set and its wiring to the buses
 * and interrupt lines, the vCPU threads, the terminal, signal handling
 * (Ctrl-C, SIGTERM), and the single decision of how and why a run ends
 * (machine_stop: first reason wins, every vCPU is kicked out of KVM_RUN).
 */
#ifndef MACHINE_H
#define MACHINE_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "kstats.h"
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "blk.h"
#include "virtio_console.h"
#include "net.h"
#include "vsock.h"
#include "bus.h"
#include "channel.h"
#include "guestmem.h"
#include "kvm.h"
#include "rt.h"
#include "vfio.h"
#include "vcpu_arch.h"
#include "vmmstatus.h"

/* Exit statuses of `vmm run`: src/common/vmmstatus.h. */

/* --io-poll: the device workers' busy-poll window, in us (only with
 * --io-cpus). A guest that submits its next request within it is served
 * without a notification exit or a wake-up; an idle queue costs at most
 * this much CPU (on an I/O CPU) after its last request. Off by default:
 * measured, it pays only for a guest that polls for completions too; a
 * guest that waits for interrupts needs an exit per request anyway (the
 * injection into its running vCPU) and got slower with it. */
#define MACHINE_IO_POLL_MAX_US 1000

struct machine_config {
	const char *kernel;
	const char *firmware;     /* --firmware FILE: boot through it (firmware.h), no kernel */
	const char *firmware_log; /* --firmware-log PATH: its debug console port 0x402 */
	const char *initrd;
	const char *cmdline;
	uint64_t mem;
	unsigned cpus;
	const char *serial; /* "stdio", "file:PATH" or "fd:N" (both ways) */
	bool strict_io;
	bool no_sandbox;           /* --no-sandbox */
	bool no_gpio;              /* --no-gpio: no GPIO controller on PCI */
	int boot;                  /* --boot: enum boot_choice (loader.h) */
	unsigned test_forbidden_s; /* --test-forbidden-syscall SECONDS; 0 = off */
	struct channel_cfg chans[CHANNEL_MAX];
	unsigned nchans;
	/* virtio devices: --disk (in order: vda, vdb, ...), --rng */
	struct blk_cfg disks[VIRTIO_BLK_MAX];
	unsigned ndisks;
	bool rng;
	/* --net tap=NAME[,mac=MAC], --vsock cid=N,uds=PATH */
	struct net_cfg net;
	bool has_net;
	struct vsock_cfg vsock;
	bool has_vsock;
	/* --port name=NAME,fd=N|path=PATH: one virtio console, a port each */
	struct console_port_cfg ports[CONSOLE_MAX_PORTS];
	unsigned nports;
	/* --realtime, --pin, --rt-prio, --halt-poll, --exits (rt.h) */
	struct rt_cfg rt;
	/* --io-cpus LIST (cpulist.h): the device workers on io_cpus, the
	 * vCPUs on vcpu_cpus (the other allowed CPUs); checked by the parser */
	bool has_io_cpus;
	cpu_set_t io_cpus, vcpu_cpus;
	/* --io-poll US: the workers' busy-poll window (virtio_pci.h), only
	 * with --io-cpus; 0: off */
	int io_poll_us;
	/* --vfio BDF: PCI functions passed through (vfio.h), in order */
	char vfio[VFIO_MAX_DEVS][VFIO_BDF_LEN];
	unsigned nvfio;
};

struct vcpu_state {
	pthread_t tid;
	bool started;
	atomic_int check;      /* main thread asks for a liveness report */
	atomic_int idle_dead;  /* halted with IF=0, or never started by INIT/SIPI */
	atomic_int halted_if0; /* halted with IF=0 (the report above) */
	/* --kick-stats (rt.h): the monitor's own exits of this vCPU. */
	atomic_uint kicks;     /* liveness kicks the main thread sent it */
	atomic_uint sig_exits; /* KVM_RUN calls a signal ended (EINTR, KVM_EXIT_INTR) */
	/* Every other return of KVM_RUN to the monitor, by exit reason:
	 * written by this vCPU's thread alone and read after it is joined. */
	uint64_t io_exits, mmio_exits, other_exits;
	/* The liveness check's view without a kick (kstats.h): KVM's exit
	 * counter of this vCPU and its value at the last check. */
	struct kstats stats;
	uint64_t last_exits;
	struct vcpu_regs regs; /* snapshot taken with the report (vcpu_arch.h) */
};

struct machine {
	struct kvm_vm kvm;
	struct guestmem mem;
	struct bus pio, mmio;
	bool strict_io;
	atomic_int stopping;
	int status;
	int stop_efd; /* written once by machine_stop: wakes the main loop */
	bool dump_vcpu0; /* the dead-guest check stopped the run: dump vCPU 0 */
	bool realtime;   /* no periodic kick of the vCPUs (rt.h) */
	/* Unclaimed accesses already logged (vcpu.c): each address once,
	 * within vlog's budget for them. */
	pthread_mutex_t log_lock;
	struct {
		uint64_t addr;
		bool pio;
	} logged[32];
	unsigned nlogged;
	struct vcpu_state vs[KVM_MAX_VCPUS];
};

/* ---- The board ----------------------------------------------------------
 *
 * What an architecture puts around the shared parts (KVM, RAM, the vCPU
 * threads, the virtio devices, passthrough, the console's output queue,
 * the sandbox): arch/x86/pc.c, the PC; arch/arm64/virt.c, a `virt`-like
 * arm64 machine. machine_run calls, in order: board_mem_init (RAM),
 * board_load (after the VM and its vCPUs exist), board_devices (before
 * the virtio devices), board_finish (once every PCI function is in
 * place), and board_free at the end whatever happened.
 */
struct pci_bus;
struct outq;
struct virtio_blk;

struct board_env {
	struct machine *m;
	const struct machine_config *cfg;
	struct pci_bus *pci;
	struct outq *out; /* the console's output queue (machine_serial_tx) */
	const uint8_t *kernel, *initrd; /* initrd NULL when none */
	size_t kernel_size, initrd_size;
};

/* The UART the main loop feeds stdin to and tells when its output queue
 * has room again. */
struct board_console {
	size_t (*receive)(void *dev, const uint8_t *buf, size_t n);
	void (*tx_ready)(void *dev);
	uint64_t (*tx_lost)(void *dev);
	void *dev;
	const char *name; /* for messages: "COM1" */
};

int board_mem_init(struct guestmem *gm, uint64_t size);
int board_load(struct board_env *e, char *err, size_t errlen);
int board_devices(struct board_env *e, struct board_console *con, char *err, size_t errlen);
int board_finish(struct board_env *e, char *err, size_t errlen);
void board_free(void);
/* What of the board's the sandbox must keep open (sandbox.h). */
struct sandbox_opts;
void board_sandbox(struct sandbox_opts *sb);
/* Where virtio BARs start, and the interrupt line (an irq_line's gsi)
 * a slot's pin is wired to (pin 1 = INTA#). */
uint32_t board_virtio_bar_base(void);
unsigned board_pci_intx_gsi(unsigned slot, unsigned pin);

/* For boards: the console's byte sink (ctx is the output queue), the
 * debug-exit and reset/power-off answers (ctx is the machine), and the
 * i-th --disk (NULL past the last). */
bool machine_serial_tx(void *ctx, uint8_t byte);
void machine_debug_exit(void *ctx, int status, uint32_t value);
void machine_on_reset(void *ctx);
const struct virtio_blk *machine_disk(unsigned i);

/* Builds the machine, runs it until it stops, and returns the exit status. */
int machine_run(const struct machine_config *cfg);

/* Ends the run with `status`, printing the message (if any) to stderr with
 * one non-blocking write. Only the first call counts: it returns true, the
 * others false. Safe from any thread. */
bool machine_stop(struct machine *m, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The vCPU thread body (vcpu.c). arg is a struct vcpu_arg. */
struct vcpu_arg {
	struct machine *m;
	unsigned idx;
};
void *vcpu_thread(void *arg);
/* Prints a vCPU's registers, and the code bytes at RIP when mapped. */
void vcpu_dump(const struct machine *m, const struct vcpu_regs *r, int vcpu_fd);
/* The architecture's part (arch/<arch>/vcpu_*.c): reads a vCPU's
 * registers (0 or -1), and says whether they mask interrupts. */
int vcpu_arch_regs(int fd, struct vcpu_regs *r);
bool vcpu_arch_masked(const struct vcpu_regs *r);
void vcpu_kick(struct machine *m, unsigned idx);

#endif
