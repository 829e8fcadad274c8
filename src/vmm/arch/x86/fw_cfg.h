/*
 * fw_cfg: QEMU's firmware configuration device, so that firmware and test
 * kernels written for QEMU's PC find their CPU count, RAM size, memory map,
 * ACPI tables, boot order and kernel the way they do there.
 *
 * The interface is the one QEMU documents in docs/specs/fw_cfg.rst
 * ("QEMU Firmware Configuration (fw_cfg) Device"), x86 port layout:
 *   0x510  selector, 16-bit write: the item to read; resets the offset
 *   0x511  data, 8-bit read: the next byte of the item (0 past its end);
 *          writes are ignored (read-only since QEMU 2.4)
 *   0x514  DMA address, big-endian: high half at 0x514, low half at 0x518
 *          (the low write starts the transfer); reads give "QEMU CFG"
 * A DMA transfer reads a struct FWCfgDmaAccess {be32 control, be32 length,
 * be64 address} from guest memory; control bit 3 selects item control>>16
 * first, bit 1 reads `length` bytes of it to `address`, bit 2 skips them,
 * bit 4 writes; on completion control is rewritten as 0, or bit 0 (error).
 *
 * Owns: the items (fixed keys and named files), the file directory item
 * (FW_CFG_FILE_DIR: be32 count, then per file be32 size, be16 select, be16
 * reserved, char name[56]), the selector/offset state shared by the data
 * port and DMA, and the DMA engine. Every item is read-only to the guest:
 * a DMA write sets the error bit. Guest offsets, lengths and addresses are
 * checked; DMA touches guest RAM only through gm_ptr().
 */
#ifndef FW_CFG_H
#define FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

#define FWCFG_PORT_BASE 0x510
#define FWCFG_PORT_LEN 12 /* selector 0x510, data 0x511, DMA 0x514-0x51b */

/* Item keys (fw_cfg.rst, "Selector Register"; QEMU's fw_cfg_keys.h). */
enum {
	FWCFG_SIGNATURE = 0x00,    /* "QEMU" */
	FWCFG_ID = 0x01,           /* le32 feature bits: 1 traditional, 2 DMA */
	FWCFG_UUID = 0x02,
	FWCFG_RAM_SIZE = 0x03,     /* le64 bytes of RAM */
	FWCFG_NOGRAPHIC = 0x04,
	FWCFG_NB_CPUS = 0x05,      /* le16 CPUs present at boot */
	FWCFG_KERNEL_ADDR = 0x07,
	FWCFG_KERNEL_SIZE = 0x08,  /* le32 */
	FWCFG_INITRD_SIZE = 0x0b,  /* le32 */
	FWCFG_BOOT_DEVICE = 0x0c,  /* le16 'c': the first disk */
	FWCFG_BOOT_MENU = 0x0e,
	FWCFG_MAX_CPUS = 0x0f,     /* le16 */
	FWCFG_KERNEL_DATA = 0x11,
	FWCFG_INITRD_DATA = 0x12,
	FWCFG_CMDLINE_SIZE = 0x14, /* le32, with the NUL */
	FWCFG_CMDLINE_DATA = 0x15,
	FWCFG_SETUP_SIZE = 0x17,   /* le32: a bzImage's real-mode part */
	FWCFG_SETUP_DATA = 0x18,
	FWCFG_FILE_DIR = 0x19,
	FWCFG_FILE_FIRST = 0x20,   /* files get keys from here, in order added */
	FWCFG_WRITE_CHANNEL = 0x4000, /* a selector bit; ignored: nothing is writable */
	FWCFG_ARCH_LOCAL = 0x8000,
};

#define FWCFG_ID_TRADITIONAL 0x1u
#define FWCFG_ID_DMA 0x2u

/* FWCfgDmaAccess.control bits. */
#define FWCFG_DMA_ERROR 0x01u
#define FWCFG_DMA_READ 0x02u
#define FWCFG_DMA_SKIP 0x04u
#define FWCFG_DMA_SELECT 0x08u
#define FWCFG_DMA_WRITE 0x10u

#define FWCFG_NAME_MAX 56 /* FWCfgFile.name, with the NUL */
#define FWCFG_MAX_ITEMS 64
#define FWCFG_MAX_FILES 32
/* What the DMA port reads as, byte by byte. */
#define FWCFG_DMA_SIGNATURE "QEMU CFG"

struct fwcfg_item {
	uint16_t key;
	uint32_t len;
	const uint8_t *data; /* NULL only when len is 0 */
	uint8_t *own;        /* our malloc'd copy (== data), or NULL when borrowed */
	char name[FWCFG_NAME_MAX]; /* "" for a fixed key */
};

struct fwcfg {
	pthread_mutex_t lock; /* the guest's state below: any vCPU may touch it */
	const struct guestmem *gm;
	struct fwcfg_item items[FWCFG_MAX_ITEMS];
	unsigned nitems, nfiles;
	int cur;        /* index of the selected item, -1 when none */
	uint32_t off;   /* offset in it */
	uint64_t dma_hi; /* high half written, waiting for the low one */
};

/* Starts with the signature, ID and an empty file directory. */
void fwcfg_init(struct fwcfg *f, const struct guestmem *gm);
void fwcfg_free(struct fwcfg *f);

/* Adds an item with a fixed key (copy: the data is copied; otherwise it
 * must outlive the device). Returns 0, or -1 when the key is taken, the
 * table is full or memory runs out: callers treat that as their bug. */
int fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, uint32_t len, bool copy);
int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v);
int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v);
int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v);
/* Adds a named file with the next file key and lists it in the
 * directory. Returns the key, or -1 (name too long or taken, full). */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len,
		   bool copy);
/* The item with `key`, or NULL. */
const struct fwcfg_item *fwcfg_find(const struct fwcfg *f, uint16_t key);

/* What a PC guest needs (see fwcfg_add_pc). Kernel and initrd are
 * borrowed and must outlive the device; kernel NULL for none. */
struct fwcfg_pc {
	unsigned ncpus, max_cpus;
	const uint8_t *kernel;
	size_t kernel_size;
	const uint8_t *initrd;
	size_t initrd_size;
	const char *cmdline;   /* NULL for none */
	const char *bootorder; /* "bootorder" file: OpenFirmware paths, one a line; NULL none */
};

/* Adds NB_CPUS, MAX_CPUS, RAM_SIZE, NOGRAPHIC, BOOT_DEVICE, BOOT_MENU,
 * etc/e820 (the RAM blocks, as QEMU lists them: le64 address, le64 length,
 * le32 type per entry), the ACPI tables through the table loader (etc/table-loader,
 * etc/acpi/tables, etc/acpi/rsdp: acpi_build_loader), bootorder, and the
 * kernel, initrd and command line items (a bzImage split into its setup
 * and the rest, as QEMU hands it to firmware that boots Linux itself).
 * Returns 0, or -1 with a message. */
int fwcfg_add_pc(struct fwcfg *f, const struct fwcfg_pc *pc, char *err, size_t errlen);

/* The port handler for [FWCFG_PORT_BASE, +FWCFG_PORT_LEN). */
void fwcfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
