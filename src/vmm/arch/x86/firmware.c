/* firmware: the firmware image, its placement, its fw_cfg files and its
 * debug console (firmware.h). */
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uart16550.h"

int firmware_check_size(const char *path, uint64_t size, char *err, size_t errlen)
{
	if (size == 0 || size % FIRMWARE_ALIGN) {
		snprintf(err, errlen,
			 "--firmware %s: size %" PRIu64 " is not a non-zero multiple of 64 KiB "
			 "(firmware flash comes in 64 KiB blocks)",
			 path, size);
		return -1;
	}
	if (size > FIRMWARE_MAX_SIZE) {
		snprintf(err, errlen,
			 "--firmware %s: size %" PRIu64 " is over the %llu MiB below 4 GiB that "
			 "PC firmware may take",
			 path, size, FIRMWARE_MAX_SIZE >> 20);
		return -1;
	}
	return 0;
}

static int read_all(int fd, uint8_t *buf, uint64_t size)
{
	uint64_t done = 0;
	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (uint64_t)n;
	}
	return 0;
}

int firmware_load(struct firmware *fw, const char *path, const char *log_path, char *err,
		  size_t errlen)
{
	memset(fw, 0, sizeof(*fw));
	fw->log_fd = -1;
	fw->image = MAP_FAILED;
	fw->path = path;
	pthread_mutex_init(&fw->log_lock, NULL);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "--firmware %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--firmware %s: not a regular file", path);
		goto fail;
	}
	if (firmware_check_size(path, (uint64_t)st.st_size, err, errlen))
		goto fail;
	fw->size = (uint64_t)st.st_size;
	fw->base = FIRMWARE_TOP - fw->size;
	/* A private anonymous copy: KVM maps it read-only, and a file that
	 * changes under us cannot change the guest's flash. */
	fw->image = mmap(NULL, fw->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fw->image == MAP_FAILED) {
		snprintf(err, errlen, "--firmware %s: cannot map %" PRIu64 " bytes: %s", path,
			 fw->size, strerror(errno));
		goto fail;
	}
	if (read_all(fd, fw->image, fw->size)) {
		snprintf(err, errlen, "--firmware %s: short read: %s", path,
			 errno ? strerror(errno) : "the file shrank");
		goto fail;
	}
	close(fd);
	fd = -1;
	if (log_path) {
		fw->log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fw->log_fd < 0 || fstat(fw->log_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "--firmware-log %s: %s", log_path,
				 fw->log_fd < 0 ? strerror(errno) : "not a regular file");
			goto fail;
		}
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	firmware_free(fw);
	return -1;
}

void firmware_free(struct firmware *fw)
{
	if (fw->image && fw->image != MAP_FAILED)
		munmap(fw->image, fw->size);
	fw->image = MAP_FAILED;
	if (fw->log_fd >= 0) {
		if (fw->dropped)
			fprintf(stderr, "vmm: --firmware-log: %" PRIu64 " bytes over the %u MiB limit "
					"were dropped\n", fw->dropped, FIRMWARE_LOG_MAX >> 20);
		close(fw->log_fd);
	}
	fw->log_fd = -1;
}

int firmware_place(const struct firmware *fw, const struct guestmem *gm, char *err, size_t errlen)
{
	uint64_t n = fw->size < FIRMWARE_LOW_MAX ? fw->size : FIRMWARE_LOW_MAX;
	uint8_t *low = gm_ptr(gm, FIRMWARE_LOW_END - n, n);
	if (!low) {
		snprintf(err, errlen, "--firmware: guest RAM must reach 1 MiB");
		return -1;
	}
	memcpy(low, fw->image + fw->size - n, n);
	return 0;
}

int firmware_add_fwcfg(struct fwcfg *f)
{
	/* Little-endian integers: SeaBIOS's romfile_loadint takes 1 to 8
	 * bytes. */
	const uint8_t sercon[2] = {(uint8_t)UART_COM1_BASE, (uint8_t)(UART_COM1_BASE >> 8)};
	const uint8_t nomenu[2] = {0, 0};
	if (fwcfg_add_file(f, "etc/sercon-port", sercon, sizeof(sercon), true) < 0 ||
	    fwcfg_add_file(f, "etc/show-boot-menu", nomenu, sizeof(nomenu), true) < 0)
		return -1;
	return 0;
}

/* QEMU's isa-debugcon: a read returns the readback byte that tells the
 * firmware the port is there; each byte written is one character. The
 * log is a regular file (checked at open), written in place: the page
 * cache takes it, and the cap bounds what a guest can make us write. */
void firmware_debug_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct firmware *fw = opaque;
	(void)off;
	if (!is_write) {
		memset(data, 0, len);
		if (fw->log_fd >= 0)
			data[0] = FIRMWARE_DEBUG_READBACK;
		return;
	}
	if (fw->log_fd < 0)
		return;
	pthread_mutex_lock(&fw->log_lock);
	if (fw->logged >= FIRMWARE_LOG_MAX) {
		fw->dropped++;
	} else if (write(fw->log_fd, data, 1) == 1) {
		fw->logged++;
	}
	pthread_mutex_unlock(&fw->log_lock);
}
