/*
 * bzimage: loads a Linux x86 bzImage through the 64-bit boot protocol.
 *
 * Owns: checking the real-mode setup header, placing the protected-mode
 * kernel at 1 MiB and the initrd high in low RAM, and building the "zero
 * page" (struct boot_params) the kernel's 64-bit entry reads through RSI.
 * References are to the Linux boot protocol, Documentation/arch/x86/boot.rst
 * ("THE REAL-MODE KERNEL HEADER", "DETAILS OF HEADER FIELDS", "64-bit BOOT
 * PROTOCOL") and zero-page.rst for the boot_params offsets outside the
 * setup header.
 *
 * We never run the real-mode setup code: x86boot enters the kernel in long
 * mode at the 64-bit entry point, which lies 0x200 bytes into the
 * protected-mode kernel (xloadflags XLF_KERNEL_64).
 */
#include "loader.h"
#include "loader_priv.h"

#include <string.h>

#include "hvboot.h"

/* boot_params ("zero page") offsets outside the setup header. */
#define BZ_E820_ENTRIES 0x1e8    /* u8: entries used in e820_table */
#define BZ_E820_TABLE 0x2d0      /* struct boot_e820_entry[128] */
#define BZ_E820_MAX 128          /* E820_MAX_ENTRIES_ZEROPAGE */
#define BZ_E820_ENTRY_SIZE 20    /* packed: u64 addr, u64 size, u32 type */
_Static_assert(BZ_E820_TABLE + BZ_E820_MAX * BZ_E820_ENTRY_SIZE <= 0x1000, "e820_table in the zero page");

/* Setup header fields, at their offsets in the file and in boot_params. */
#define BZ_HDR_START 0x1f1       /* the setup header begins at setup_sects */
#define BZ_SETUP_SECTS 0x1f1     /* u8: 512-byte sectors of setup after the boot sector */
#define BZ_SYSSIZE 0x1f4         /* u32: protected-mode code, 16-byte units (2.04+) */
#define BZ_BOOT_FLAG 0x1fe       /* u16: 0xAA55 */
#define BZ_JUMP 0x200            /* u16: short jmp; its second byte gives the header end */
#define BZ_HEADER 0x202          /* u32: "HdrS" */
#define BZ_VERSION 0x206         /* u16: protocol version, major << 8 | minor */
#define BZ_TYPE_OF_LOADER 0x210  /* u8 */
#define BZ_LOADFLAGS 0x211       /* u8 */
#define BZ_RAMDISK_IMAGE 0x218   /* u32: initrd gpa */
#define BZ_RAMDISK_SIZE 0x21c    /* u32: initrd bytes */
#define BZ_HEAP_END_PTR 0x224    /* u16: end of setup heap, offset from the real-mode base */
#define BZ_CMD_LINE_PTR 0x228    /* u32: command line gpa (2.02+) */
#define BZ_INITRD_ADDR_MAX 0x22c /* u32: highest byte the initrd may occupy (2.03+) */
#define BZ_KERNEL_ALIGNMENT 0x230 /* u32: alignment a relocatable kernel runs at (2.05+) */
#define BZ_RELOCATABLE 0x234     /* u8: nonzero when the kernel can run anywhere (2.05+) */
#define BZ_XLOADFLAGS 0x236      /* u16 (2.12+) */
#define BZ_CMDLINE_SIZE 0x238    /* u32: longest command line, without the NUL (2.06+) */
#define BZ_PREF_ADDRESS 0x258    /* u64: preferred load address (2.10+) */
#define BZ_INIT_SIZE 0x260       /* u32: linear memory the kernel needs to boot (2.10+) */

#define BZ_BOOT_FLAG_MAGIC 0xaa55
#define BZ_MIN_VERSION 0x206     /* cmdline_size first appears here */
#define BZ_XLOADFLAGS_VERSION 0x20c
#define BZ_INIT_SIZE_VERSION 0x20a
#define BZ_DEFAULT_SETUP_SECTS 4 /* "if this field is 0, the real value is 4" */
#define BZ_SECTOR 512

#define BZ_LOADED_HIGH 0x01      /* loadflags bit 0: protected-mode code at 1 MiB */
#define BZ_CAN_USE_HEAP 0x80     /* loadflags bit 7: heap_end_ptr is valid */
#define BZ_XLF_KERNEL_64 0x0001  /* xloadflags bit 0: 64-bit entry at +0x200 */
#define BZ_LOADER_UNDEFINED 0xff /* type_of_loader: "undefined" boot loader */
#define BZ_HEAP_END 0xfe00       /* the value boot.rst suggests for a modern loader */

#define BZ_KERNEL_ADDR 0x100000ull /* where the protected-mode kernel goes */
#define BZ_ENTRY64_OFFSET 0x200    /* 64-bit entry, from the kernel's load address */

/* What the header says, gathered before anything is written to the guest. */
struct bz_hdr {
	uint16_t version;
	uint64_t hdr_end;     /* end of the setup header: 0x202 + jump displacement */
	uint64_t setup_size;  /* boot sector + setup sectors */
	uint64_t payload;     /* bytes of protected-mode kernel in the file */
	uint64_t runtime;     /* where the kernel runs once decompressed (see init_size) */
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint8_t loadflags;
};

/*
 * init_size counts from the kernel's runtime start address, not from where
 * we load it: boot.rst ("init_size") defines that start as pref_address for
 * a kernel that is not relocatable, else the load address raised to at
 * least pref_address and aligned up to kernel_alignment. A kernel does not
 * run below where we load it, so the start is never taken below 1 MiB.
 */
/*@ requires ldr_img_ok(im) && im->size >= BZ_INIT_SIZE + 4;
    requires \valid(h) && \separated(h, im);
    assigns im->oob, h->runtime;
    ensures im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> BZ_KERNEL_ADDR <= h->runtime <= GM_HIGH_BASE + GM_MAX_SIZE; */
static int bz_runtime_start(struct ldr_img *im, struct bz_hdr *h)
{
	uint64_t pref = ldr_read_u64(im, BZ_PREF_ADDRESS);
	uint64_t start = pref;
	if (ldr_read_u8(im, BZ_RELOCATABLE)) {
		uint64_t align = ldr_read_u32(im, BZ_KERNEL_ALIGNMENT);
		start = BZ_KERNEL_ADDR > pref ? BZ_KERNEL_ADDR : pref;
		if (align > 1) {
			if (start > UINT64_MAX - (align - 1))
				return -1;
			start = (start + align - 1) / align * align;
		}
	}
	if (start < BZ_KERNEL_ADDR)
		start = BZ_KERNEL_ADDR;
	/* Any address past the largest guest is refused; this also keeps
	 * start + init_size from overflowing. */
	if (start > GM_HIGH_BASE + GM_MAX_SIZE)
		return -1;
	h->runtime = start;
	return 0;
}

/* Whatever the image holds: every field read is inside it (`oob` stays
 * clear, so the guard at the end is never taken), and on success the
 * header's extents are inside the setup sectors and those inside the file. */
/*@ requires ldr_img_ok(im) && !im->oob;
    requires \valid(h) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(h, im, err + (0 .. errlen - 1));
    requires \separated(im, err + (0 .. errlen - 1));
    assigns im->oob, *h, err[0 .. errlen - 1];
    ensures fields: !im->oob;
    ensures \result == 0 || \result == -1;
    ensures header: \result == 0 ==> BZ_CMDLINE_SIZE + 4 <= h->hdr_end <= BZ_HEADER + 255;
    ensures setup: \result == 0 ==>
      2 * BZ_SECTOR <= h->setup_size < im->size;
    ensures payload: \result == 0 ==> h->payload == im->size - h->setup_size;
    ensures runtime: \result == 0 ==> BZ_KERNEL_ADDR <= h->runtime <= GM_HIGH_BASE + GM_MAX_SIZE; */
static int bz_parse(struct ldr_img *im, const struct load_request *req, struct bz_hdr *h,
		    char *err, size_t errlen)
{
	/* The fields up to and including the protocol version must exist to
	 * say anything else about the image. */
	if (!ldr_has(im, 0, BZ_VERSION + 2))
		return ldr_err(req, err, errlen,
			       "truncated: %zu bytes is too short for a bzImage setup header "
			       "(it ends past 0x%x)", im->size, BZ_VERSION + 2);
	if (ldr_read_u16(im, BZ_BOOT_FLAG) != BZ_BOOT_FLAG_MAGIC)
		return ldr_err(req, err, errlen,
			       "not a bzImage: no boot sector signature 0xAA55 at 0x%x (boot_flag)",
			       BZ_BOOT_FLAG);
	if (ldr_read_u32(im, BZ_HEADER) != LDR_HDRS_MAGIC)
		return ldr_err(req, err, errlen,
			       "not a bzImage: no setup header magic \"HdrS\" at 0x%x", BZ_HEADER);
	h->version = ldr_read_u16(im, BZ_VERSION);
	if (h->version < BZ_MIN_VERSION)
		return ldr_err(req, err, errlen,
			       "boot protocol %u.%02u is too old; 2.06 or later is needed (the "
			       "64-bit entry needs 2.12, Linux 3.8 or later)",
			       h->version >> 8, h->version & 0xff);

	/* The header's own length: the jump at 0x200 skips over it, so its
	 * displacement byte says where it ends. It must reach the last
	 * field this protocol version requires of us (cmdline_size). */
	h->hdr_end = BZ_HEADER + (uint64_t)ldr_read_u8(im, BZ_JUMP + 1);
	if (h->hdr_end < BZ_CMDLINE_SIZE + 4)
		return ldr_err(req, err, errlen,
			       "the setup header ends at 0x%llx, before cmdline_size (0x%x), which "
			       "protocol %u.%02u defines; the image is damaged",
			       (unsigned long long)h->hdr_end, BZ_CMDLINE_SIZE, h->version >> 8,
			       h->version & 0xff);

	unsigned sects = ldr_read_u8(im, BZ_SETUP_SECTS);
	if (sects == 0)
		sects = BZ_DEFAULT_SETUP_SECTS;
	h->setup_size = (uint64_t)(sects + 1) * BZ_SECTOR;
	/* The setup sectors hold the whole header (it ends by 0x301 < 1024). */
	if (im->size <= h->setup_size)
		return ldr_err(req, err, errlen,
			       "truncated: the file is %zu bytes but its %u setup sectors end at "
			       "%llu, so there is no protected-mode kernel",
			       im->size, sects, (unsigned long long)h->setup_size);
	h->payload = im->size - h->setup_size;
	/* syssize counts the protected-mode part in 16-byte units, rounded
	 * up, so the file may be up to 15 bytes shorter than it says. */
	uint64_t declared = (uint64_t)ldr_read_u32(im, BZ_SYSSIZE) * 16;
	if (declared > h->payload + 15)
		return ldr_err(req, err, errlen,
			       "truncated: syssize says the protected-mode kernel is %llu bytes, "
			       "the file holds %llu", (unsigned long long)declared,
			       (unsigned long long)h->payload);

	uint16_t xlf = h->version >= BZ_XLOADFLAGS_VERSION ? ldr_read_u16(im, BZ_XLOADFLAGS) : 0;
	if (!(xlf & BZ_XLF_KERNEL_64))
		return ldr_err(req, err, errlen,
			       "the kernel has no 64-bit entry point (xloadflags XLF_KERNEL_64, "
			       "boot protocol 2.12); this monitor boots 64-bit Linux only "
			       "(CONFIG_X86_64)");
	h->cmdline_size = ldr_read_u32(im, BZ_CMDLINE_SIZE);
	h->initrd_addr_max = ldr_read_u32(im, BZ_INITRD_ADDR_MAX);
	h->loadflags = ldr_read_u8(im, BZ_LOADFLAGS);
	h->init_size = 0;
	h->runtime = BZ_KERNEL_ADDR;
	if (h->version >= BZ_INIT_SIZE_VERSION && h->hdr_end >= BZ_INIT_SIZE + 4) {
		h->init_size = ldr_read_u32(im, BZ_INIT_SIZE);
		if (bz_runtime_start(im, h) < 0)
			return ldr_err(req, err, errlen,
				       "pref_address 0x%llx with kernel_alignment 0x%x puts the "
				       "kernel beyond any guest memory",
				       (unsigned long long)ldr_read_u64(im, BZ_PREF_ADDRESS),
				       ldr_read_u32(im, BZ_KERNEL_ALIGNMENT));
	}
	if (im->oob) /* not reachable after the checks above; kept as a guard */
		return ldr_err(req, err, errlen, "truncated setup header");
	return 0;
}

/* Finds the initrd's place: page aligned, as high as possible, wholly below
 * both initrd_addr_max (the highest byte it may occupy) and the end of low
 * RAM, and above kend, the end of all the kernel uses while it boots. */
/*@ requires gm_ok(gm) && \valid_read(req) && \valid_read(h) && \valid(addr);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(addr, gm, err + (0 .. errlen - 1));
    assigns *addr, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
static int bz_place_initrd(const struct guestmem *gm, const struct load_request *req,
			   const struct bz_hdr *h, uint64_t kend, uint64_t *addr,
			   char *err, size_t errlen)
{
	uint64_t size = req->initrd_size;
	uint64_t limit = (uint64_t)h->initrd_addr_max + 1;
	if (limit > gm->low_size)
		limit = gm->low_size;
	uint64_t floor = ldr_page_up(kend);
	if (size > UINT32_MAX || size > limit || floor == 0 ||
	    ((limit - size) & ~(LDR_PAGE - 1)) < floor)
		return ldr_err(req, err, errlen,
			       "the initrd (%llu bytes) does not fit between the kernel's end "
			       "(0x%llx) and 0x%llx, the lower of initrd_addr_max and the end of "
			       "low RAM; use a smaller initrd or more --mem",
			       (unsigned long long)size, (unsigned long long)floor,
			       (unsigned long long)limit);
	*addr = (limit - size) & ~(LDR_PAGE - 1);
	if (!gm_ptr(gm, *addr, size)) /* not reachable: the range is below low_size */
		return ldr_err_ram(req, gm, "the initrd", *addr, size, err, errlen);
	return 0;
}

/* Where load_bzimage copies to, found before anything is written. */
struct bz_dest {
	uint8_t *kdst;        /* the protected-mode kernel, at 1 MiB */
	uint8_t *idst;        /* the initrd, NULL without one */
	uint64_t initrd_addr; /* its guest-physical address */
};

/* Checks that the kernel, with all it uses while it boots, the command
 * line and the initrd fit, and finds where the kernel and the initrd go:
 * on success both are guest RAM, `payload` bytes for the kernel (what is
 * copied of the file) and `initrd_size` for the initrd. */
/*@ requires gm_ok(gm) && \valid_read(req) && \valid_read(h) && \valid(d);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires 0 < h->payload <= PTRDIFF_MAX;
    requires BZ_KERNEL_ADDR <= h->runtime <= GM_HIGH_BASE + GM_MAX_SIZE;
    requires \separated(d, h, gm, req, err + (0 .. errlen - 1));
    requires \separated(err + (0 .. errlen - 1), h, gm, req);
    assigns *d, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures kernel: \result == 0 ==>
      \valid(d->kdst + (0 .. h->payload - 1)) && gm_inside(gm, d->kdst, h->payload);
    ensures initrd: \result == 0 && d->idst != \null ==> req->initrd != \null &&
      0 < req->initrd_size &&
      \valid(d->idst + (0 .. req->initrd_size - 1)) &&
      gm_inside(gm, d->idst, req->initrd_size); */
static int bz_locate(const struct guestmem *gm, const struct load_request *req,
		     const struct bz_hdr *h, struct bz_dest *d, char *err, size_t errlen)
{
	d->kdst = NULL;
	d->idst = NULL;
	d->initrd_addr = 0;
	/* The kernel uses its image at 1 MiB and then [runtime, runtime +
	 * init_size) to decompress and boot: all of it must be RAM, in one
	 * piece from 1 MiB since the kernel has no memory map yet. */
	uint64_t kend = BZ_KERNEL_ADDR + h->payload;
	if (h->runtime + h->init_size > kend)
		kend = h->runtime + h->init_size;
	d->kdst = gm_ptr(gm, BZ_KERNEL_ADDR, kend - BZ_KERNEL_ADDR);
	if (!d->kdst)
		return ldr_err_ram(req, gm, "the kernel (with the init_size it needs to boot)",
				   BZ_KERNEL_ADDR, kend - BZ_KERNEL_ADDR, err, errlen);
	if (ldr_cmdline_check(req, h->cmdline_size, "the kernel's cmdline_size", err,
			      errlen) < 0)
		return -1;
	if (req->initrd) {
		if (req->initrd_size == 0)
			return ldr_err(req, err, errlen, "the initrd is empty");
		if (bz_place_initrd(gm, req, h, kend, &d->initrd_addr, err, errlen) < 0)
			return -1;
		d->idst = gm_ptr(gm, d->initrd_addr, req->initrd_size);
	}
	return 0;
}

/* Writes the guest: the zero page (the image's setup header, the
 * loader's own fields, the E820 map), the initrd (to d->idst) and the
 * protected-mode kernel (to d->kdst: the rest of the image after the
 * setup sectors). Reads only the image `img` and the initrd, writes only
 * zp's page and the places bz_locate found, all guest RAM. */
/*@ requires gm_ok(gm) && \valid_read(req) && \valid_read(h) && \valid_read(d);
    requires BZ_CMDLINE_SIZE + 4 <= h->hdr_end <= BZ_HEADER + 255 < h->setup_size;
    requires 0 < h->payload && h->setup_size + h->payload <= PTRDIFF_MAX;
    requires \valid_read(img + (0 .. h->setup_size + h->payload - 1));
    requires \valid(d->kdst + (0 .. h->payload - 1)) && gm_inside(gm, d->kdst, h->payload);
    requires \valid(zp + (0 .. LDR_PAGE - 1)) && gm_inside(gm, zp, LDR_PAGE);
    requires d->idst != \null ==> req->initrd != \null && 0 < req->initrd_size &&
      \valid(d->idst + (0 .. req->initrd_size - 1)) &&
      gm_inside(gm, d->idst, req->initrd_size) &&
      \valid_read(req->initrd + (0 .. req->initrd_size - 1));
    requires \separated(gm->host + (0 .. gm->size - 1),
                        img + (0 .. h->setup_size + h->payload - 1),
                        req->initrd + (0 .. req->initrd_size - 1), gm, req, h, d);
    assigns gm->host[0 .. gm->size - 1]; */
static void bz_write(const struct guestmem *gm, const struct load_request *req,
		     const struct bz_hdr *h, const struct bz_dest *d, const uint8_t *img,
		     uint8_t *zp)
{
	/* Read before the page is written (the proof then need not show
	 * that the writes leave them alone). */
	uint8_t *idst = d->idst;
	const uint8_t *isrc = req->initrd;
	uint64_t isize = req->initrd_size;
	uint64_t iaddr = d->initrd_addr;
	uint8_t *kdst = d->kdst;
	uint64_t setup_size = h->setup_size, payload = h->payload;
	/* The setup header goes into the zero page as the image has it; the
	 * loader then fills in its own fields ("DETAILS OF HEADER FIELDS"
	 * marks which are ours to write). hdr_end <= 0x301, inside both the
	 * page and the setup sectors. */
	memcpy(zp + BZ_HDR_START, img + BZ_HDR_START, h->hdr_end - BZ_HDR_START);
	/* (A header claiming to be longer than struct setup_header can reach
	 * into e820_table at 0x2d0; the table is written below, after it.) */
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	/* Keep the image's flags (QUIET_FLAG is the user's choice, made at
	 * build time); the kernel is where LOADED_HIGH says, and the heap
	 * end below is valid. */
	zp[BZ_LOADFLAGS] = h->loadflags | BZ_LOADED_HIGH | BZ_CAN_USE_HEAP;
	ldr_put_u16(zp + BZ_HEAP_END_PTR, BZ_HEAP_END);
	ldr_put_u32(zp + BZ_CMD_LINE_PTR, (uint32_t)HVBOOT_CMDLINE);
	/* ramdisk_image/ramdisk_size stay 0 (zeroed page) without an initrd. */
	if (idst) {
		ldr_put_u32(zp + BZ_RAMDISK_IMAGE, (uint32_t)iaddr);
		ldr_put_u32(zp + BZ_RAMDISK_SIZE, (uint32_t)isize);
		memcpy(idst, isrc, isize);
	}
	zp[BZ_E820_ENTRIES] =
		(uint8_t)ldr_put_e820(gm, zp + BZ_E820_TABLE, BZ_E820_MAX, BZ_E820_ENTRY_SIZE);
	/* The protected-mode kernel: the rest of the file after the setup
	 * sectors (bz_parse: payload == size - setup_size). */
	memcpy(kdst, img + setup_size, payload);
}

int load_bzimage(const struct guestmem *gm, const struct load_request *req,
		 struct boot_entry *out, char *err, size_t errlen)
{
	struct ldr_img im = { req->kernel, req->kernel_size, 0 };
	struct bz_hdr h = {0};
	if (!im.data)
		im.size = 0;
	if (bz_parse(&im, req, &h, err, errlen) < 0)
		return -1;

	/* Everything is checked before anything is written. */
	struct bz_dest d;
	if (bz_locate(gm, req, &h, &d, err, errlen) < 0)
		return -1;
	uint8_t *zp = ldr_boot_page(gm, req, HVBOOT_INFO, err, errlen);
	if (!zp || ldr_cmdline_put(gm, req, err, errlen) < 0)
		return -1;
	bz_write(gm, req, &h, &d, im.data, zp);

	out->mode = BOOT_LINUX64;
	out->entry = BZ_KERNEL_ADDR + BZ_ENTRY64_OFFSET;
	out->info = HVBOOT_INFO;
	out->stack = 0;
	return 0;
}
