/*
 * The PCI configuration space and MSI-X table models under EVA
 * (tests/prove/README.md): a bus with the host bridge, one device with a
 * 32-bit memory BAR and an I/O BAR, and one with MSI-X of any table size
 * PROVE_NVEC (prove.py sets it; EVA relates the table's bounds to a
 * constant size, not to an interval of them) in BAR 0, then any sequence, of any length, of
 * what the guest and the devices can do: a guest access of any width and
 * direction at any of the 8 ports of the configuration mechanism, with
 * any data (so any CONFIG_ADDRESS: any bus, device, function, register);
 * a guest access of any width and direction at any offset of the ECAM
 * window (pci_ecam_io, the arm64 board's configuration mechanism);
 * a guest access of any width and direction at any offset 0 ..
 * PROVE_OFF_MAX of the MSI-X table and of the PBA (prove.py: past both); a device raising any vector, in range or
 * not; the host's own configuration read or write (pci_cfg_read/write) of
 * any device, function, register, width and value; pci_msix_enabled(). The loop is unbounded, so EVA's result covers every sequence.
 *
 * Before it, the set-up's refusals (pci_add, pci_cap_add, pci_msix_init
 * given what they refuse), on a bus of their own.
 *
 * The device callbacks are stubs that do nothing but, for the MSI-X
 * device, follow its capability as the virtio transport does.
 */
#include "pci.h"
#include "__fc_builtin.h"

static struct pci_bus bus, full_bus;
static struct pci_dev plain, msix_dev, bad, spare[PCI_MAX_DEVICES + 1];
static struct pci_msix msix, bad_msix;

static void bar_moved(struct pci_dev *d, int bar, uint32_t addr, bool enabled)
{
	(void)d;
	(void)bar;
	(void)addr;
	(void)enabled;
}

static void msix_cfg_written(struct pci_dev *d, unsigned reg, unsigned len)
{
	(void)d;
	pci_msix_cfg_written(&msix, reg, len);
}

static void send(void *opaque, unsigned vec, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)vec;
	(void)addr;
	(void)data;
}

static void update(void *opaque, unsigned vec, bool live, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)vec;
	(void)live;
	(void)addr;
	(void)data;
}

static void host_cfg(unsigned dev, unsigned fn, unsigned reg, unsigned len, uint32_t val,
		     bool rd)
{
	if (rd)
		(void)pci_cfg_read(&bus, dev, fn, reg, len);
	else
		pci_cfg_write(&bus, dev, fn, reg, len, val);
}

/* The set-up's refusals, on a bus and devices of their own (the guest's
 * loop below sees none of them): pci_add without a bus or device, with
 * an interrupt pin past INTD#, with a BAR of a size its kind cannot have,
 * of a device already on the bus, on a full bus; pci_cap_add until the
 * configuration space is full and with a length past it; pci_msix_init
 * with each argument it refuses, and on a device with no room left. */
static void refusals(void)
{
	pci_init(&full_bus);
	(void)pci_add(0, &bad);
	(void)pci_add(&full_bus, 0);
	bad.irq_pin = (uint8_t)Frama_C_interval(5, 255);
	(void)pci_add(&full_bus, &bad);
	bad.irq_pin = 0;
	bad.bar[1].kind = PCI_BAR_MEM32;
	bad.bar[1].size = Frama_C_nondet(0, 1) ? 8 : 0x3000; /* below 16, not a power of 2 */
	(void)pci_add(&full_bus, &bad);
	bad.bar[1].kind = PCI_BAR_IO;
	bad.bar[1].size = Frama_C_nondet(0, 1) ? 2 : 512; /* outside 4 .. 256 */
	(void)pci_add(&full_bus, &bad);
	bad.bar[1].kind = (enum pci_bar_kind)Frama_C_interval(3, 7); /* no such kind */
	(void)pci_add(&full_bus, &bad);
	/* The bus took the host bridge: the spares fill it, the last is
	 * refused; the first again is refused as already there. */
	for (int i = 0; i < PCI_MAX_DEVICES + 1; i++)
		(void)pci_add(&full_bus, &spare[i]);
	(void)pci_add(&full_bus, &spare[0]);
	struct pci_dev *d = &spare[0];
	unsigned nvec = Frama_C_nondet(0, 1) ? 0 : PCI_MSIX_MAX_VECTORS + 1;
	(void)pci_msix_init(&bad_msix, d, nvec, 0, 0, 0, 0x2000, send, update, 0);
	(void)pci_msix_init(&bad_msix, d, 1, (unsigned)Frama_C_interval(6, 255), 0, 0, 0, send,
			    update, 0);
	(void)pci_msix_init(&bad_msix, d, 1, 0, 0, (unsigned)Frama_C_interval(6, 255), 0, send,
			    update, 0);
	(void)pci_msix_init(&bad_msix, d, 1, 0, (uint32_t)Frama_C_interval(1, 7), 0, 0, send,
			    update, 0);
	(void)pci_msix_init(&bad_msix, d, 1, 0, 0, 0, (uint32_t)Frama_C_interval(1, 7), send,
			    update, 0);
	(void)pci_msix_init(&bad_msix, d, 1, 0, 0, 0, 0, 0, update, 0);
	(void)pci_msix_init(0, d, 1, 0, 0, 0, 0, send, update, 0);
	(void)pci_msix_init(&bad_msix, 0, 1, 0, 0, 0, 0, send, update, 0);
	(void)pci_cap_add(d, 0x09, Frama_C_unsigned_int_interval(193, 0xffffffffu));
	for (int i = 0; i < 64 && pci_cap_add(d, 0x09, 12) >= 0; i++)
		;
	(void)pci_msix_init(&bad_msix, d, 1, 0, 0, 0, 0, send, update, 0);
}

int main(void)
{
	refusals();
	pci_init(&bus);
	plain.vendor_id = 0x1af4;
	plain.device_id = 0x1000;
	plain.irq_pin = 1;
	plain.bar[0].kind = PCI_BAR_MEM32;
	plain.bar[0].size = 4096;
	plain.bar[1].kind = PCI_BAR_IO;
	plain.bar[1].size = 32;
	plain.bar_moved = bar_moved;
	if (pci_add(&bus, &plain) < 0)
		return 0;
	msix_dev.vendor_id = 0x1af4;
	msix_dev.device_id = 0x1042;
	msix_dev.bar[0].kind = PCI_BAR_MEM32;
	msix_dev.bar[0].size = 0x4000;
	msix_dev.bar_moved = bar_moved;
	msix_dev.cfg_written = msix_cfg_written;
	if (pci_add(&bus, &msix_dev) < 0)
		return 0;
	unsigned nvec = PROVE_NVEC;
	if (pci_msix_init(&msix, &msix_dev, nvec, 0, 0, 0, 0x2000, send, update, 0) < 0)
		return 0;
	uint8_t data[8];
	while (Frama_C_nondet(0, 1)) {
		uint32_t len = (uint32_t)Frama_C_interval(0, sizeof data);
		bool wr = Frama_C_nondet(0, 1);
		Frama_C_make_unknown((char *)data, sizeof data);
		/* One EVA state per width: the models' checks relate the width
		 * to the offset, which one interval of each would lose. */
		/*@ split len; */
		switch (Frama_C_interval(0, 6)) {
		case 0:
			pci_io(&bus, (uint64_t)Frama_C_interval(0, 7), data, len, wr);
			break;
		case 1: {
			uint64_t off = (uint64_t)Frama_C_interval(0, PROVE_OFF_MAX);
			/*@ split off; */
			pci_msix_table_io(&msix, off, data, len, wr);
			break;
		}
		case 2: {
			uint64_t off = (uint64_t)Frama_C_interval(0, PROVE_OFF_MAX);
			/*@ split off; */
			pci_msix_pba_io(&msix, off, data, len, wr);
			break;
		}
		case 3: {
			/* The host's (a device's, a test's) own access: any
			 * device, function, register and width. */
			unsigned dev = Frama_C_unsigned_int_interval(0, 0xffffffffu);
			unsigned fn = Frama_C_unsigned_int_interval(0, 0xffffffffu);
			unsigned reg = Frama_C_unsigned_int_interval(0, 0xffffffffu);
			unsigned hlen = Frama_C_unsigned_int_interval(0, 0xffffffffu);
			uint32_t val = Frama_C_unsigned_int_interval(0, 0xffffffffu);
			bool rd = Frama_C_nondet(0, 1);
			/* One state per width up to 8, one for all above: the
			 * width check (len_ok) does not narrow an interval of
			 * both kinds. */
			if (hlen <= 8) {
				/*@ split hlen; */
				host_cfg(dev, fn, reg, hlen, val, rd);
			} else {
				host_cfg(dev, fn, reg, hlen, val, rd);
			}
			break;
		}
		case 4:
			(void)pci_msix_enabled(&msix);
			break;
		case 5:
			/* The arm64 board's ECAM window (256 MiB: bus 0..255,
			 * device, function, register 0..4095), any offset. */
			pci_ecam_io(&bus, (uint64_t)Frama_C_interval(0, (1 << 28) - 1), data, len, wr);
			break;
		default:
			(void)pci_msix_notify(&msix, (unsigned)Frama_C_interval(0, 2 * PCI_MSIX_MAX_VECTORS));
		}
	}
	return 0;
}
