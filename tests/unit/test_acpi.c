/* ACPI tables: structure, checksums and pointers, per CPU count, and a
 * round trip through the reference ACPI disassembler (iasl -d) when it is
 * installed; and the register block's power-off and reset decoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		const uint8_t *tabs[] = {fadt, madt, dsdt, xsdt};
		for (size_t i = 0; i < 4; i++) {
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
	};
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
