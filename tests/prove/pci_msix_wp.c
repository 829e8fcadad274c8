/*
 * The MSI-X table and Pending Bit Array model, proved with WP
 * (tests/prove/README.md): the contracts of the MSI-X entry points of
 * src/vmm/dev/pci.c, given here on their prototypes and merged by
 * Frama-C with the definitions, whose static helpers carry their own
 * contracts in pci.c.
 *
 * For every table size pci_msix_init() takes (pci_msix_ok: 1 ..
 * PCI_MSIX_MAX_VECTORS, a parameter of the proof, not a constant), and
 * whatever the guest's offset, width, direction and data: every access
 * is valid, every write to the MSI-X state is inside the first nvec
 * entries of the table and of `live`, and inside the PBA words of nvec
 * vectors (the assigns clauses), every entry read is one of the nvec
 * (pci.c's `entry` and `pba` assertions), and the state stays
 * pci_msix_ok.
 *
 * The bus's contract: `data` has `len` bytes, and points at a byte even
 * when len is 0 (bus.c dispatches no empty access; memset may not be
 * given an invalid pointer even for 0 bytes, C11 7.24.1p2).
 *
 * The callbacks: pci.c calls them through PROVE_MSIX_SEND and
 * PROVE_MSIX_UPDATE here (WP follows no call through a pointer); they
 * change nothing of the MSI-X state (pci.h: they run under x->lock and
 * must not call pci_msix_*), which is the assumption.
 */
#include "pci.h"

/* pci_cap_add: whatever the device's configuration space holds (its
 * capability list, cap_end) and whatever the length asked, it writes only
 * the configuration space and cap_end, and the entry it returns is dword
 * aligned and wholly inside the 256 bytes. */
/*@ requires \valid(d);
    assigns d->cfg[0 .. 255], d->cap_end;
    ensures \result == -1 || (0 <= \result && \result % 4 == 0 && \result + len <= 256);
*/
int pci_cap_add(struct pci_dev *d, uint8_t id, unsigned len);

/* pci_msix_init: for any arguments, with x and d valid and apart, it
 * refuses (-1) or sets the MSI-X state up pci_msix_ok, the predicate every
 * contract below assumes, for the nvec asked (1 .. PCI_MSIX_MAX_VECTORS):
 * MSI-X off, the function not masked, every vector of the table masked
 * with address and data 0 (PCI 3.0 6.8.2.9), nothing pending, nothing
 * live, the capability's 12 bytes inside the configuration space. It
 * writes only *x and the device's configuration space, write mask and
 * cap_end. */
/*@ requires \valid(x) && \valid(d) && \separated(x, d);
    assigns *x, d->cfg[0 .. 255], d->wmask[0 .. 255], d->cap_end;
    ensures \result == -1 || 0 <= \result;
    ensures ok: \result >= 0 ==> pci_msix_ok(x) && x->dev == d && x->nvec == nvec &&
      x->cap == \result && !x->enabled && !x->fmask;
    ensures reset: \result >= 0 ==>
      (\forall integer v; 0 <= v < x->nvec ==>
        x->tab[v].ctrl == 1 && x->tab[v].addr_lo == 0 && x->tab[v].addr_hi == 0 &&
        x->tab[v].data == 0 && !x->live[v]) &&
      (\forall integer w; 0 <= w < (PCI_MSIX_MAX_VECTORS + 63) / 64 ==> x->pba[w] == 0);
*/
int pci_msix_init(struct pci_msix *x, struct pci_dev *d, unsigned nvec, unsigned table_bar,
		  uint32_t table_off, unsigned pba_bar, uint32_t pba_off,
		  void (*send)(void *, unsigned, uint64_t, uint32_t),
		  void (*update)(void *, unsigned, bool, uint64_t, uint32_t), void *opaque);

/*@ assigns \nothing; */
void prove_msix_send(void *opaque, unsigned vec, uint64_t addr, uint32_t data);

/*@ assigns \nothing; */
void prove_msix_update(void *opaque, unsigned vec, bool live, uint64_t addr, uint32_t data);

/*@ requires ok: pci_msix_ok(x);
    requires data: \valid(data + (0 .. len - 1)) && \valid(data);
    requires sep: \separated(data + (0 .. len - 1), x);
    assigns x->lock, x->tab[0 .. x->nvec - 1], x->live[0 .. x->nvec - 1],
      x->pba[0 .. (x->nvec + 63) / 64 - 1], data[0 .. len - 1];
    ensures ok: pci_msix_ok(x);
*/
void pci_msix_table_io(struct pci_msix *x, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write);

/*@ requires ok: pci_msix_ok(x);
    requires data: \valid(data + (0 .. len - 1)) && \valid(data);
    requires sep: \separated(data + (0 .. len - 1), x);
    assigns x->lock, data[0 .. len - 1];
    ensures ok: pci_msix_ok(x);
*/
void pci_msix_pba_io(struct pci_msix *x, uint64_t off, uint8_t *data, uint32_t len,
		     bool is_write);

/*@ requires ok: pci_msix_ok(x);
    assigns x->lock, x->pba[0 .. (x->nvec + 63) / 64 - 1];
    ensures ok: pci_msix_ok(x);
    ensures result: \result == PCI_MSIX_OFF || \result == PCI_MSIX_SENT ||
      \result == PCI_MSIX_PENDING || \result == PCI_MSIX_DROPPED;
    ensures dropped: \result == PCI_MSIX_DROPPED <==> (x->enabled && vec >= x->nvec);
*/
enum pci_msix_result pci_msix_notify(struct pci_msix *x, unsigned vec);

/*@ requires ok: pci_msix_ok(x);
    assigns x->lock, x->enabled, x->fmask, x->live[0 .. x->nvec - 1],
      x->pba[0 .. (x->nvec + 63) / 64 - 1];
    ensures ok: pci_msix_ok(x);
*/
void pci_msix_cfg_written(struct pci_msix *x, unsigned reg, unsigned len);

/*@ requires ok: pci_msix_ok(x);
    assigns x->lock, \result \from x->enabled;
*/
bool pci_msix_enabled(struct pci_msix *x);
