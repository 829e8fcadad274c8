/*
 * loader: puts a guest kernel image into guest RAM and says how to enter it.
 *
 * Owns: recognising the image format, checking it, copying it (and an
 * initrd and the command line) into guest RAM through gm_ptr(), and writing
 * the boot block the format defines (Linux boot_params, multiboot info, or
 * struct hvboot_info). It does not touch vCPU state: x86boot does that from
 * the struct boot_entry returned here.
 *
 * Every loader treats the image as hostile: each offset and size read from
 * it is bounds-checked against the file and against guest RAM before use,
 * and a bad image yields -1 and a message naming what is wrong, never a
 * crash. Each loader has a fuzz target (tests/fuzz/).
 */
#ifndef LOADER_H
#define LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

enum boot_mode {
	BOOT_LINUX64,     /* x86 boot protocol, 64-bit entry (RSI = boot_params) */
	BOOT_ELF64,       /* our ELF64 guests (RDI = struct hvboot_info) */
	BOOT_MULTIBOOT32, /* multiboot v1: 32-bit protected mode, EAX/EBX per spec */
	BOOT_PVH32,       /* PVH: 32-bit protected mode, EBX = start info (pvh.h) */
};

/* Which entry an ELF image that offers several is booted through (vmm run
 * --boot). BOOT_AUTO: a bzImage or multiboot kernel as such; an ELF with
 * the PVH note through PVH unless it also carries the hvboot note
 * (hvboot.h), which asks for our ELF64 entry; any other ELF64 through our
 * entry. The others force one entry and refuse an image without it. */
enum boot_choice {
	BOOT_AUTO = 0,
	BOOT_FORCE_PVH,
	BOOT_FORCE_HVBOOT,
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t entry;  /* initial RIP (EIP for multiboot) */
	uint64_t info;   /* gpa of the boot block: RSI, RDI or EBX by mode */
	uint64_t stack;  /* initial RSP, 0 when the protocol sets none */
};

struct load_request {
	const uint8_t *kernel;
	size_t kernel_size;
	const uint8_t *initrd; /* NULL when none */
	size_t initrd_size;
	const char *cmdline;   /* never NULL; "" for none */
	const char *kernel_name; /* for messages */
	uint64_t tsc_khz;      /* handed to ELF64 guests */
	uint32_t ncpus;
	enum boot_choice boot;
};

/* Recognises the format (bzImage, then multiboot, then ELF64) and loads it.
 * Returns 0 and fills *out, or -1 with a message in err ("what is wrong and
 * what to do", without a trailing newline). */
int load_kernel(const struct guestmem *gm, const struct load_request *req,
		struct boot_entry *out, char *err, size_t errlen);

/* The format loaders, for tests and fuzzing. Each returns as load_kernel. */
int load_bzimage(const struct guestmem *gm, const struct load_request *req,
		 struct boot_entry *out, char *err, size_t errlen);
int load_multiboot(const struct guestmem *gm, const struct load_request *req,
		   struct boot_entry *out, char *err, size_t errlen);
int load_elf64(const struct guestmem *gm, const struct load_request *req,
	       struct boot_entry *out, char *err, size_t errlen);
int load_pvh(const struct guestmem *gm, const struct load_request *req,
	     struct boot_entry *out, char *err, size_t errlen);

/* What an ELF image's notes (its PT_NOTE segments) say about booting it. */
struct elf_notes {
	int pvh;            /* the PVH entry note is present */
	uint64_t pvh_entry; /* its 32-bit physical entry address */
	int hvboot;         /* the hvboot note is present (our ELF64 entry) */
};

/* Reads the notes of the ELF image at data (either class). Returns 0 with
 * *out filled (all zero for an ELF without notes, or a file that is not
 * ELF), or -1 with a message in err when a note or program header that
 * matters is malformed. */
int elf_read_notes(const uint8_t *data, size_t size, struct elf_notes *out, char *err,
		   size_t errlen);

/* Reads a whole file into a malloc'd buffer. Returns 0, or -1 with a
 * message in err naming the path and the reason. */
int load_file(const char *path, uint8_t **buf, size_t *size, char *err,
	      size_t errlen);

#endif
