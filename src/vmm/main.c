/*
 * vmm: command line. `vmm run` boots a guest, `vmm info` describes this
 * host's KVM. Options follow getopt_long conventions.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cpulist.h"
#include "guestmem.h"
#include "kvm.h"
#include "loader.h"
#include "lswitch.h"
#include "machine.h"
#include "rt.h"
#include "system.h"
#include "sysdesc.h"

#ifndef VMM_VERSION
#define VMM_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmm run --kernel FILE [options]   boot a guest\n"
		"       vmm run --firmware FILE --disk IMAGE [options]\n"
		"                                         boot a disk image through PC firmware\n"
		"       vmm system [--check] [--attach VM] FILE\n"
		"                                         run (or check) a system of VMs\n"
		"       vmm info                          describe this host's KVM\n"
		"       vmm --help | --version\n"
		"\n"
		"run options:\n"
		"  -k, --kernel FILE    Linux bzImage, multiboot v1 kernel, PVH kernel (an ELF\n"
		"                       with the PVH note, such as vmlinux) or ELF64 image\n"
		"      --firmware FILE  instead of --kernel: PC firmware (SeaBIOS's bios.bin or\n"
		"                       bios-256k.bin) mapped below 4 GiB, which boots the\n"
		"                       first --disk through its own boot sector\n"
		"      --firmware-log PATH\n"
		"                       the firmware's debug console (port 0x402) to PATH\n"
		"      --boot ENTRY     auto (default), pvh or hvboot: the entry of an ELF that\n"
		"                       offers both the PVH note and our ELF64 entry\n"
		"  -i, --initrd FILE    initial ramdisk (bzImage: initrd; multiboot: module)\n"
		"  -c, --cmdline STR    kernel command line\n"
		"  -m, --mem SIZE       guest RAM, e.g. 256M or 2G (default 256M)\n"
		"  -p, --cpus N         vCPUs (default 1)\n"
		"  -s, --serial DEST    COM1 to 'stdio' (default), 'file:PATH', or 'fd:N' (an\n"
		"                       inherited descriptor, both ways: vmm system uses it)\n"
		"      --channel SPEC   a channel to another VM (set up by vmm system):\n"
		"                       gpa=ADDR,size=SIZE,mem=FD,out=FD,in=FD[,name=S,peer=S]\n"
		"      --no-gpio        no loopback GPIO controller on PCI (present by default)\n"
		"      --disk FILE[,readonly]\n"
		"                       a virtio-blk disk on a raw image (repeatable: vda, vdb,\n"
		"                       ... in order; size a multiple of 512 bytes)\n"
		"      --rng            a virtio-rng entropy device (from the host's getrandom)\n"
		"      --net tap=NAME[,mac=MAC]\n"
		"                       a virtio-net device on an existing TAP (MAC derived from\n"
		"                       NAME unless given)\n"
		"      --net link=FD[,mac=MAC][,restarted]\n"
		"                       a virtio-net device on a link to other VMs: FD is an\n"
		"                       inherited SOCK_SEQPACKET socket, one frame a message, no\n"
		"                       offloads (vmm system passes it; restarted: the peer\n"
		"                       hears the link go down before it comes up)\n"
		"      --vsock cid=N,uds=PATH[,peer=CID@FD]...[,restarted]\n"
		"                       a virtio-vsock device, CID N >= 3; host programs connect\n"
		"                       to PATH and write \"CONNECT <port>\\n\"; guest connections\n"
		"                       to host port P go to PATH_P; packets for a peer's CID go\n"
		"                       to its inherited SOCK_SEQPACKET socket FD (a vsock link:\n"
		"                       vmm system passes them)\n"
		"      --port name=NAME,fd=N | name=NAME,path=PATH | name=NAME,link=N[,restarted]\n"
		"                       a port of the virtio console (repeatable, up to 3): the\n"
		"                       guest's /dev/virtio-ports/NAME joined to an inherited\n"
		"                       stream socket N, to the Unix socket PATH, connected at\n"
		"                       start-up, or to a console link's SOCK_SEQPACKET socket N\n"
		"                       (vmm system passes it)\n"
		"      --realtime       a real-time VM: guest RAM locked, vCPU threads at\n"
		"                       SCHED_FIFO, HLT/PAUSE exits disabled where KVM offers it,\n"
		"                       no periodic kick by the monitor (docs/realtime.md)\n"
		"      --pin LIST       host CPUs for the vCPU threads, one per vCPU (2, 1,3)\n"
		"      --rt-prio N      their SCHED_FIFO priority with --realtime (default 50)\n"
		"      --exits keep|disable\n"
		"                       HLT/PAUSE/MWAIT exits (default: disable with --realtime)\n"
		"      --halt-poll NS   KVM's halt polling for this VM (KVM_CAP_HALT_POLL)\n"
		"      --kick-stats     at the end, per vCPU: the liveness kicks the monitor sent\n"
		"                       and the KVM_RUN calls a signal ended (its own exits), and\n"
		"                       every exit to the monitor by reason, beside KVM's count\n"
		"                       of all exits\n"
		"      --io-cpus LIST   run the device I/O threads on CPUs LIST (e.g. 0 or 2-3) and\n"
		"                       the vCPUs on the other CPUs this process may use, so\n"
		"                       device work never takes a vCPU's CPU (and a real-time\n"
		"                       setup keeps I/O off its vCPU CPUs)\n"
		"      --io-poll US     with --io-cpus: each I/O thread polls its queues for up\n"
		"                       to US microseconds after its last request before it\n"
		"                       sleeps (0 to 1000, default 0: never polls)\n"
		"      --vfio BDF       pass the host's PCI function BDF (0000:00:04.0 form,\n"
		"                       bound to vfio-pci, behind an IOMMU) to the guest\n"
		"                       through VFIO (repeatable)\n"
		"      --strict-io      stop on an access no device claims, with a register dump\n"
		"      --no-sandbox     run without the seccomp sandbox (on by default)\n"
		"  test option:\n"
		"      --test-forbidden-syscall SECONDS\n"
		"                       after SECONDS the main loop makes a system call outside\n"
		"                       the sandbox policy (the sandbox then stops the VM: 12)\n"
		"\n"
		"exit status: 0 guest powered off or rebooted; odd (V<<1)|1 guest wrote V (0..63)\n"
		"to the debug-exit port 0xf4; 2 usage or start-up error; 4 triple fault; 6 guest\n"
		"halted with interrupts off; 8 KVM error or unhandled exit; 10 --strict-io\n"
		"violation; 12 forbidden system call (sandbox); 14 guest wrote 64 or more to the\n"
		"debug-exit port (the value is printed); 130 SIGINT; 143 SIGTERM.\n");
}

static int parse_uint(const char *opt, const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v < 1 || v > max) {
		fprintf(stderr, "vmm: %s '%s': expected a number from 1 to %u\n", opt, s, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* The virtio options: --disk FILE[,readonly] (repeatable) and --rng. The
 * image itself is opened and checked by the device at start-up. */
static int virtio_option(bool disk, const char *arg, struct machine_config *cfg)
{
	char err[256];
	if (!disk) {
		cfg->rng = true;
		return 0;
	}
	if (cfg->ndisks == VIRTIO_BLK_MAX) {
		fprintf(stderr, "vmm: --disk: at most %d per VM\n", VIRTIO_BLK_MAX);
		return -1;
	}
	if (blk_parse_option(arg, &cfg->disks[cfg->ndisks], err, sizeof(err))) {
		fprintf(stderr, "vmm: %s\n", err);
		return -1;
	}
	cfg->ndisks++;
	return 0;
}

/* --net tap=NAME[,mac=MAC] and --vsock cid=N,uds=PATH, once each. The
 * TAP and the socket are opened by the devices at start-up. */
static int net_vsock_option(bool net, const char *arg, struct machine_config *cfg)
{
	char err[256];
	bool *have = net ? &cfg->has_net : &cfg->has_vsock;
	if (*have) {
		fprintf(stderr, "vmm: --%s: at most one per VM\n", net ? "net" : "vsock");
		return -1;
	}
	int r = net ? net_parse_option(arg, &cfg->net, err, sizeof(err))
		    : vsock_parse_option(arg, &cfg->vsock, err, sizeof(err));
	if (r) {
		fprintf(stderr, "vmm: %s\n", err);
		return -1;
	}
	*have = true;
	return 0;
}

/* --port name=NAME,fd=N|link=N|path=PATH, repeatable; the set is checked
 * together (console_check_ports) once every option is read. */
static int port_option(const char *arg, struct machine_config *cfg)
{
	char err[256];
	if (cfg->nports == CONSOLE_MAX_PORTS) {
		fprintf(stderr, "vmm: --port: at most %u per VM\n", CONSOLE_MAX_PORTS);
		return -1;
	}
	if (console_parse_option(arg, &cfg->ports[cfg->nports], err, sizeof(err))) {
		fprintf(stderr, "vmm: %s\n", err);
		return -1;
	}
	cfg->nports++;
	return 0;
}

/* --io-cpus LIST: inside the CPUs this process may use, leaving some for
 * the vCPUs (cpulist.h says why). */
static int io_cpus_option(const char *arg, struct machine_config *cfg)
{
	char err[512];
	cpu_set_t allowed;
	if (cpulist_parse("--io-cpus", arg, &cfg->io_cpus, err, sizeof(err))) {
		fprintf(stderr, "vmm: %s\n", err);
		return -1;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "vmm: --io-cpus: cannot read this process's CPUs: %s\n",
			strerror(errno));
		return -1;
	}
	if (cpulist_split("--io-cpus", &cfg->io_cpus, &allowed, &cfg->vcpu_cpus, err,
			  sizeof(err))) {
		fprintf(stderr, "vmm: %s\n", err);
		return -1;
	}
	cfg->has_io_cpus = true;
	return 0;
}

/* --vfio BDF (repeatable): the address form is checked here, the host's
 * IOMMU, VFIO and binding at start-up (vfio_host.h). */
static int vfio_option(const char *arg, struct machine_config *cfg)
{
	char bdf[VFIO_BDF_LEN];
	if (vfio_parse_bdf(arg, bdf)) {
		fprintf(stderr, "vmm: --vfio '%s': expected a PCI address DDDD:BB:DD.F such as "
				"0000:00:04.0\n", arg);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nvfio; i++)
		if (!strcmp(cfg->vfio[i], bdf)) {
			fprintf(stderr, "vmm: --vfio %s: given twice\n", bdf);
			return -1;
		}
	if (cfg->nvfio == VFIO_MAX_DEVS) {
		fprintf(stderr, "vmm: --vfio: at most %d per VM\n", VFIO_MAX_DEVS);
		return -1;
	}
	memcpy(cfg->vfio[cfg->nvfio++], bdf, VFIO_BDF_LEN);
	return 0;
}

/* --firmware boots what the firmware finds on the disks; the options that
 * describe a kernel for the monitor to load would go nowhere, so they are
 * refused rather than ignored. */
static int firmware_options(const struct machine_config *cfg, bool boot_given)
{
	if (!cfg->firmware) {
		if (cfg->firmware_log) {
			fprintf(stderr, "vmm run: --firmware-log %s: needs --firmware\n",
				cfg->firmware_log);
			return -1;
		}
		if (!cfg->kernel) {
			fprintf(stderr, "vmm run: --kernel FILE (or --firmware FILE) is required\n");
			return -1;
		}
		return 0;
	}
	const char *clash = cfg->kernel ? "--kernel" : cfg->initrd ? "--initrd"
			  : cfg->cmdline[0] ? "--cmdline" : boot_given ? "--boot" : NULL;
	if (clash) {
		fprintf(stderr, "vmm run: --firmware %s and %s: the firmware boots the disk's own "
				"boot loader; give one or the other\n", cfg->firmware, clash);
		return -1;
	}
	/* Without a disk SeaBIOS finds nothing to boot and retries for ever. */
	if (!cfg->ndisks) {
		fprintf(stderr, "vmm run: --firmware %s: no --disk to boot from\n", cfg->firmware);
		return -1;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	enum { OPT_STRICT = 256, OPT_CHANNEL, OPT_NO_SANDBOX, OPT_TEST_FORBIDDEN, OPT_NO_GPIO,
	       OPT_DISK, OPT_RNG, OPT_NET, OPT_VSOCK, OPT_BOOT, OPT_PORT, OPT_REALTIME, OPT_PIN,
	       OPT_RT_PRIO, OPT_HALT_POLL, OPT_EXITS, OPT_KICK_STATS,
	       OPT_IO_CPUS, OPT_IO_POLL, OPT_VFIO, OPT_FIRMWARE, OPT_FIRMWARE_LOG };
	static const struct option opts[] = {
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},
		{"cmdline", required_argument, NULL, 'c'},
		{"mem", required_argument, NULL, 'm'},
		{"cpus", required_argument, NULL, 'p'},
		{"serial", required_argument, NULL, 's'},
		{"strict-io", no_argument, NULL, OPT_STRICT},
		{"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
		{"test-forbidden-syscall", required_argument, NULL, OPT_TEST_FORBIDDEN},
		{"channel", required_argument, NULL, OPT_CHANNEL},
		{"no-gpio", no_argument, NULL, OPT_NO_GPIO},
		{"disk", required_argument, NULL, OPT_DISK},
		{"rng", no_argument, NULL, OPT_RNG},
		{"net", required_argument, NULL, OPT_NET},
		{"vsock", required_argument, NULL, OPT_VSOCK},
		{"boot", required_argument, NULL, OPT_BOOT},
		{"port", required_argument, NULL, OPT_PORT},
		{"realtime", no_argument, NULL, OPT_REALTIME},
		{"pin", required_argument, NULL, OPT_PIN},
		{"rt-prio", required_argument, NULL, OPT_RT_PRIO},
		{"halt-poll", required_argument, NULL, OPT_HALT_POLL},
		{"exits", required_argument, NULL, OPT_EXITS},
		{"kick-stats", no_argument, NULL, OPT_KICK_STATS},
		{"io-cpus", required_argument, NULL, OPT_IO_CPUS},
		{"io-poll", required_argument, NULL, OPT_IO_POLL},
		{"vfio", required_argument, NULL, OPT_VFIO},
		{"firmware", required_argument, NULL, OPT_FIRMWARE},
		{"firmware-log", required_argument, NULL, OPT_FIRMWARE_LOG},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool boot_given = false;
	struct machine_config cfg = {
		.cmdline = "", .mem = 256ull << 20, .cpus = 1, .serial = "stdio",
	};
	int c;
	rt_cfg_init(&cfg.rt);
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:i:c:m:p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case OPT_FIRMWARE: cfg.firmware = optarg; break;
		case OPT_FIRMWARE_LOG: cfg.firmware_log = optarg; break;
		case 'i': cfg.initrd = optarg; break;
		case 'c': cfg.cmdline = optarg; break;
		case 'm':
			if (gm_parse_size(optarg, &cfg.mem) || cfg.mem < GM_MIN_SIZE ||
			    cfg.mem > GM_MAX_SIZE || (cfg.mem & 0xfff)) {
				fprintf(stderr,
					"vmm: --mem '%s': expected a size from 2M to 64G in whole "
					"KiB pages, such as 256M or 1G\n",
					optarg);
				return VMM_EXIT_CONFIG;
			}
			break;
		case 'p':
			if (parse_uint("--cpus", optarg, KVM_MAX_VCPUS, &cfg.cpus))
				return VMM_EXIT_CONFIG;
			break;
		case 's': cfg.serial = optarg; break;
		case OPT_STRICT: cfg.strict_io = true; break;
		case OPT_NO_SANDBOX: cfg.no_sandbox = true; break;
		case OPT_NO_GPIO: cfg.no_gpio = true; break;
		case OPT_BOOT:
			boot_given = true;
			if (!strcmp(optarg, "auto"))
				cfg.boot = BOOT_AUTO;
			else if (!strcmp(optarg, "pvh"))
				cfg.boot = BOOT_FORCE_PVH;
			else if (!strcmp(optarg, "hvboot"))
				cfg.boot = BOOT_FORCE_HVBOOT;
			else {
				fprintf(stderr, "vmm: --boot '%s': expected auto, pvh or hvboot\n",
					optarg);
				return VMM_EXIT_CONFIG;
			}
			break;
		case OPT_REALTIME: cfg.rt.realtime = true; break;
		case OPT_KICK_STATS: cfg.rt.kick_stats = true; break;
		case OPT_PIN: {
			char err[256];
			if (cpulist_parse_ordered(optarg, cfg.rt.pin, KVM_MAX_VCPUS, &cfg.rt.npin, err,
						  sizeof(err))) {
				fprintf(stderr, "vmm: --pin %s\n", err);
				return VMM_EXIT_CONFIG;
			}
			break;
		}
		case OPT_RT_PRIO: {
			unsigned v;
			if (parse_uint("--rt-prio", optarg, 99, &v) || v < 1) {
				fprintf(stderr, "vmm: --rt-prio: a SCHED_FIFO priority from 1 to 99\n");
				return VMM_EXIT_CONFIG;
			}
			cfg.rt.prio = (int)v;
			break;
		}
		case OPT_HALT_POLL: {
			/* 0 is a choice: no halt polling at all (KVM API 7.34). */
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-' || v > 100000000) {
				fprintf(stderr, "vmm: --halt-poll '%s': expected ns from 0 to "
						"100000000\n", optarg);
				return VMM_EXIT_CONFIG;
			}
			cfg.rt.halt_poll_ns = (long long)v;
			break;
		}
		case OPT_EXITS:
			if (!strcmp(optarg, "keep"))
				cfg.rt.disable_exits = 0;
			else if (!strcmp(optarg, "disable"))
				cfg.rt.disable_exits = 1;
			else {
				fprintf(stderr, "vmm: --exits '%s': expected keep or disable\n", optarg);
				return VMM_EXIT_CONFIG;
			}
			break;
		case OPT_TEST_FORBIDDEN:
			if (parse_uint("--test-forbidden-syscall", optarg, 86400,
				       &cfg.test_forbidden_s))
				return VMM_EXIT_CONFIG;
			break;
		case OPT_CHANNEL: {
			char err[256];
			if (cfg.nchans == CHANNEL_MAX) {
				fprintf(stderr, "vmm: --channel: at most %d per VM\n", CHANNEL_MAX);
				return VMM_EXIT_CONFIG;
			}
			if (channel_parse(optarg, &cfg.chans[cfg.nchans], err, sizeof(err))) {
				fprintf(stderr, "vmm: %s\n", err);
				return VMM_EXIT_CONFIG;
			}
			cfg.nchans++;
			break;
		}
		case OPT_DISK:
		case OPT_RNG:
			if (virtio_option(c == OPT_DISK, optarg, &cfg))
				return VMM_EXIT_CONFIG;
			break;
		case OPT_NET:
		case OPT_VSOCK:
			if (net_vsock_option(c == OPT_NET, optarg, &cfg))
				return VMM_EXIT_CONFIG;
			break;
		case OPT_PORT:
			if (port_option(optarg, &cfg))
				return VMM_EXIT_CONFIG;
			break;
		case OPT_IO_CPUS:
			if (io_cpus_option(optarg, &cfg))
				return VMM_EXIT_CONFIG;
			break;
		case OPT_IO_POLL: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-' || v > MACHINE_IO_POLL_MAX_US) {
				fprintf(stderr, "vmm: --io-poll '%s': expected microseconds from 0 "
						"to %d\n", optarg, MACHINE_IO_POLL_MAX_US);
				return VMM_EXIT_CONFIG;
			}
			cfg.io_poll_us = (int)v;
			break;
		}
		case OPT_VFIO:
			if (vfio_option(optarg, &cfg))
				return VMM_EXIT_CONFIG;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return VMM_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmm run: unexpected argument '%s'\n", argv[optind]);
		return VMM_EXIT_CONFIG;
	}
	if (firmware_options(&cfg, boot_given))
		return VMM_EXIT_CONFIG;
	if (cfg.io_poll_us > 0 && !cfg.has_io_cpus) {
		/* A polling worker beside a vCPU would spin on the vCPU's CPU. */
		fprintf(stderr, "vmm run: --io-poll needs --io-cpus (an I/O thread polls only "
				"on CPUs of its own)\n");
		return VMM_EXIT_CONFIG;
	}
	/* --pin places the vCPUs itself; the I/O CPUs must stay theirs alone. */
	for (unsigned i = 0; cfg.has_io_cpus && i < cfg.rt.npin; i++)
		if (cfg.rt.pin[i] >= 0 && cfg.rt.pin[i] < CPU_SETSIZE &&
		    CPU_ISSET(cfg.rt.pin[i], &cfg.io_cpus)) {
			fprintf(stderr, "vmm run: --pin puts vCPU %u on CPU %d, which --io-cpus "
					"gives to the device threads; choose CPUs apart\n", i,
				cfg.rt.pin[i]);
			return VMM_EXIT_CONFIG;
		}
	char lerr[512];
	if (channel_check_layout(cfg.chans, cfg.nchans, lerr, sizeof(lerr)) ||
	    console_check_ports(cfg.ports, cfg.nports, lerr, sizeof(lerr))) {
		fprintf(stderr, "vmm: %s\n", lerr);
		return VMM_EXIT_CONFIG;
	}
	return machine_run(&cfg);
}

/* `vmm system [--check] FILE`: every problem in FILE goes to stderr, as
 * "FILE:LINE: problem; what to change", and nothing is started. */
static int cmd_system(int argc, char **argv)
{
	static const struct option opts[] = {
		{"check", no_argument, NULL, 'c'},
		{"attach", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool check = false;
	struct system_opts so = {.self = "/proc/self/exe"};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ca:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': check = true; break;
		case 'a': so.attach = optarg; break;
		case 'h': printf("usage: vmm system [--check] [--attach VM] FILE\n"); return 0;
		default:
			fprintf(stderr, "usage: vmm system [--check] [--attach VM] FILE\n");
			return VMM_EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: vmm system [--check] [--attach VM] FILE\n");
		return VMM_EXIT_CONFIG;
	}
	const char *file = argv[optind];
	struct sd_system sys;
	struct sd_errors errs;
	if (sd_load(file, &sys, &errs)) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		sd_errors_free(&errs);
		return VMM_EXIT_CONFIG;
	}
	if (check) {
		printf("%s: ok: %zu VMs, %zu channels%s", file, sys.nvms, sys.nchans,
		       sys.nlinks ? "" : "\n");
		if (sys.nlinks)
			printf(", %zu links\n", sys.nlinks);
		sd_free(&sys);
		return 0;
	}
	if (so.attach) {
		size_t i;
		for (i = 0; i < sys.nvms && strcmp(sys.vms[i].name, so.attach); i++)
			;
		if (i == sys.nvms) {
			fprintf(stderr, "vmm system: --attach %s: %s has no such VM\n", so.attach,
				file);
			sd_free(&sys);
			return VMM_EXIT_CONFIG;
		}
	}
	/* The VMs' processes are this binary again, as `vmm run`. */
	int rc = system_run(&sys, &so);
	sd_free(&sys);
	return rc;
}

static int cmd_info(void)
{
	struct kvm_kind k;
	struct kvm_vm vm;
	char err[512];
	kvm_detect_kind(&k);
	printf("vmm %s\n", VMM_VERSION);
	if (k.hardware)
		printf("kvm kind: hardware %s (%s)\n", k.tech, k.module);
	else
		printf("kvm kind: software (%s): no vmx/svm in the CPU flags; guest kernel "
		       "code may be emulated\n",
		       k.module);
	if (kvm_open(&vm, err, sizeof(err))) {
		printf("kvm: unusable: %s\n", err);
		return VMM_EXIT_CONFIG;
	}
	printf("boots: direct (--kernel: bzImage, multiboot, PVH, ELF64; the fast path), "
	       "firmware (--firmware: SeaBIOS booting a --disk's own boot sector)\n");
	printf("kvm api version: %d\n", ioctl(vm.sys_fd, KVM_GET_API_VERSION, 0));
	printf("max vcpus: %d\n", kvm_check_cap(&vm, KVM_CAP_MAX_VCPUS));
	printf("capabilities used:\n");
	for (size_t i = 0; i < kvm_ncaps; i++)
		printf("  %-15s %-8s %-9s %s\n", kvm_caps[i].name,
		       kvm_check_cap(&vm, kvm_caps[i].cap) ? "present" : "absent",
		       kvm_caps[i].required ? "required" : "optional", kvm_caps[i].why);
	kvm_arch_info(&vm);
	rt_info(&vm);
	kvm_close(&vm);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VMM_EXIT_CONFIG;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vmm %s\n", VMM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "system"))
		return cmd_system(argc - 1, argv + 1);
	if (!strcmp(argv[1], "switch")) /* started by vmm system for a net link (lswitch.h) */
		return lsw_main(argc, argv);
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	fprintf(stderr, "vmm: unknown command '%s'; try 'vmm --help'\n", argv[1]);
	return VMM_EXIT_CONFIG;
}
