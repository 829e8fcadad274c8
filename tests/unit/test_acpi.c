/* ACPI tables: structure, checksums and pointers, per CPU count, and a
 * round trip through the reference ACPI disassembler (iasl -d) when it is
 * installed; and the register block's power-off and reset decoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acpi.h"
#include "testlib.h"

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The guest's view: find the RSDP the way an OS does (ACPI 5.2.5.1). */
static const uint8_t *find_rsdp(const struct guestmem *gm)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = gm_ptr(gm, a, 36);
		if (p && !memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
			return p;
	}
	return NULL;
}

static const uint8_t *table(const struct guestmem *gm, uint64_t addr, const char *sig)
{
	const uint8_t *h = gm_ptr(gm, addr, 36);
	assert_non_null(h);
	assert_memory_equal(h, sig, 4);
	uint32_t len = (uint32_t)get(h + 4, 4);
	const uint8_t *t = gm_ptr(gm, addr, len);
	assert_non_null(t);
	assert_int_equal(sum(t, len), 0);
	return t;
}

static void check_tables(unsigned ncpus)
{
	struct guestmem gm;
	char err[256];
	assert_int_equal(gm_init(&gm, 16 << 20), 0);
	assert_int_equal(acpi_build(&gm, ncpus, err, sizeof(err)), 0);
	const uint8_t *rsdp = find_rsdp(&gm);
	assert_non_null(rsdp);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(sum(rsdp, 36), 0);
	const uint8_t *xsdt = table(&gm, get(rsdp + 24, 8), "XSDT");
	const uint8_t *rsdt = table(&gm, get(rsdp + 16, 4), "RSDT");
	assert_int_equal(get(xsdt + 4, 4), 36 + 16);
	assert_int_equal(get(rsdt + 36, 4), get(xsdt + 36, 8));
	const uint8_t *fadt = table(&gm, get(xsdt + 36, 8), "FACP");
	const uint8_t *madt = table(&gm, get(xsdt + 44, 8), "APIC");
	const uint8_t *dsdt = table(&gm, get(fadt + 140, 8), "DSDT");
	assert_int_equal(get(fadt + 40, 4), get(fadt + 140, 8));
	assert_true(get(fadt + 112, 4) & (1u << 20)); /* HW_REDUCED_ACPI */
	/* The FACS: 64-byte aligned, 64 bytes, version 2, no waking vector;
	 * FIRMWARE_CTRL only (X_FIRMWARE_CTRL must then be 0). */
	uint64_t facs_at = get(fadt + 36, 4);
	assert_int_equal(facs_at % 64, 0);
	assert_int_equal(get(fadt + 132, 8), 0);
	const uint8_t *facs = gm_ptr(&gm, facs_at, 64);
	assert_non_null(facs);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(get(facs + 4, 4), 64);
	assert_int_equal(facs[32], 2);
	assert_int_equal(get(facs + 12, 4), 0);
	/* The PM timer: port I/O, 32-bit access, 4 bytes, TMR_VAL_EXT clear. */
	assert_int_equal(get(fadt + 76, 4), ACPI_PORT_BASE + ACPI_PM_TIMER);
	assert_int_equal(fadt[91], 4);
	assert_int_equal(fadt[208], 1);
	assert_int_equal(fadt[209], 32);
	assert_int_equal(get(fadt + 212, 8), ACPI_PORT_BASE + ACPI_PM_TIMER);
	assert_false(get(fadt + 112, 4) & (1u << 8));
	assert_int_equal(get(fadt + 244 + 4, 8), ACPI_PORT_BASE + ACPI_SLEEP_CONTROL);
	assert_int_equal(get(fadt + 116 + 4, 8), ACPI_PORT_BASE + ACPI_RESET);
	/* _S5_ is in the DSDT's AML. */
	assert_non_null(memmem(dsdt, get(dsdt + 4, 4), "_S5_", 4));
	/* MADT: one enabled LAPIC per CPU with APIC ID = index, one IOAPIC. */
	uint32_t len = (uint32_t)get(madt + 4, 4);
	unsigned lapics = 0, ioapics = 0;
	for (uint32_t off = 44; off < len; off += madt[off + 1]) {
		assert_true(madt[off + 1] >= 2);
		if (madt[off] == 0) {
			assert_int_equal(madt[off + 3], lapics);
			assert_int_equal(get(madt + off + 4, 4), 1);
			lapics++;
		} else if (madt[off] == 1) {
			assert_int_equal(get(madt + off + 4, 4), ACPI_IOAPIC_ADDR);
			ioapics++;
		}
	}
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);

	/* Disassemble every table with the reference implementation: it
	 * rejects bad lengths, checksums and AML. */
	if (access("/usr/bin/iasl", X_OK) == 0) {
		char dir[] = "/tmp/acpitest-XXXXXX";
		assert_non_null(mkdtemp(dir));
		const uint8_t *tabs[] = {fadt, madt, dsdt, xsdt, rsdt, facs};
		for (size_t i = 0; i < 6; i++) {
			char path[128], cmd[512];
			snprintf(path, sizeof(path), "%s/t%zu.dat", dir, i);
			FILE *f = fopen(path, "wb");
			assert_non_null(f);
			fwrite(tabs[i], 1, get(tabs[i] + 4, 4), f);
			fclose(f);
			snprintf(cmd, sizeof(cmd),
				 "cd %s && iasl -d t%zu.dat >out%zu.txt 2>&1 && "
				 "! grep -qi 'error\\|invalid' out%zu.txt", dir, i, i, i);
			if (system(cmd) != 0) {
				snprintf(cmd, sizeof(cmd), "cat %s/out%zu.txt", dir, i);
				(void)!system(cmd);
				fail_msg("iasl -d rejected table %.4s", (const char *)tabs[i]);
			}
		}
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	} else {
		test_note("iasl not installed: tables not disassembled");
	}
	gm_free(&gm);
}

static void tables_one_cpu(void **state)
{
	(void)state;
	check_tables(1);
}

static void tables_many_cpus(void **state)
{
	(void)state;
	check_tables(2);
	check_tables(64);
}

/* The table loader (QEMU's etc/table-loader, as SeaBIOS and OVMF run it):
 * run its commands the way firmware does, placing etc/acpi/rsdp at the
 * direct boot's RSDP address and etc/acpi/tables right after, and the
 * result must be byte for byte the tables the direct boot writes. */
struct lfile {
	const char *name;
	const uint8_t *data;
	uint32_t len;
	uint8_t *at; /* where "firmware" put it */
	uint64_t gpa;
};

static struct lfile *lfind(struct lfile *f, size_t n, const uint8_t *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp((const char *)name, f[i].name, ACPI_LOADER_NAME_MAX))
			return &f[i];
	fail_msg("the loader names an unknown file %.56s", (const char *)name);
	return NULL;
}

static void check_loader(unsigned ncpus)
{
	struct guestmem direct, fw;
	char err[128];
	struct acpi_loader l;
	assert_int_equal(gm_init(&direct, 4 << 20), 0);
	assert_int_equal(gm_init(&fw, 4 << 20), 0);
	assert_int_equal(acpi_build(&direct, ncpus, err, sizeof(err)), 0);
	assert_int_equal(acpi_build_loader(ncpus, &l), 0);
	assert_int_equal(l.cmds_len % ACPI_LOADER_CMD_SIZE, 0);
	struct lfile files[2] = {
		{ACPI_RSDP_FILE, l.rsdp, l.rsdp_len, NULL, ACPI_TABLES_BASE},
		{ACPI_TABLES_FILE, l.tables, l.tables_len, NULL, ACPI_TABLES_BASE + 0x40},
	};
	unsigned allocs = 0, ptrs = 0, sums = 0;
	for (uint32_t o = 0; o < l.cmds_len; o += ACPI_LOADER_CMD_SIZE) {
		const uint8_t *c = l.cmds + o;
		const uint8_t *a = c + 4;
		switch (get(c, 4)) {
		case ACPI_LOADER_ALLOCATE: {
			struct lfile *f = lfind(files, 2, a);
			uint32_t align = (uint32_t)get(a + 56, 4);
			uint8_t zone = a[60];
			assert_int_equal(f->gpa % align, 0);
			if (f == &files[0])
				assert_int_equal(zone, ACPI_LOADER_ZONE_FSEG);
			else
				assert_int_equal(zone, ACPI_LOADER_ZONE_HIGH);
			f->at = gm_ptr(&fw, f->gpa, f->len);
			assert_non_null(f->at);
			memcpy(f->at, f->data, f->len);
			allocs++;
			break;
		}
		case ACPI_LOADER_ADD_POINTER: {
			struct lfile *d = lfind(files, 2, a), *s = lfind(files, 2, a + 56);
			uint32_t off = (uint32_t)get(a + 112, 4);
			uint8_t size = a[116];
			assert_non_null(d->at);
			assert_non_null(s->at);
			assert_true(size == 4 || size == 8);
			assert_true(off + size <= d->len);
			uint64_t v = get(d->at + off, size) + s->gpa;
			for (unsigned i = 0; i < size; i++)
				d->at[off + i] = (uint8_t)(v >> (8 * i));
			ptrs++;
			break;
		}
		case ACPI_LOADER_ADD_CHECKSUM: {
			struct lfile *f = lfind(files, 2, a);
			uint32_t res = (uint32_t)get(a + 56, 4), start = (uint32_t)get(a + 60, 4);
			uint32_t len = (uint32_t)get(a + 64, 4);
			assert_non_null(f->at);
			assert_true(start + len <= f->len && res >= start && res < start + len);
			f->at[res] = (uint8_t)(f->at[res] - sum(f->at + start, len));
			sums++;
			break;
		}
		default:
			fail_msg("unknown loader command %u", (unsigned)get(c, 4));
		}
	}
	assert_int_equal(allocs, 2);
	assert_int_equal(ptrs, 9);
	assert_int_equal(sums, 6);
	const uint8_t *want = gm_ptr(&direct, ACPI_TABLES_BASE, 0x40 + l.tables_len);
	const uint8_t *got = gm_ptr(&fw, ACPI_TABLES_BASE, 0x40 + l.tables_len);
	assert_memory_equal(got, want, 0x40 + l.tables_len);
	acpi_loader_free(&l);
	gm_free(&direct);
	gm_free(&fw);
}

static void table_loader_matches_direct(void **state)
{
	(void)state;
	check_loader(1);
	check_loader(2);
	check_loader(200);
}

/* The PM timer counts at 3.579545 MHz in 24 bits, read as 1, 2 or 4
 * bytes at its offset. */
static void pm_timer_rate(void **state)
{
	(void)state;
	struct acpi_regs r = {NULL, NULL, NULL}; /* reads call neither */
	uint8_t b[4];
	struct timespec t0, t1, pause = {0, 50 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	acpi_io(&r, ACPI_PM_TIMER, b, 4, false);
	uint32_t v0 = (uint32_t)get(b, 4);
	nanosleep(&pause, NULL);
	acpi_io(&r, ACPI_PM_TIMER, b, 4, false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	uint32_t v1 = (uint32_t)get(b, 4);
	assert_int_equal(v0 >> 24, 0);
	assert_int_equal(v1 >> 24, 0);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	double ticks = (double)((v1 - v0) & 0xffffffu);
	double hz = ticks / ns * 1e9;
	test_note("PM timer: %.0f ticks in %.3f ms: %.0f Hz", ticks, ns / 1e6, hz);
	assert_true(hz > 3579545.0 * 0.9 && hz <= 3579545.0 * 1.0001);
	/* A read of the upper byte alone, and one across the end: 0s. */
	acpi_io(&r, ACPI_PM_TIMER + 3, b, 1, false);
	assert_int_equal(b[0], 0);
	acpi_io(&r, ACPI_PM_TIMER + 2, b, 4, false);
	assert_int_equal(get(b, 4), 0);
}

/* The reset vector holds a real-mode stub that writes the reset value to
 * the reset register, so a "BIOS reboot" ends the run like ACPI reset. */
static void reset_vector_stub(void **state)
{
	(void)state;
	struct guestmem gm;
	char err[128];
	assert_int_equal(gm_init(&gm, 4 << 20), 0);
	assert_int_equal(acpi_build(&gm, 1, err, sizeof(err)), 0);
	const uint8_t *v = gm_ptr(&gm, ACPI_RESET_VECTOR, 16);
	const uint16_t port = ACPI_PORT_BASE + ACPI_RESET;
	const uint8_t want[] = {0xba, (uint8_t)port, (uint8_t)(port >> 8), 0xb0, ACPI_RESET_VALUE,
				0xee, 0xf4};
	assert_memory_equal(v, want, sizeof(want));
	gm_free(&gm);
}

/* The ROM at the top of 4 GiB has the same stub at 0xfffffff0, where a
 * CPU starts after RESET or INIT, and reads all-ones elsewhere. */
static void rom_reset_vector_stub(void **state)
{
	(void)state;
	static uint8_t rom[ACPI_ROM_SIZE];
	acpi_build_rom(rom);
	assert_int_equal(ACPI_ROM_BASE + ACPI_ROM_SIZE, 0x100000000ull);
	const uint8_t *v = rom + (0xfffffff0ull - ACPI_ROM_BASE);
	const uint16_t port = ACPI_PORT_BASE + ACPI_RESET;
	const uint8_t want[] = {0xba, (uint8_t)port, (uint8_t)(port >> 8), 0xb0, ACPI_RESET_VALUE,
				0xee, 0xf4, 0xeb, 0xfd};
	assert_memory_equal(v, want, sizeof(want));
	assert_int_equal(rom[0], 0xff);
	assert_int_equal(rom[0xffef], 0xff);
	/* Above the LAPIC and IOAPIC. */
	assert_true(ACPI_ROM_BASE > ACPI_LAPIC_ADDR + 0x1000);
}

static int offs, resets;
static void on_off(void *ctx) { (void)ctx; offs++; }
static void on_reset(void *ctx) { (void)ctx; resets++; }

static void registers_decode(void **state)
{
	(void)state;
	struct acpi_regs r = {on_off, on_reset, NULL};
	uint8_t v;
	offs = resets = 0;
	v = 5 << 2; /* S5 without SLP_EN: nothing */
	acpi_io(&r, ACPI_SLEEP_CONTROL, &v, 1, true);
	v = (3 << 2) | 0x20; /* S3: not offered */
	acpi_io(&r, ACPI_SLEEP_CONTROL, &v, 1, true);
	assert_int_equal(offs, 0);
	v = (5 << 2) | 0x20;
	acpi_io(&r, ACPI_SLEEP_CONTROL, &v, 1, true);
	assert_int_equal(offs, 1);
	v = 2;
	acpi_io(&r, ACPI_RESET, &v, 1, true);
	assert_int_equal(resets, 0);
	v = ACPI_RESET_VALUE;
	acpi_io(&r, ACPI_RESET, &v, 1, true);
	assert_int_equal(resets, 1);
	v = 0xaa;
	acpi_io(&r, ACPI_SLEEP_STATUS, &v, 1, false);
	assert_int_equal(v, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tables_one_cpu),
		cmocka_unit_test(tables_many_cpus),
		cmocka_unit_test(registers_decode),
		cmocka_unit_test(reset_vector_stub),
		cmocka_unit_test(rom_reset_vector_stub),
		cmocka_unit_test(table_loader_matches_direct),
		cmocka_unit_test(pm_timer_rate),
	};
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
