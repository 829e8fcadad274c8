/*
 * test_kvm_msi: what kvm.c hands KVM for an MSI (api.rst, KVM_SIGNAL_MSI
 * and KVM_SET_GSI_ROUTING's KVM_IRQ_ROUTING_MSI). Where the VM's
 * interrupt controller translates by sender (arm64's ITS, vm->msi_devid)
 * each MSI and each MSI route carries KVM_MSI_VALID_DEVID and the
 * requester ID; elsewhere (the PC) neither flag nor devid, as before.
 * The ioctls are caught here: this test's ioctl() stands in for libc's.
 */
#include "testlib.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define FAKE_VM_FD 1000

static struct kvm_msi last_msi;
static struct kvm_irq_routing_entry last_routes[KVM_ARCH_DEFAULT_ROUTES + KVM_MAX_MSI_ROUTES];
static unsigned last_nr;
static int nroutings, nmsis;

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != FAKE_VM_FD)
		return -1;
	if (req == KVM_SIGNAL_MSI) {
		memcpy(&last_msi, arg, sizeof(last_msi));
		nmsis++;
		return 1; /* delivered */
	}
	if (req == KVM_SET_GSI_ROUTING) {
		const struct kvm_irq_routing *t = arg;
		last_nr = t->nr;
		if (last_nr > sizeof(last_routes) / sizeof(last_routes[0]))
			return -1;
		memcpy(last_routes, t->entries, last_nr * sizeof(t->entries[0]));
		nroutings++;
		return 0;
	}
	return -1;
}

static struct kvm_vm *fake_vm(bool devid)
{
	static struct kvm_vm vm;
	memset(&vm, 0, sizeof(vm));
	vm.fd = FAKE_VM_FD;
	vm.sys_fd = -1;
	vm.msi_devid = devid;
	nroutings = nmsis = 0;
	memset(&last_msi, 0, sizeof(last_msi));
	return &vm;
}

static const struct kvm_irq_routing_entry *route_of(unsigned gsi)
{
	const struct kvm_irq_routing_entry *found = NULL;
	for (unsigned i = 0; i < last_nr; i++)
		if (last_routes[i].gsi == gsi && last_routes[i].type == KVM_IRQ_ROUTING_MSI) {
			assert_null(found); /* one route per GSI */
			found = &last_routes[i];
		}
	assert_non_null(found);
	return found;
}

/* The ITS case: 00:03.0 (requester ID 0x18) signals GITS_TRANSLATER. */
static void test_signal_with_devid(void **state)
{
	(void)state;
	struct kvm_vm *vm = fake_vm(true);
	assert_int_equal(kvm_signal_msi_from(vm, 0x18, 0x08090040, 7), 0);
	assert_int_equal(nmsis, 1);
	assert_int_equal(last_msi.flags, KVM_MSI_VALID_DEVID);
	assert_int_equal(last_msi.devid, 0x18);
	assert_int_equal(last_msi.address_lo, 0x08090040);
	assert_int_equal(last_msi.address_hi, 0);
	assert_int_equal(last_msi.data, 7);
}

static void test_signal_without_devid(void **state)
{
	(void)state;
	struct kvm_vm *vm = fake_vm(false);
	assert_int_equal(kvm_signal_msi_from(vm, 0x18, 0xfee00000, 0x4041), 0);
	assert_int_equal(last_msi.flags, 0);
	assert_int_equal(last_msi.devid, 0);
	assert_int_equal(kvm_signal_msi(vm, 0xfee00000, 0x4042), 0);
	assert_int_equal(last_msi.flags, 0);
	assert_int_equal(last_msi.data, 0x4042);
}

/* Two devices' vectors: each route keeps its own devid when the table
 * is rewritten for the other, and a re-programmed vector keeps one
 * entry; the arch's default routes stay in front. */
static void test_routes_with_devid(void **state)
{
	(void)state;
	struct kvm_vm *vm = fake_vm(true);
	struct kvm_irq_routing_entry defaults[KVM_ARCH_DEFAULT_ROUTES];
	unsigned ndef = kvm_arch_default_routes(defaults);
	assert_int_equal(kvm_route_msi_from(vm, 40, 0x08, 0x08090040, 0), 0);
	assert_int_equal(kvm_route_msi_from(vm, 41, 0x10, 0x08090040, 1), 0);
	assert_int_equal(kvm_route_msi_from(vm, 40, 0x08, 0x08090040, 2), 0);
	assert_int_equal(nroutings, 3);
	assert_int_equal(last_nr, ndef + 2);
	for (unsigned i = 0; i < ndef; i++) {
		assert_int_equal(last_routes[i].type, defaults[i].type);
		assert_int_equal(last_routes[i].flags, 0);
	}
	const struct kvm_irq_routing_entry *a = route_of(40), *b = route_of(41);
	assert_int_equal(a->flags, KVM_MSI_VALID_DEVID);
	assert_int_equal(a->u.msi.devid, 0x08);
	assert_int_equal(a->u.msi.data, 2);
	assert_int_equal(a->u.msi.address_lo, 0x08090040);
	assert_int_equal(b->flags, KVM_MSI_VALID_DEVID);
	assert_int_equal(b->u.msi.devid, 0x10);
	assert_int_equal(b->u.msi.data, 1);
}

static void test_routes_without_devid(void **state)
{
	(void)state;
	struct kvm_vm *vm = fake_vm(false);
	assert_int_equal(kvm_route_msi_from(vm, 40, 0x08, 0xfee00000, 0x4041), 0);
	assert_int_equal(kvm_route_msi(vm, 41, 0xfee01000, 0x4042), 0);
	const struct kvm_irq_routing_entry *a = route_of(40), *b = route_of(41);
	assert_int_equal(a->flags, 0);
	assert_int_equal(a->u.msi.devid, 0);
	assert_int_equal(b->flags, 0);
	assert_int_equal(b->u.msi.address_lo, 0xfee01000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_with_devid),
		cmocka_unit_test(test_signal_without_devid),
		cmocka_unit_test(test_routes_with_devid),
		cmocka_unit_test(test_routes_without_devid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
