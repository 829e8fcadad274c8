/* fw_cfg: QEMU's firmware configuration device (see fw_cfg.h). */
#include "fw_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int find_index(const struct fwcfg *f, uint16_t key)
{
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return (int)i;
	return -1;
}

static struct fwcfg_item *find(struct fwcfg *f, uint16_t key)
{
	int i = find_index(f, key);
	return i < 0 ? NULL : &f->items[i];
}

const struct fwcfg_item *fwcfg_find(const struct fwcfg *f, uint16_t key)
{
	int i = find_index(f, key);
	return i < 0 ? NULL : &f->items[i];
}

/* Adds or replaces an item; data is copied when `copy`. */
static int set_item(struct fwcfg *f, uint16_t key, const char *name, const void *data,
		    uint32_t len, bool copy)
{
	struct fwcfg_item *it = find(f, key);
	if (!it) {
		if (f->nitems == FWCFG_MAX_ITEMS)
			return -1;
		it = &f->items[f->nitems++];
		memset(it, 0, sizeof(*it));
		it->key = key;
	} else {
		free(it->own);
	}
	it->data = it->own = NULL;
	it->len = 0;
	if (len) {
		if (copy) {
			uint8_t *p = malloc(len);
			if (!p)
				return -1;
			memcpy(p, data, len);
			it->data = it->own = p;
		} else {
			it->data = data;
		}
		it->len = len;
	}
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "");
	return 0;
}

/* The directory (fw_cfg.rst, "File Directory"): be32 count, then one
 * 64-byte FWCfgFile per file, big-endian like the count. */
static int rebuild_dir(struct fwcfg *f)
{
	uint32_t len = 4 + f->nfiles * 64;
	uint8_t *d = calloc(1, len);
	if (!d)
		return -1;
	put_be(d, f->nfiles, 4);
	uint8_t *e = d + 4;
	for (unsigned i = 0; i < f->nitems; i++) {
		const struct fwcfg_item *it = &f->items[i];
		if (!it->name[0])
			continue;
		put_be(e, it->len, 4);
		put_be(e + 4, it->key, 2);
		memcpy(e + 8, it->name, strlen(it->name));
		e += 64;
	}
	struct fwcfg_item *dir = find(f, FWCFG_FILE_DIR);
	if (dir)
		free(dir->own);
	if (!dir) {
		if (f->nitems == FWCFG_MAX_ITEMS) {
			free(d);
			return -1;
		}
		dir = &f->items[f->nitems++];
		memset(dir, 0, sizeof(*dir));
		dir->key = FWCFG_FILE_DIR;
	}
	dir->data = dir->own = d;
	dir->len = len;
	return 0;
}

void fwcfg_init(struct fwcfg *f, const struct guestmem *gm)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->gm = gm;
	f->cur = -1;
	uint8_t id[4];
	put_le(id, FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA, 4);
	/* Three items in an empty table and a 4-byte directory: cannot fail
	 * unless malloc does, and then the device answers with no items. */
	if (set_item(f, FWCFG_SIGNATURE, NULL, "QEMU", 4, false) ||
	    set_item(f, FWCFG_ID, NULL, id, 4, true) || rebuild_dir(f))
		fprintf(stderr, "vmm: fw_cfg: out of memory\n");
}

void fwcfg_free(struct fwcfg *f)
{
	for (unsigned i = 0; i < f->nitems; i++)
		free(f->items[i].own);
	f->nitems = f->nfiles = 0;
	pthread_mutex_destroy(&f->lock);
}

int fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, uint32_t len, bool copy)
{
	if (key >= FWCFG_FILE_FIRST && key < FWCFG_ARCH_LOCAL)
		return -1; /* the file keys are handed out by fwcfg_add_file */
	if (key == FWCFG_FILE_DIR || find(f, key))
		return -1;
	return set_item(f, key, NULL, data, len, copy);
}

int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2];
	put_le(b, v, 2);
	return fwcfg_add(f, key, b, 2, true);
}

int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	put_le(b, v, 4);
	return fwcfg_add(f, key, b, 4, true);
}

int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	put_le(b, v, 8);
	return fwcfg_add(f, key, b, 8, true);
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len, bool copy)
{
	size_t n = strlen(name);
	if (n == 0 || n >= FWCFG_NAME_MAX || f->nfiles == FWCFG_MAX_FILES)
		return -1;
	for (unsigned i = 0; i < f->nitems; i++)
		if (!strcmp(f->items[i].name, name))
			return -1;
	uint16_t key = (uint16_t)(FWCFG_FILE_FIRST + f->nfiles);
	if (set_item(f, key, name, data, len, copy))
		return -1;
	f->nfiles++;
	if (rebuild_dir(f)) {
		f->nfiles--;
		return -1;
	}
	return key;
}

/* ---- the guest's side --------------------------------------------------
 *
 * The selector picks an item by key; the write-channel bit (0x4000) is
 * ignored, since no item takes writes, so key & ~0x4000 is looked up (the
 * arch-local bit 0x8000 stays part of the key). An unknown key selects
 * nothing: the data port then reads 0, a DMA read zero-fills, as QEMU
 * answers for a missing item. Called with the lock held. */
static void select_key(struct fwcfg *f, uint16_t key)
{
	key &= (uint16_t)~FWCFG_WRITE_CHANNEL;
	f->cur = -1;
	f->off = 0;
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->items[i].key == key) {
			f->cur = (int)i;
			break;
		}
}

static uint8_t data_read(struct fwcfg *f)
{
	if (f->cur < 0)
		return 0;
	const struct fwcfg_item *it = &f->items[f->cur];
	if (f->off >= it->len)
		return 0;
	return it->data[f->off++];
}

/*
 * One DMA transfer (fw_cfg.rst, "DMA interface"). The access structure is
 * read from guest RAM; read takes precedence over write, write over skip
 * (as QEMU orders them); with none of the three only a select happens.
 * The transfer walks the selected item from the current offset: bytes
 * past its end read as zeros and do not move the offset. A write, or a
 * destination that is not guest RAM, stops it with the error bit, leaving
 * the offset where it got to. The structure's control word is rewritten
 * as 0 or FWCFG_DMA_ERROR. A structure that is not in RAM gets no answer:
 * there is nowhere to put one. Called with the lock held.
 */
static void dma_transfer(struct fwcfg *f, uint64_t addr)
{
	uint8_t *acc = gm_ptr(f->gm, addr, 16);
	if (!acc)
		return;
	uint32_t control = (uint32_t)get_be(acc, 4);
	uint32_t len = (uint32_t)get_be(acc + 4, 4);
	uint64_t dst = get_be(acc + 8, 8);
	bool error = false, rd = false;
	if (control & FWCFG_DMA_SELECT)
		select_key(f, (uint16_t)(control >> 16));
	if (control & FWCFG_DMA_READ)
		rd = true;
	else if (control & FWCFG_DMA_WRITE)
		error = len != 0; /* every item is read-only */
	else if (!(control & FWCFG_DMA_SKIP))
		len = 0;
	while (len && !error) {
		const struct fwcfg_item *it = f->cur >= 0 ? &f->items[f->cur] : NULL;
		uint32_t avail = it && f->off < it->len ? it->len - f->off : 0;
		uint32_t n = avail && avail < len ? avail : len;
		if (rd) {
			uint8_t *p = gm_ptr(f->gm, dst, n);
			if (!p) {
				error = true;
				break;
			}
			if (avail)
				memcpy(p, it->data + f->off, n);
			else
				memset(p, 0, n);
		}
		if (avail)
			f->off += n;
		dst += n;
		len -= n;
	}
	/* The transfer may have overwritten the structure itself (the guest
	 * asked for it); the control word goes where the guest will look. */
	put_be(acc, error ? FWCFG_DMA_ERROR : 0, 4);
}

/* Register offsets in our port range. */
enum { REG_SELECTOR = 0, REG_DATA = 1, REG_DMA = 4, REG_DMA_LO = 8 };

void fwcfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct fwcfg *f = opaque;
	if (!is_write) {
		memset(data, 0xff, len); /* what no register answers */
		if (offset == REG_DATA && len == 1) {
			pthread_mutex_lock(&f->lock);
			data[0] = data_read(f);
			pthread_mutex_unlock(&f->lock);
		} else if (offset >= REG_DMA && offset - REG_DMA + len <= 8) {
			memcpy(data, &FWCFG_DMA_SIGNATURE[offset - REG_DMA], len);
		}
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (offset == REG_SELECTOR && len == 2) {
		select_key(f, (uint16_t)(data[0] | data[1] << 8));
	} else if (offset == REG_DMA && len == 4) {
		f->dma_hi = get_be(data, 4) << 32;
	} else if (offset == REG_DMA_LO && len == 4) {
		uint64_t addr = f->dma_hi | get_be(data, 4);
		f->dma_hi = 0; /* the next transfer starts from a 32-bit address */
		dma_transfer(f, addr);
	}
	/* Data port writes and other widths: ignored. */
	pthread_mutex_unlock(&f->lock);
}

/* ---- the PC's items ---------------------------------------------------- */

/* A bzImage's real-mode part: (setup_sects + 1) sectors, 4 when the field
 * is 0 (Linux boot protocol, "setup_sects"). 0 when not a bzImage. */
static uint32_t bzimage_setup_size(const uint8_t *k, size_t size)
{
	if (size < 0x206 || memcmp(k + 0x202, "HdrS", 4) != 0)
		return 0;
	uint32_t sects = k[0x1f1] ? k[0x1f1] : 4;
	uint32_t setup = (sects + 1) * 512;
	return setup < size ? setup : 0;
}

int fwcfg_add_pc(struct fwcfg *f, const struct fwcfg_pc *pc, char *err, size_t errlen)
{
	int bad = 0;
	bad |= fwcfg_add_u16(f, FWCFG_NB_CPUS, (uint16_t)pc->ncpus);
	bad |= fwcfg_add_u16(f, FWCFG_MAX_CPUS, (uint16_t)pc->max_cpus);
	bad |= fwcfg_add_u64(f, FWCFG_RAM_SIZE, f->gm->size);
	bad |= fwcfg_add_u16(f, FWCFG_NOGRAPHIC, 1);
	bad |= fwcfg_add_u16(f, FWCFG_BOOT_DEVICE, 'c');
	bad |= fwcfg_add_u16(f, FWCFG_BOOT_MENU, 0);

	/* etc/e820 lists the RAM blocks as QEMU's does, the legacy hole
	 * included: firmware reserves its own areas in the map it gives the
	 * OS (a direct boot gets gm_e820's map, with the hole). */
	const struct e820_entry ram[2] = {
		{0, f->gm->low_size, E820_RAM},
		{GM_HIGH_BASE, f->gm->size - f->gm->low_size, E820_RAM},
	};
	uint8_t e820[2 * 20];
	size_t n = ram[1].size ? 2 : 1;
	for (size_t i = 0; i < n; i++) {
		put_le(e820 + i * 20, ram[i].addr, 8);
		put_le(e820 + i * 20 + 8, ram[i].size, 8);
		put_le(e820 + i * 20 + 16, ram[i].type, 4);
	}
	bad |= fwcfg_add_file(f, "etc/e820", e820, (uint32_t)(n * 20), true) < 0;

	struct acpi_loader l;
	if (acpi_build_loader(pc->ncpus, &l)) {
		snprintf(err, errlen, "fw_cfg: out of memory building the ACPI tables");
		return -1;
	}
	bad |= fwcfg_add_file(f, ACPI_RSDP_FILE, l.rsdp, l.rsdp_len, true) < 0;
	bad |= fwcfg_add_file(f, ACPI_TABLES_FILE, l.tables, l.tables_len, true) < 0;
	bad |= fwcfg_add_file(f, ACPI_LOADER_FILE, l.cmds, l.cmds_len, true) < 0;
	acpi_loader_free(&l);
	if (pc->bootorder && pc->bootorder[0])
		bad |= fwcfg_add_file(f, "bootorder", pc->bootorder,
				      (uint32_t)strlen(pc->bootorder) + 1, true) < 0;

	/* The kernel as QEMU's -kernel hands it to firmware that loads it
	 * itself (its linuxboot option ROM, OVMF): a bzImage split into the
	 * setup and the protected-mode part, any other image whole. The
	 * loader has checked sizes (at most 512 MiB each). */
	if (pc->kernel && pc->kernel_size <= UINT32_MAX) {
		uint32_t setup = bzimage_setup_size(pc->kernel, pc->kernel_size);
		uint32_t rest = (uint32_t)pc->kernel_size - setup;
		bad |= fwcfg_add_u32(f, FWCFG_SETUP_SIZE, setup);
		bad |= fwcfg_add(f, FWCFG_SETUP_DATA, pc->kernel, setup, false);
		bad |= fwcfg_add_u32(f, FWCFG_KERNEL_SIZE, rest);
		bad |= fwcfg_add(f, FWCFG_KERNEL_DATA, pc->kernel + setup, rest, false);
		uint32_t isize = pc->initrd && pc->initrd_size <= UINT32_MAX ?
				 (uint32_t)pc->initrd_size : 0;
		bad |= fwcfg_add_u32(f, FWCFG_INITRD_SIZE, isize);
		bad |= fwcfg_add(f, FWCFG_INITRD_DATA, pc->initrd, isize, false);
		const char *cl = pc->cmdline ? pc->cmdline : "";
		uint32_t clen = (uint32_t)strlen(cl) + 1;
		bad |= fwcfg_add_u32(f, FWCFG_CMDLINE_SIZE, clen);
		bad |= fwcfg_add(f, FWCFG_CMDLINE_DATA, cl, clen, true);
	}
	if (bad) {
		snprintf(err, errlen, "fw_cfg: cannot add the PC's items (out of memory or a "
				      "table too small)");
		return -1;
	}
	return 0;
}
