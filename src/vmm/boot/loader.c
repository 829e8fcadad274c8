/*
 * loader: reading kernel files, and what the format loaders share.
 *
 * Owns: load_file() (a whole file into memory, with messages that name the
 * path and the reason) and the helpers the format loaders share (messages,
 * the command line, the zeroed boot pages). Which format an image is
 * (load_kernel) is the architecture's: arch/x86/x86load.c, with the formats
 * in elf64.c and arch/x86 (bzimage.c, multiboot.c, pvh.c); arm64's
 * Image loader is arch/arm64/image.c.
 */
#include "loader.h"
#include "loader_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvboot.h"

/* Larger than any kernel or initrd we expect, small enough that a wrong
 * path (a disk image, say) fails at once instead of eating host memory. */
#define LDR_FILE_MAX (512ull << 20)

int (ldr_err)(const struct load_request *req, char *err, size_t errlen,
	    const char *fmt, ...)
{
	if (!err || errlen == 0)
		return -1;
	size_t n = 0;
	if (req && req->kernel_name && req->kernel_name[0]) {
		int k = snprintf(err, errlen, "%s: ", req->kernel_name);
		if (k < 0)
			k = 0;
		n = (size_t)k < errlen ? (size_t)k : errlen - 1;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

int (ldr_err_ram)(const struct load_request *req, const struct guestmem *gm,
		const char *what, uint64_t gpa, uint64_t len, char *err, size_t errlen)
{
	unsigned long long have = gm->size >> 20;
	if (len > UINT64_MAX - gpa)
		return ldr_err(req, err, errlen,
			       "%s at 0x%llx (0x%llx bytes) runs past the end of the address space",
			       what, (unsigned long long)gpa, (unsigned long long)len);
	uint64_t end = gpa + len;
	if (gpa < GM_HIGH_BASE && end > GM_MMIO_BASE)
		return ldr_err(req, err, errlen,
			       "%s [0x%llx, 0x%llx) reaches into [3 GiB, 4 GiB), which is kept for "
			       "devices and has no RAM at any --mem size",
			       what, (unsigned long long)gpa, (unsigned long long)end);
	/* RAM needed so that `end` is backed: low RAM runs from 0 to 3 GiB,
	 * the rest is relocated above 4 GiB (guestmem.h). */
	uint64_t need = end <= GM_LOW_LIMIT ? end : GM_LOW_LIMIT + (end - GM_HIGH_BASE);
	unsigned long long need_mib = (need + LDR_MIB - 1) >> 20;
	if (need > GM_MAX_SIZE)
		return ldr_err(req, err, errlen,
			       "%s [0x%llx, 0x%llx) would need %llu MiB of guest RAM, more than "
			       "the %llu MiB maximum",
			       what, (unsigned long long)gpa, (unsigned long long)end, need_mib,
			       (unsigned long long)(GM_MAX_SIZE >> 20));
	return ldr_err(req, err, errlen,
		       "%s [0x%llx, 0x%llx) does not fit in the guest's %llu MiB of RAM; it "
		       "needs at least %llu MiB: use --mem %lluM or more",
		       what, (unsigned long long)gpa, (unsigned long long)end, have, need_mib,
		       need_mib);
}

int ldr_err_low(const struct load_request *req, const char *what, uint64_t gpa, uint64_t len,
		char *err, size_t errlen)
{
	return ldr_err(req, err, errlen,
		       "%s [0x%llx, +0x%llx) loads %s; an image may load from 0x%llx up to the "
		       "EBDA at 0x%llx, or at 1 MiB and above",
		       what, (unsigned long long)gpa, (unsigned long long)len,
		       gpa < LDR_LOW_MIN ? "into the first page (the real-mode interrupt table)"
					 : "into the EBDA and BIOS area, which holds the ACPI "
					   "tables and the reset vector",
		       (unsigned long long)LDR_LOW_MIN, (unsigned long long)GM_EBDA_START);
}

int64_t ldr_cmdline_check(const struct load_request *req, uint64_t max,
			  const char *limit_why, char *err, size_t errlen)
{
	size_t len = req->cmdline ? strlen(req->cmdline) : 0;
	if (max > HVBOOT_CMDLINE_MAX - 1) {
		max = HVBOOT_CMDLINE_MAX - 1;
		limit_why = "the monitor's command-line area";
	}
	if (len > max)
		return ldr_err(req, err, errlen,
			       "the command line is %zu bytes; at most %llu are allowed (%s)",
			       len, (unsigned long long)max, limit_why);
	return (int64_t)len;
}

int ldr_cmdline_put(const struct guestmem *gm, const struct load_request *req,
		    char *err, size_t errlen)
{
	const char *s = req->cmdline ? req->cmdline : "";
	size_t len = strlen(s);
	uint8_t *p = gm_ptr(gm, HVBOOT_CMDLINE, len + 1);
	if (!p)
		return ldr_err_ram(req, gm, "the command line", HVBOOT_CMDLINE, len + 1, err,
				   errlen);
	memcpy(p, s, len + 1);
	return 0;
}

uint8_t *ldr_boot_page(const struct guestmem *gm, const struct load_request *req,
		       uint64_t gpa, char *err, size_t errlen)
{
	uint8_t *p = gm_ptr(gm, gpa, LDR_PAGE);
	if (!p) {
		(void)ldr_err_ram(req, gm, "a boot structure", gpa, LDR_PAGE, err, errlen);
		return NULL;
	}
	memset(p, 0, LDR_PAGE);
	return p;
}

int load_file(const char *path, uint8_t **buf, size_t *size, char *err, size_t errlen)
{
	*buf = NULL;
	*size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(err, errlen, "%s: no such file", path);
		else
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a file", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "%s: the file is empty", path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > LDR_FILE_MAX) {
		snprintf(err, errlen, "%s: too large (%llu MiB; the limit is %llu MiB)", path,
			 (unsigned long long)st.st_size >> 20, LDR_FILE_MAX >> 20);
		goto fail;
	}
	size_t want = (size_t)st.st_size;
	uint8_t *p = malloc(want);
	if (!p) {
		snprintf(err, errlen, "%s: out of memory reading %zu bytes", path, want);
		goto fail;
	}
	size_t got = 0;
	while (got < want) {
		ssize_t r = read(fd, p + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
			free(p);
			goto fail;
		}
		if (r == 0)
			break; /* shrank while we read it: take what is there */
		got += (size_t)r;
	}
	if (got == 0) {
		snprintf(err, errlen, "%s: the file is empty", path);
		free(p);
		goto fail;
	}
	close(fd);
	*buf = p;
	*size = got;
	return 0;
fail:
	close(fd);
	return -1;
}
