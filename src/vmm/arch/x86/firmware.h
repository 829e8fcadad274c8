/*
 * firmware: boot through PC firmware (`vmm run --firmware FILE`, SeaBIOS
 * from Debian's `seabios` package) instead of loading a kernel ourselves.
 *
 * Owns: reading and checking the image, its place in the guest-physical
 * space, the fw_cfg files only firmware reads, and the firmware's debug
 * console port.
 *
 * Placement, as on a PC: the image is flash mapped read-only so that it
 * ends at 4 GiB, where the CPU's first fetch after RESET is (0xfffffff0,
 * Intel SDM vol. 3A sec. 9.1.4), and its last bytes also appear below
 * 1 MiB, where the reset vector's far jump into segment F000 lands. A PC
 * aliases the last 128 KiB at 0xe0000 and lets the firmware copy itself
 * into the RAM behind 0xc0000-0xfffff ("shadowing", through the chipset's
 * PAM registers, which our host bridge does not have). We start in the
 * state that copy leaves: the image's last min(size, 256 KiB) bytes in RAM
 * ending at 1 MiB. SeaBIOS's runtime code is linked at exactly those
 * addresses (its flash copy sits 0xfff00000 above them); it finds no
 * i440FX/Q35 bridge to unlock, says so on its debug port, and runs from
 * that RAM. The region stays writable afterwards (there is no PAM to lock
 * it): a guest that writes into its own BIOS changes it.
 *
 * The debug console: SeaBIOS (and OVMF) write their log to port 0x402 when
 * a read of it returns 0xe9 (QEMU's debugcon "readback"). With
 * --firmware-log PATH the port reads 0xe9 and the bytes go to PATH, at
 * most FIRMWARE_LOG_MAX of them; without it the port reads 0, so the
 * firmware leaves it alone and costs no exit per character.
 */
#ifndef FIRMWARE_H
#define FIRMWARE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_cfg.h"
#include "guestmem.h"

#define FIRMWARE_TOP 0x100000000ull
/* Flash is sized in 64 KiB blocks; 16 MiB is the most the PC's BIOS window
 * below 4 GiB offers (QEMU's limit too): from 0xff000000 up, above the
 * IOAPIC, the LAPIC and KVM's own pages (kvm.c). */
#define FIRMWARE_ALIGN 0x10000ull
#define FIRMWARE_MAX_SIZE (16ull << 20)
/* The shadowed copy below 1 MiB: 0xc0000-0xfffff at most. */
#define FIRMWARE_LOW_END 0x100000ull
#define FIRMWARE_LOW_MAX 0x40000ull
#define FIRMWARE_DEBUG_PORT 0x402
#define FIRMWARE_DEBUG_READBACK 0xe9
#define FIRMWARE_LOG_MAX (4u << 20)

struct firmware {
	uint8_t *image; /* page-aligned private copy of the file, `size` bytes */
	uint64_t size;
	uint64_t base;  /* guest-physical: FIRMWARE_TOP - size */
	const char *path;
	int log_fd;     /* --firmware-log, or -1 */
	pthread_mutex_t log_lock;
	uint64_t logged, dropped;
};

/* Checks that `size` bytes can be firmware flash: a non-zero multiple of
 * 64 KiB, at most FIRMWARE_MAX_SIZE. Returns 0, or -1 with a message
 * naming `path`. */
int firmware_check_size(const char *path, uint64_t size, char *err, size_t errlen);

/* Reads and checks the image at `path` (a regular file), and opens
 * `log_path` (NULL: none) for the debug console. Returns 0, or -1 with a
 * message naming the file. */
int firmware_load(struct firmware *fw, const char *path, const char *log_path, char *err,
		  size_t errlen);
void firmware_free(struct firmware *fw);

/* Copies the image's tail into RAM below 1 MiB (the shadow above).
 * Returns 0, or -1 with a message when RAM does not reach 1 MiB. */
int firmware_place(const struct firmware *fw, const struct guestmem *gm, char *err,
		   size_t errlen);

/* The fw_cfg files that only firmware reads: etc/sercon-port (SeaBIOS
 * then mirrors its int 10h text output on COM1, as with QEMU's
 * -nographic), etc/show-boot-menu 0 (no "Press ESC" pause). Returns 0,
 * or -1 when fw_cfg is full. */
int firmware_add_fwcfg(struct fwcfg *f);

/* The debug console's port handler (opaque: struct firmware). */
void firmware_debug_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

#endif
