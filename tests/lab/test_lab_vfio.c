/*
 * Lab tests of PCI passthrough (vmm run --vfio, docs/passthrough.md): the
 * lab machine gets QEMU's emulated VT-d (q35, intel-iommu with interrupt
 * remapping, intel_iommu=on) and QEMU's edu device at 00:04.0; inside it
 * the VFIO modules load, the device is bound to vfio-pci through
 * driver_override, and the tiny guest edu64.elf drives it under vmm:
 * its ID register through the BAR slot, a factorial, DMA both ways
 * through the IOMMU, MSI (VFIO eventfd -> KVM irqfd) and INTx (eventfd
 * plus resample irqfd). Also: the device unbound (refused at start-up,
 * exit 2), the run repeated (the device handed over clean), a DMA outside
 * the guest's RAM (the IOMMU faults it and the host stays up), and a
 * second monitor asking for the device while a first holds it (refused),
 * and the exits that reach vmm per device interrupt on both paths (the
 * monitor's own counters, vmm --kick-stats, over runs with 10 and 100
 * interrupts), and the device given to a VM through a system description
 * (passthrough = [...], and --check refusing it to two VMs).
 * Then Debian's kernel as the guest with a virtio-rng-pci (MSI-X) and an
 * e1000 (INTx) passed through: its own drivers read entropy and talk to
 * the lab machine's second e1000 on the same QEMU hub.
 *
 * Every case reads the console of ONE lab boot (lab/run.sh vfio), made by
 * the first case that needs it. The LAB: lines are lab/init-outer.sh's
 * (vfio_test), the edu: lines the guest's (tests/guests/edu64.S). With
 * LAB_VFIO_CONSOLE=FILE the cases read a console kept before (lab/run.sh
 * --log; the cases' own boot keeps $BUILD/lab/vfio-console.log) instead.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lablib.h"

/* The boot: the lab machine, eleven short vmm runs of the tiny guest (one
 * under vmm system) and one of Debian's kernel: 153 s on the 2-core
 * machine under load before the count and system runs. */
#define VFIO_TIMEOUT_S 480
/* edu64.elf's debug-exit values as vmm's status ((V << 1) | 1). */
#define EDU_ALL_OK 85
#define EDU_OOB_OK 87
#define EDU_COUNT_OK 89
#define VMM_STARTUP_ERROR 2

static struct {
	bool done;
	struct cmd_result r;
} lab;

static const char *boot(void)
{
	/* LAB_VFIO_CONSOLE=FILE: check a console kept before instead of
	 * booting the lab again, as a passed run.sh left it. */
	const char *kept = getenv("LAB_VFIO_CONSOLE");
	if (!lab.done && kept && *kept) {
		lab_kept_console(&lab.r, "LAB_VFIO_CONSOLE", kept);
		lab.done = true;
	}
	if (!lab.done)
		require_lab();
	if (!lab.done) {
		/* The console is kept for a failed case's reader. */
		static char log[4096];
		snprintf(log, sizeof(log), "%s", build_path("lab/vfio-console.log"));
		const char *const opts[] = {"--log", log, "vfio", NULL};
		lab.done = true;
		run_lab_for(&lab.r, VFIO_TIMEOUT_S, opts);
	}
	return lab.r.out;
}

/* The console from marker on, or fails the case naming the marker. */
static const char *after(const char *out, const char *marker)
{
	const char *p = strstr(out, marker);
	if (!p)
		fail_msg("no '%s' in the lab's console", marker);
	return p;
}

/* The text between marker and the vmm exit status that follows it
 * contains want. */
static void assert_in_run(const char *out, const char *marker, const char *want)
{
	const char *p = after(out, marker);
	const char *end = strstr(p, "LAB: vmm exit status ");
	const char *w = strstr(p, want);
	if (!w || (end && w > end))
		fail_msg("'%s' not in the run after '%s'", want, marker);
}

static void lab_vfio_iommu_and_binding(void **state)
{
	(void)state;
	const char *out = boot();
	char line[256];
	assert_true(find_line(out, "LAB: vfio edu at 0000:00:04.0, iommu group ", line,
			      sizeof(line)));
	test_note("%s", line);
	assert_non_null(strstr(out, "LAB: vfio edu bound to vfio-pci"));
}

static void lab_vfio_unbound_device_refused(void **state)
{
	(void)state;
	const char *out = boot();
	assert_int_equal(vmm_status_after(out, "LAB: vfio case unbound"), VMM_STARTUP_ERROR);
	assert_in_run(out, "LAB: vfio case unbound", "not to vfio-pci; bind it");
	assert_in_run(out, "LAB: vfio case unbound", "driver_override");
}

static void lab_vfio_edu_bar_and_factorial(void **state)
{
	(void)state;
	const char *out = boot();
	const char *m = "LAB: vfio case all run 1";
	assert_in_run(out, m, "edu: found at device ");
	assert_in_run(out, m, "edu: id 010000ed");
	assert_in_run(out, m, "edu: liveness ok");
	assert_in_run(out, m, "edu: polled factorial of 10: 3628800");
}

static void lab_vfio_edu_msi(void **state)
{
	(void)state;
	const char *out = boot();
	const char *m = "LAB: vfio case all run 1";
	assert_in_run(out, m, "edu: MSI raised interrupt ok");
	assert_in_run(out, m, "edu: MSI factorial interrupt ok");
	assert_in_run(out, m, "edu: DMA to the device and back ok (MSI)");
}

static void lab_vfio_edu_intx(void **state)
{
	(void)state;
	const char *out = boot();
	assert_in_run(out, "LAB: vfio case all run 1",
		      "edu: INTx two raised interrupts and a DMA completion ok");
	assert_int_equal(vmm_status_after(out, "LAB: vfio case all run 1"), EDU_ALL_OK);
}

static void lab_vfio_restart_gets_clean_device(void **state)
{
	(void)state;
	const char *out = boot();
	assert_in_run(out, "LAB: vfio case all run 2", "edu: all ok");
	assert_int_equal(vmm_status_after(out, "LAB: vfio case all run 2"), EDU_ALL_OK);
}

static void lab_vfio_dma_outside_ram_faults(void **state)
{
	(void)state;
	const char *out = boot();
	assert_in_run(out, "LAB: vfio case oob", "edu: oob: the device completed the DMA outside RAM");
	assert_in_run(out, "LAB: vfio case oob", "edu: oob: DMA into RAM after it ok");
	assert_int_equal(vmm_status_after(out, "LAB: vfio case oob"), EDU_OOB_OK);
	/* The lab machine's IOMMU driver logged the blocked write at the
	 * address the guest gave (0x8000000, outside its 64 MiB). */
	char line[512];
	assert_true(find_line(out, "LAB: vfio oob dmesg: ", line, sizeof(line)));
	test_note("%s", line);
	const char *p = after(out, "LAB: vfio case oob");
	const char *f = strstr(p, "fault addr 0x8000000");
	const char *end = strstr(p, "LAB: vfio case busy");
	assert_non_null(f);
	assert_true(!end || f < end);
}

static void lab_vfio_second_vm_refused(void **state)
{
	(void)state;
	const char *out = boot();
	assert_non_null(strstr(out, "LAB: vfio holder: edu: holding"));
	assert_int_equal(vmm_status_after(out, "LAB: vfio case busy"), VMM_STARTUP_ERROR);
	assert_in_run(out, "LAB: vfio case busy", "another VM has it");
	/* Once the holder is gone the device serves again. */
	assert_int_equal(vmm_status_after(out, "LAB: vfio case after-busy"), EDU_ALL_OK);
}

/* The monitor's exits of one count run (vmm --kick-stats: "vCPU 0: N
 * exits to the monitor (port I/O A, MMIO B, signal S, other O); KVM
 * counted K exits in all"), after the case's marker and before its exit
 * status; fails the case when the line is missing. */
struct exits {
	long long all, io, mmio, sig, other, kvm;
};

static struct exits exits_of(const char *out, const char *marker)
{
	const char *p = after(out, marker);
	const char *end = strstr(p, "LAB: vmm exit status ");
	char line[512];
	struct exits e = {.kvm = -1};
	/* The kicks line comes first, then this one. */
	const char *q = p;
	for (;;) {
		q = strstr(q, "vmm: vCPU 0: ");
		if (!q || !end || q > end)
			fail_msg("no exits line of vmm --kick-stats after '%s'", marker);
		find_line(q, "vmm: vCPU 0: ", line, sizeof(line));
		if (strstr(line, " exits to the monitor ("))
			break;
		q++;
	}
	int n = sscanf(line, "vmm: vCPU 0: %lld exits to the monitor (port I/O %lld, MMIO %lld, "
			     "signal %lld, other %lld); KVM counted %lld",
		       &e.all, &e.io, &e.mmio, &e.sig, &e.other, &e.kvm);
	if (n < 5)
		fail_msg("cannot read '%s'", line);
	test_note("%.*s: %s", (int)strcspn(marker, "\n"), marker, line);
	if (e.all != e.io + e.mmio + e.sig + e.other)
		fail_msg("the exits do not add up: %s", line);
	assert_int_equal(vmm_status_after(out, marker), EDU_COUNT_OK);
	return e;
}

/* Exits to user space (vmm) per device interrupt. The guest's count case
 * takes M factorial completion interrupts by MSI, then I by INTx, and does
 * the same otherwise whatever M and I are; the runs "base" (10 10), "msi"
 * (100 10) and "intx" (10 100) therefore differ only by what 90 more
 * interrupts on one path cost the monitor. Signal exits are the monitor's
 * liveness kicks, which follow time, not interrupts (dead_check in
 * machine.c), so they are left out. Target: none on either path (irqfd
 * for MSI; for INTx the resample irqfd, the unmask done by VFIO in the
 * kernel). */
#define EDU_COUNT_MORE 90
static long long growth(const struct exits *run, const struct exits *base)
{
	return (run->io + run->mmio + run->other) - (base->io + base->mmio + base->other);
}

static void lab_vfio_no_user_exits_per_interrupt(void **state)
{
	(void)state;
	const char *out = boot();
	struct exits base = exits_of(out, "LAB: vfio case count-base\n");
	struct exits msi = exits_of(out, "LAB: vfio case count-msi\n");
	struct exits intx = exits_of(out, "LAB: vfio case count-intx\n");
	long long dmsi = growth(&msi, &base), dintx = growth(&intx, &base);
	test_note("exits to vmm for %d more interrupts: MSI %lld (%.2f per interrupt), INTx %lld "
		  "(%.2f per interrupt); the base run's %lld (port I/O %lld, MMIO %lld, other "
		  "%lld; signal %lld); KVM's count of all exits: base %lld, MSI run %lld, INTx "
		  "run %lld",
		  EDU_COUNT_MORE, dmsi, (double)dmsi / EDU_COUNT_MORE, dintx,
		  (double)dintx / EDU_COUNT_MORE, base.io + base.mmio + base.other, base.io,
		  base.mmio, base.other, base.sig, base.kvm, msi.kvm, intx.kvm);
	/* The run with 10 times the MSI interrupts makes no more exits to
	 * the monitor than the base run. */
	assert_int_equal(dmsi, 0);
	assert_int_equal(dintx, 0);
}

/* The device given to a VM through its system description: vmm system
 * starts it with --vfio, and the guest's all case passes (ID register
 * through the BAR, a polled factorial, MSI, DMA, INTx). */
#define SYSTEM "LAB: vfio case system\n"
static void lab_vfio_system_passthrough(void **state)
{
	(void)state;
	const char *out = boot();
	assert_in_run(out, SYSTEM, "LAB: vfio system: ");
	assert_in_run(out, SYSTEM, "passthrough = [ \"0000:00:04.0\" ]");
	assert_in_run(out, SYSTEM, "[edu] edu: id 010000ed");
	assert_in_run(out, SYSTEM, "[edu] edu: polled factorial of 10: 3628800");
	assert_in_run(out, SYSTEM, "[edu] edu: all ok");
	/* The guest's verdict is debug-exit value 0x2a: not a clean end for
	 * the supervisor (status 1), which names it. */
	assert_in_run(out, SYSTEM, "VM edu ended: debug-exit value 42");
	assert_int_equal(vmm_status_after(out, SYSTEM), 1);
}

/* A description giving the device to two VMs: --check refuses it, naming
 * the other VM, and starts nothing. */
static void lab_vfio_system_check_refuses_two_vms(void **state)
{
	(void)state;
	const char *out = boot();
	const char *m = "LAB: vfio case system-two\n";
	assert_int_equal(vmm_status_after(out, m), VMM_STARTUP_ERROR);
	assert_in_run(out, m,
		      "passthrough: 0000:00:04.0 is already given to VM \"a\" (line 2); a PCI "
		      "function belongs to one VM only");
}

/* Debian's kernel as the guest, with the virtio-rng-pci and an e1000
 * passed through (lab/init-outer.sh vfio_linux). */
#define LINUX "LAB: vfio case linux"

static void lab_vfio_linux_boots_with_both(void **state)
{
	(void)state;
	const char *out = boot();
	assert_in_run(out, LINUX, "INIT: reached /init");
	assert_in_run(out, LINUX, "INIT: checks done");
	assert_int_equal(vmm_status_after(out, LINUX), 0);
}

/* The guest's own virtio_rng reads entropy over a passed-through
 * virtio-rng-pci: DMA through the lab's IOMMU, MSI-X through VFIO. */
static void lab_vfio_linux_virtio_rng_msix(void **state)
{
	(void)state;
	const char *out = boot();
	const char *p = after(out, LINUX);
	char line[512];
	/* On the guest's bus with its real IDs, bound to virtio-pci, its
	 * vectors MSI-X ones (sysfs msi_irqs). */
	assert_true(find_line(p, "INIT: pci 0000:00:02.0 1af4:1044 ", line, sizeof(line)));
	test_note("%s", line);
	assert_non_null(strstr(line, "driver virtio-pci vectors "));
	assert_non_null(strstr(line, " msix"));
	assert_in_run(out, LINUX, "INIT: rng current virtio_rng.0");
	assert_true(find_line(p, "INIT: rng bytes ", line, sizeof(line)));
	const char *hex = line + strlen("INIT: rng bytes ");
	test_note("%s", line);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 128);
	size_t same = strspn(hex, (char[]){hex[0], '\0'});
	assert_true(same < 128);
}

/* The guest's e1000 driver on a passed-through e1000 (INTx, resampled):
 * the link to the lab machine's own e1000 on the same QEMU hub carries a
 * ping and 64 KiB over TCP. */
static void lab_vfio_linux_e1000_intx(void **state)
{
	(void)state;
	const char *out = boot();
	const char *p = after(out, LINUX);
	char line[512];
	/* Bound to e1000, no MSI vectors: its interrupt is the IOAPIC pin. */
	assert_true(find_line(p, "INIT: pci 0000:00:03.0 8086:100e ", line, sizeof(line)));
	test_note("%s", line);
	assert_non_null(strstr(line, "driver e1000 vectors 0 none"));
	assert_in_run(out, LINUX, "IO-APIC");
	assert_in_run(out, LINUX, "3 packets transmitted, 3 packets received");
	char sent[256], got[256];
	assert_true(find_line(p, "INIT: net sent sha256 ", sent, sizeof(sent)));
	assert_true(find_line(p, "LAB: net received 65536 bytes sha256 ", got, sizeof(got)));
	assert_string_equal(sent + strlen("INIT: net sent sha256 "),
			    got + strlen("LAB: net received 65536 bytes sha256 "));
}

static void lab_vfio_run_passes(void **state)
{
	(void)state;
	boot();
	assert_false(lab.r.timed_out);
	assert_int_equal(lab.r.status, 0);
}

static int cleanup(void **state)
{
	(void)state;
	if (lab.done && lab.r.out)
		cmd_result_free(&lab.r);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lab_vfio_iommu_and_binding),
		cmocka_unit_test(lab_vfio_unbound_device_refused),
		cmocka_unit_test(lab_vfio_edu_bar_and_factorial),
		cmocka_unit_test(lab_vfio_edu_msi),
		cmocka_unit_test(lab_vfio_edu_intx),
		cmocka_unit_test(lab_vfio_restart_gets_clean_device),
		cmocka_unit_test(lab_vfio_dma_outside_ram_faults),
		cmocka_unit_test(lab_vfio_second_vm_refused),
		cmocka_unit_test(lab_vfio_no_user_exits_per_interrupt),
		cmocka_unit_test(lab_vfio_system_passthrough),
		cmocka_unit_test(lab_vfio_system_check_refuses_two_vms),
		cmocka_unit_test(lab_vfio_linux_boots_with_both),
		cmocka_unit_test(lab_vfio_linux_virtio_rng_msix),
		cmocka_unit_test(lab_vfio_linux_e1000_intx),
		cmocka_unit_test(lab_vfio_run_passes),
	};
	return cmocka_run_group_tests_name("lab-vfio", tests, NULL, cleanup);
}
