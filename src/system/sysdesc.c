/*
 * sysdesc: reading and checking a system description (see sysdesc.h and
 * docs/system.md).
 *
 * Owns: the walk over libconfig's tree, every check of the description and
 * the wording of the problems reported, and the host facts the checks
 * compare against (CPU count, RAM).
 *
 * The text is hostile (a user's file, and the fuzzer's input): every value
 * is checked for type and range before it lands in the model, strings that
 * are echoed back are quoted and cut short, and the pairwise checks are
 * bounded by SD_MAX_VMS and SD_MAX_CHANNELS. Problems are collected, not
 * returned at the first one, and sorted into file order at the end, since
 * the cross checks (names, pins, overlaps, total memory) find them late.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk.h"
#include "guestmem.h"
#include "hvboot.h"
#include "net.h"
#include "sysdesc.h"
#include "vsock.h"

#define SD_PAGE 4096ull

struct sd_problem {
	unsigned line;
	size_t seq; /* report order, to keep the sort stable */
	char *msg;
};

struct sd_ctx {
	const char *file;
	struct sd_problem *p;
	size_t n, cap;
	long ncpus;   /* host CPUs, 0 when unknown */
	uint64_t ram; /* host RAM in bytes, 0 when unknown */
};

/* A disk whose image passed its checks: which file it is. */
struct sd_disk_note {
	dev_t dev;
	ino_t ino;
	bool readonly, ok;
	unsigned line;
};

/* A vsock's CID and socket, each kept once it passed its own checks, so
 * that a clash is reported even beside another problem. */
struct sd_vsock_note {
	bool cid_ok, uds_ok;
	uint64_t cid;
	unsigned cid_line, uds_line;
	char uds[PATH_MAX];                /* resolved, for comparing */
	char uds_raw[VSOCK_UDS_MAX + 1];   /* as written, for messages */
};

/* What the checks learnt about each VM beyond the model. */
struct sd_vm_note {
	bool name_ok; /* a valid name: channels may refer to it */
	bool mem_ok;
	unsigned pin_line;
	struct sd_disk_note disk[VIRTIO_BLK_MAX]; /* as vm->disks */
	char tap[IFNAMSIZ];                       /* a valid tap name, else "" */
	unsigned net_line;
	struct sd_vsock_note vsock;
};

struct sd_chan_note {
	bool ends_ok;  /* between names two VMs: counts towards their limit */
	bool range_ok; /* ends, gpa and size valid: takes part in overlap checks */
};

static const char *const sd_root_keys[] = {"log_dir", "vms", "channels", "links", NULL};
static const char *const sd_vm_keys[] = {"name", "kernel", "initrd", "cmdline", "mem",
					 "cpus", "pin", "devices", "disks", "rng", "net",
					 "vsock", "passthrough", "on_exit", "restarts",
					 "test_forbidden_syscall", "realtime", "rt_prio", "exits",
					 "halt_poll", NULL};
static const char *const sd_chan_keys[] = {"name", "between", "gpa", "size", NULL};
static const char *const sd_devices[] = {"gpio", NULL};
static const char *const sd_exit_names[] = {
	[SD_EXIT_STOP_ALL] = "stop-all", [SD_EXIT_RESTART] = "restart",
	[SD_EXIT_IGNORE] = "ignore",
};

/* Running out of memory while reading a configuration file is a host
 * problem at start-up, not something the file did: stop. */
static void *sd_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("vmm: out of memory reading the system description\n", stderr);
		abort();
	}
	return q;
}

static char *sd_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = sd_xrealloc(NULL, n);
	memcpy(d, s, n);
	return d;
}

__attribute__((format(printf, 3, 4))) static void sd_report(struct sd_ctx *c, unsigned line,
							    const char *fmt, ...)
{
	char body[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	char head[64];
	if (line)
		snprintf(head, sizeof(head), ":%u: ", line);
	else
		snprintf(head, sizeof(head), ": ");
	size_t len = strlen(c->file) + strlen(head) + strlen(body) + 1;
	char *msg = sd_xrealloc(NULL, len);
	snprintf(msg, len, "%s%s%s", c->file, head, body);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->p = sd_xrealloc(c->p, c->cap * sizeof(*c->p));
	}
	c->p[c->n] = (struct sd_problem){.line = line, .seq = c->n, .msg = msg};
	c->n++;
}

static void sd_drop_reports(struct sd_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->p[i].msg);
	c->n = 0;
}

/* A string from the file, quoted for a message: printable ASCII only, and
 * cut short, so that a hostile value cannot flood or garble the terminal. */
static const char *sd_quote(const char *s, char *buf, size_t size)
{
	size_t o = 0;
	buf[o++] = '"';
	for (; *s && o + 8 < size; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = (char)ch;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		}
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define SD_Q(s, b) sd_quote((s), (b), sizeof(b))

/* The largest unit that divides n exactly, so sizes print the way they are
 * written ("64K", "2G"). */
static const char *sd_size_str(uint64_t n, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	while (u < 5 && n && !(n & 1023)) {
		n >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu", (unsigned long long)n);
	else
		snprintf(buf, size, "%llu%c", (unsigned long long)n, units[u]);
	return buf;
}

/* For suggestions; callers have checked n <= GM_MAX_SIZE, so no wrap. */
static uint64_t sd_round_page(uint64_t n)
{
	return (n + SD_PAGE - 1) & ~(SD_PAGE - 1);
}

static const char *sd_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP: return "a group { }";
	case CONFIG_TYPE_LIST: return "a list ( )";
	case CONFIG_TYPE_ARRAY: return "an array [ ]";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a floating-point number";
	case CONFIG_TYPE_BOOL: return "a boolean";
	default: return "of no known type";
	}
}

static unsigned sd_line(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

/* Edit distance of two short strings, for "did you mean". Longer strings
 * are never close to any of our words. */
static unsigned sd_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[SD_NAME_MAX + 1];
	if (la > SD_NAME_MAX || lb > SD_NAME_MAX)
		return ~0u;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The closest of `words` to `s`, when it is close enough to be a typo. */
static const char *sd_suggest(const char *s, const char *const *words, size_t n)
{
	const char *best = NULL;
	unsigned bd = 3;
	for (size_t i = 0; i < n; i++) {
		unsigned d = sd_distance(s, words[i]);
		if (d < bd && d < strlen(words[i])) {
			bd = d;
			best = words[i];
		}
	}
	return best;
}

static size_t sd_count(const char *const *words)
{
	size_t n = 0;
	while (words[n])
		n++;
	return n;
}

static void sd_join(const char *const *words, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; words[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", words[i]);
}

static void sd_check_keys(struct sd_ctx *c, const config_setting_t *g, const char *const *keys,
			  const char *where)
{
	char list[256], q[80];
	sd_join(keys, list, sizeof(list));
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool known = false;
		if (!name)
			continue;
		for (size_t k = 0; keys[k]; k++)
			known |= !strcmp(name, keys[k]);
		if (known)
			continue;
		const char *near = sd_suggest(name, keys, sd_count(keys));
		if (near)
			sd_report(c, sd_line(m),
				  "unknown key %s %s; did you mean \"%s\"? (valid keys: %s)",
				  SD_Q(name, q), where, near, list);
		else
			sd_report(c, sd_line(m),
				  "unknown key %s %s; valid keys are: %s",
				  SD_Q(name, q), where, list);
	}
}

static void sd_wrong_type(struct sd_ctx *c, const config_setting_t *s, const char *want,
			  const char *example)
{
	sd_report(c, sd_line(s), "%s is %s, expected %s; write it like %s", config_setting_name(s),
		  sd_type_name(s), want, example);
}

/* Lookups: 1 with the value, 0 when the key is absent, -1 when it has the
 * wrong type (reported). */
static int sd_get_str(struct sd_ctx *c, const config_setting_t *g, const char *key,
		      const char *example, const config_setting_t **set, const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	*set = s;
	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		sd_wrong_type(c, s, "a string", example);
		return -1;
	}
	*out = config_setting_get_string(s);
	return *out ? 1 : -1;
}

static int sd_get_int(struct sd_ctx *c, const config_setting_t *g, const char *key,
		      const char *example, const config_setting_t **set, long long *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	*set = s;
	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		*out = config_setting_get_int(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT64)
		*out = config_setting_get_int64(s);
	else {
		sd_wrong_type(c, s, "an integer", example);
		return -1;
	}
	return 1;
}

/* "0x"-prefixed hex for addresses, otherwise gm_parse_size's decimal with
 * an optional K/M/G suffix. */
static int sd_parse_u64(const char *s, uint64_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		char *end;
		if (!isxdigit((unsigned char)s[2]))
			return -1;
		errno = 0;
		unsigned long long v = strtoull(s + 2, &end, 16);
		if (errno || *end)
			return -1;
		*out = v;
		return 0;
	}
	return gm_parse_size(s, out);
}

/* A size or address: a string ("64M", "0xe0000000") or a non-negative
 * integer. `what` says which, for the message. */
static int sd_get_u64(struct sd_ctx *c, const config_setting_t *g, const char *key,
		      const char *what, const char *example, const config_setting_t **set,
		      uint64_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	char q[80];
	*set = s;
	if (!s)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING: {
		const char *v = config_setting_get_string(s);
		if (!v || sd_parse_u64(v, out)) {
			sd_report(c, sd_line(s), "%s = %s is not %s; write it like %s", key,
				  SD_Q(v ? v : "", q), what, example);
			return -1;
		}
		return 1;
	}
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		long long v = config_setting_get_int64(s);
		if (config_setting_type(s) == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		if (v < 0) {
			sd_report(c, sd_line(s), "%s = %lld is negative; write it like %s", key, v,
				  example);
			return -1;
		}
		*out = (uint64_t)v;
		return 1;
	}
	default:
		sd_wrong_type(c, s, what, example);
		return -1;
	}
}

/* Names end up in messages, log file names and process titles: keep them
 * to a small, safe alphabet. Returns NULL when fine, else what is wrong. */
static const char *sd_name_problem(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "is empty";
	if (n >= SD_NAME_MAX)
		return "is longer than 31 characters";
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return "does not start with a lower-case letter or a digit";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!ok && ch != '_' && ch != '-')
			return "has a character other than a-z, 0-9, '_' and '-'";
	}
	return NULL;
}

/* Reads `name` into dst; returns true when it is present and valid. */
static bool sd_get_name(struct sd_ctx *c, const config_setting_t *g, const char *what,
			char dst[SD_NAME_MAX])
{
	const config_setting_t *s;
	const char *v;
	char q[80];
	int r = sd_get_str(c, g, "name", "name = \"ping\";", &s, &v);
	if (r == 0) {
		sd_report(c, sd_line(g),
			  "%s without a name; add name = \"...\"; (a-z, 0-9, '_', '-')", what);
		return false;
	}
	if (r < 0)
		return false;
	const char *bad = sd_name_problem(v);
	if (bad) {
		sd_report(c, sd_line(s),
			  "name = %s %s; use 1 to 31 characters a-z, 0-9, '_' and '-', starting "
			  "with a letter or digit",
			  SD_Q(v, q), bad);
		return false;
	}
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

static void sd_check_file(struct sd_ctx *c, const config_setting_t *s, const char *key,
			  const char *path)
{
	struct stat st;
	char q[80];
	if (!*path) {
		sd_report(c, sd_line(s), "%s = \"\" is empty; give the path of the file", key);
		return;
	}
	if (stat(path, &st)) {
		sd_report(c, sd_line(s),
			  "%s = %s: %s; fix the path (relative paths are from the current "
			  "directory)",
			  key, SD_Q(path, q), strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		sd_report(c, sd_line(s), "%s = %s is not a regular file; give the path of an image",
			  key, SD_Q(path, q));
		return;
	}
	if (access(path, R_OK))
		sd_report(c, sd_line(s), "%s = %s cannot be read: %s; fix its permissions", key,
			  SD_Q(path, q), strerror(errno));
}

static void sd_parse_devices(struct sd_ctx *c, const config_setting_t *g, struct sd_vm *vm)
{
	const config_setting_t *s = config_setting_get_member(g, "devices");
	char list[128], q[80];
	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		sd_wrong_type(c, s, "an array of device names", "devices = [ \"gpio\" ];");
		return;
	}
	sd_join(sd_devices, list, sizeof(list));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (config_setting_type(e) != CONFIG_TYPE_STRING || !v) {
			sd_report(c, sd_line(e),
				  "devices: element %d is %s, expected a device name; write it "
				  "like devices = [ \"gpio\" ];", i + 1, sd_type_name(e));
			continue;
		}
		if (!strcmp(v, "gpio")) {
			if (vm->gpio)
				sd_report(c, sd_line(e),
					  "devices: \"gpio\" is listed twice; list it once");
			vm->gpio = true;
			continue;
		}
		const char *near = sd_suggest(v, sd_devices, sd_count(sd_devices));
		if (near)
			sd_report(c, sd_line(e), "devices: unknown device %s; did you mean \"%s\"? "
				  "(devices: %s)", SD_Q(v, q), near, list);
		else
			sd_report(c, sd_line(e), "devices: unknown device %s; the devices are: %s",
				  SD_Q(v, q), list);
	}
}

/* passthrough = [ "0000:00:04.0", ... ]: host PCI functions for vmm run
 * --vfio. The form is checked here; the host (IOMMU, VFIO, binding) when
 * the VM starts, by its monitor. */
static void sd_parse_passthrough(struct sd_ctx *c, const config_setting_t *g, struct sd_vm *vm)
{
	const config_setting_t *s = config_setting_get_member(g, "passthrough");
	char q[80];
	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		sd_wrong_type(c, s, "an array of PCI addresses",
			      "passthrough = [ \"0000:00:04.0\" ];");
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		char bdf[VFIO_BDF_LEN];
		if (config_setting_type(e) != CONFIG_TYPE_STRING || !v || vfio_parse_bdf(v, bdf)) {
			sd_report(c, sd_line(e),
				  "passthrough: element %d is %s, expected a PCI address DDDD:BB:DD.F "
				  "as lspci -D prints it, like passthrough = [ \"0000:00:04.0\" ];",
				  i + 1, v ? SD_Q(v, q) : sd_type_name(e));
			continue;
		}
		bool dup = false;
		for (unsigned k = 0; k < vm->npassthrough; k++)
			dup = dup || !strcmp(vm->passthrough[k], bdf);
		if (dup) {
			sd_report(c, sd_line(e), "passthrough: %s is listed twice; list it once", bdf);
			continue;
		}
		if (vm->npassthrough == VFIO_MAX_DEVS) {
			sd_report(c, sd_line(e), "passthrough: at most %d functions per VM",
				  VFIO_MAX_DEVS);
			return;
		}
		memcpy(vm->passthrough[vm->npassthrough], bdf, VFIO_BDF_LEN);
		vm->passthrough_line[vm->npassthrough++] = sd_line(e);
	}
}

/* A function given to two VMs: the second could never open it (VFIO
 * gives a group to one container), so --check refuses it. */
static void sd_check_passthrough(struct sd_ctx *c, const struct sd_system *sys)
{
	for (size_t i = 0; i < sys->nvms; i++)
		for (size_t j = i + 1; j < sys->nvms; j++)
			for (unsigned a = 0; a < sys->vms[i].npassthrough; a++)
				for (unsigned b = 0; b < sys->vms[j].npassthrough; b++)
					if (!strcmp(sys->vms[i].passthrough[a],
						    sys->vms[j].passthrough[b]))
						sd_report(c, sys->vms[j].passthrough_line[b],
							  "passthrough: %s is already given to VM "
							  "\"%s\" (line %u); a PCI function "
							  "belongs to one VM only",
							  sys->vms[j].passthrough[b],
							  sys->vms[i].name,
							  sys->vms[i].passthrough_line[a]);
}

/* ---- virtio devices: disks, rng, net, vsock ---------------------------- */

/*
 * Each device key of a VM is read through a table of its fields (name,
 * type, required or not) and becomes the one argument of the vmm run
 * option that gives the device, built from the same table (the value
 * alone, key=value, or ",key" when true). The limits are the monitor's
 * (blk.h, net.h, vsock.h) and the net and vsock arguments are handed to
 * the monitor's own parsers before they are accepted, so a description
 * that passes --check is one every VM's vmm run takes. Cross checks (an
 * image written by two, a TAP, CID or socket used twice) come after all
 * VMs are read: sd_check_devs.
 */
enum sd_ftype { SD_F_STR, SD_F_BOOL, SD_F_INT };
enum sd_fmt { SD_ARG_BARE, SD_ARG_KV, SD_ARG_FLAG };

struct sd_field {
	const char *key;
	enum sd_ftype type;
	enum sd_fmt fmt;
	bool required;
	const char *example;
};

#define SD_FIELDS_MAX 4

/* A field's value: set is NULL when it is absent or of the wrong type. */
struct sd_val {
	const config_setting_t *set;
	const char *s;
	long long i;
	bool b;
};

enum sd_dev_kind { SD_DEV_DISK, SD_DEV_NET, SD_DEV_VSOCK };
/* Indices into each table below (and into the values read with it). */
enum { SD_DISK_PATH, SD_DISK_RO };
enum { SD_NET_TAP, SD_NET_MAC };
enum { SD_VSOCK_CID, SD_VSOCK_UDS };

static const char *sd_vm_label(const struct sd_vm *vm, const struct sd_vm_note *note, char *buf,
			       size_t size);
static size_t sd_groups(struct sd_ctx *c, const config_setting_t *list, const char *key,
			const char *example, const config_setting_t **out);

static const struct sd_field sd_disk_fields[] = {
	{"path", SD_F_STR, SD_ARG_BARE, true, "path = \"disk.img\";"},
	{"readonly", SD_F_BOOL, SD_ARG_FLAG, false, "readonly = true;"},
	{NULL, SD_F_STR, SD_ARG_BARE, false, NULL},
};
static const struct sd_field sd_net_fields[] = {
	{"tap", SD_F_STR, SD_ARG_KV, true, "tap = \"tap0\";"},
	{"mac", SD_F_STR, SD_ARG_KV, false, "mac = \"02:00:00:00:00:01\";"},
	{NULL, SD_F_STR, SD_ARG_BARE, false, NULL},
};
static const struct sd_field sd_vsock_fields[] = {
	{"cid", SD_F_INT, SD_ARG_KV, true, "cid = 3;"},
	{"uds", SD_F_STR, SD_ARG_KV, true, "uds = \"/tmp/vm.vsock\";"},
	{NULL, SD_F_STR, SD_ARG_BARE, false, NULL},
};

struct sd_devkind {
	const char *key;    /* the VM's key */
	const char *option; /* the vmm run option it becomes */
	const struct sd_field *fields;
	const char *what;   /* "a disk", for messages */
	const char *example;
	int max;            /* > 1: a list of up to max groups; 1: one group */
};

static const struct sd_devkind sd_devkinds[] = {
	[SD_DEV_DISK] = {"disks", "--disk", sd_disk_fields, "a disk",
			 "disks = ( { path = \"disk.img\"; readonly = true; } );", VIRTIO_BLK_MAX},
	[SD_DEV_NET] = {"net", "--net", sd_net_fields, "net",
			"net = { tap = \"tap0\"; mac = \"02:00:00:00:00:01\"; };", 1},
	[SD_DEV_VSOCK] = {"vsock", "--vsock", sd_vsock_fields, "vsock",
			  "vsock = { cid = 3; uds = \"/tmp/vm.vsock\"; };", 1},
};
#define SD_NDEVKINDS (sizeof(sd_devkinds) / sizeof(sd_devkinds[0]))

static const char *sd_ftype_name(enum sd_ftype t)
{
	return t == SD_F_STR ? "a string" : t == SD_F_BOOL ? "a boolean" : "an integer";
}

/* Reads the fields of one device group; false when one is missing or of
 * the wrong type (reported). */
static bool sd_read_fields(struct sd_ctx *c, const config_setting_t *g, const struct sd_devkind *k,
			   struct sd_val *v)
{
	const char *names[SD_FIELDS_MAX + 1];
	char where[48];
	size_t n = 0;
	bool ok = true;
	for (; k->fields[n].key; n++)
		names[n] = k->fields[n].key;
	names[n] = NULL;
	snprintf(where, sizeof(where), "in %s", k->what);
	sd_check_keys(c, g, names, where);
	for (size_t i = 0; i < n; i++) {
		const struct sd_field *f = &k->fields[i];
		const config_setting_t *s = config_setting_get_member(g, f->key);
		int t = s ? config_setting_type(s) : CONFIG_TYPE_NONE;
		memset(&v[i], 0, sizeof(v[i]));
		if (!s) {
			if (f->required) {
				sd_report(c, sd_line(g), "%s: no %s; add %s", k->key, f->key,
					  f->example);
				ok = false;
			}
			continue;
		}
		if (f->type == SD_F_STR && t == CONFIG_TYPE_STRING && config_setting_get_string(s))
			v[i].s = config_setting_get_string(s);
		else if (f->type == SD_F_BOOL && t == CONFIG_TYPE_BOOL)
			v[i].b = config_setting_get_bool(s);
		else if (f->type == SD_F_INT && t == CONFIG_TYPE_INT)
			v[i].i = config_setting_get_int(s);
		else if (f->type == SD_F_INT && t == CONFIG_TYPE_INT64)
			v[i].i = config_setting_get_int64(s);
		else {
			sd_report(c, sd_line(s), "%s: %s is %s, expected %s; write it like %s", k->key,
				  f->key, sd_type_name(s), sd_ftype_name(f->type), f->example);
			ok = false;
			continue;
		}
		v[i].set = s;
	}
	return ok;
}

/* The vmm run argument of a device, from its fields (sd_fmt). */
static char *sd_build_arg(const struct sd_devkind *k, const struct sd_val *v)
{
	size_t len = 1;
	for (size_t i = 0; k->fields[i].key; i++)
		if (v[i].set)
			len += strlen(k->fields[i].key) + (v[i].s ? strlen(v[i].s) : 24) + 2;
	char *arg = sd_xrealloc(NULL, len);
	size_t o = 0;
	arg[0] = '\0';
	for (size_t i = 0; k->fields[i].key; i++) {
		const struct sd_field *f = &k->fields[i];
		if (!v[i].set)
			continue;
		const char *sep = o ? "," : "";
		if (f->fmt == SD_ARG_FLAG) {
			if (v[i].b)
				o += (size_t)snprintf(arg + o, len - o, "%s%s", sep, f->key);
		} else {
			const char *eq = f->fmt == SD_ARG_KV ? "=" : "";
			const char *key = f->fmt == SD_ARG_KV ? f->key : "";
			if (f->type == SD_F_STR)
				o += (size_t)snprintf(arg + o, len - o, "%s%s%s%s", sep, key, eq, v[i].s);
			else
				o += (size_t)snprintf(arg + o, len - o, "%s%s%s%lld", sep, key, eq,
						      v[i].i);
		}
	}
	return arg;
}

/* What the monitor's parser said, without the "--opt ARG: " it starts with. */
static const char *sd_monitor_reason(const char *err, const char *option, const char *arg)
{
	size_t ol = strlen(option), al = strlen(arg);
	if (!strncmp(err, option, ol) && err[ol] == ' ' && !strncmp(err + ol + 1, arg, al) &&
	    err[ol + 1 + al] == ':' && err[ol + 2 + al] == ' ')
		return err + ol + al + 3;
	return err;
}

/* A disk's image: present, a regular file or block device, readable (and
 * writable unless readonly), a whole number of sectors. The monitor opens
 * it (vmm run, at start-up): here it is only looked at. */
static bool sd_check_image(struct sd_ctx *c, const struct sd_val *v, struct sd_disk_note *dn)
{
	const config_setting_t *s = v[SD_DISK_PATH].set;
	const char *path = v[SD_DISK_PATH].s;
	bool ro = v[SD_DISK_RO].set && v[SD_DISK_RO].b;
	struct stat st;
	char q[80];
	size_t len = strlen(path);
	if (!len) {
		sd_report(c, sd_line(s), "disks: path = \"\" is empty; give the path of a raw image");
		return false;
	}
	if (!ro && len >= 9 && !strcmp(path + len - 9, ",readonly")) {
		sd_report(c, sd_line(s), "disks: path = %s ends in \",readonly\", which vmm run "
			  "--disk reads as the read-only flag; rename the image", SD_Q(path, q));
		return false;
	}
	if (stat(path, &st)) {
		sd_report(c, sd_line(s), "disks: path = %s: %s; fix the path (relative paths are "
			  "from the current directory)", SD_Q(path, q), strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		sd_report(c, sd_line(s), "disks: path = %s is a directory; give a raw image file",
			  SD_Q(path, q));
		return false;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		sd_report(c, sd_line(s), "disks: path = %s is not a regular file or block device; "
			  "give a raw image", SD_Q(path, q));
		return false;
	}
	if (access(path, R_OK)) {
		sd_report(c, sd_line(s), "disks: path = %s cannot be read: %s; fix its permissions",
			  SD_Q(path, q), strerror(errno));
		return false;
	}
	if (!ro && access(path, W_OK)) {
		sd_report(c, sd_line(s), "disks: path = %s cannot be written: %s; fix its "
			  "permissions, or add readonly = true;", SD_Q(path, q), strerror(errno));
		return false;
	}
	/* A block device's size is not in stat: vmm run checks it. */
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		sd_report(c, sd_line(s), "disks: path = %s is empty; make it the size the guest "
			  "should see (truncate -s 64M FILE)", SD_Q(path, q));
		return false;
	}
	if (S_ISREG(st.st_mode) && st.st_size % BLK_SECTOR) {
		sd_report(c, sd_line(s), "disks: path = %s is %lld bytes, not a multiple of %u (a "
			  "sector); pad it: truncate -s %%%u FILE", SD_Q(path, q),
			  (long long)st.st_size, BLK_SECTOR, BLK_SECTOR);
		return false;
	}
	dn->dev = st.st_dev;
	dn->ino = st.st_ino;
	dn->readonly = ro;
	dn->line = sd_line(s);
	dn->ok = true;
	return true;
}

/* Interface names as Linux takes them (dev_valid_name): 1 to IFNAMSIZ-1
 * bytes, not "." or "..", no '/', ':' or white space; and no ',' or '='
 * (vmm run's option syntax). */
static bool sd_check_tap(struct sd_ctx *c, const struct sd_val *v)
{
	const char *t = v[SD_NET_TAP].s;
	char q[80];
	size_t n = strlen(t);
	bool bad = !strcmp(t, ".") || !strcmp(t, "..");
	for (size_t i = 0; i < n; i++)
		bad |= t[i] == '/' || t[i] == ':' || t[i] == ',' || t[i] == '=' ||
		       isspace((unsigned char)t[i]) || !isprint((unsigned char)t[i]);
	if (n == 0 || n >= IFNAMSIZ || bad) {
		sd_report(c, sd_line(v[SD_NET_TAP].set), "net: tap = %s is not a network interface name; give "
			  "the name of an existing TAP device, 1 to %d characters without '/', "
			  "':', ',', '=' or spaces", SD_Q(t, q), IFNAMSIZ - 1);
		return false;
	}
	return true;
}

/* The directory a path is in ("." for a bare name). */
static void sd_dirname(const char *p, char *dir, size_t size)
{
	const char *slash = strrchr(p, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == p)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - p), p);
}

/* The socket's path as it will be bound, for comparing two: the
 * directory resolved (it exists: sd_check_vsock). */
static void sd_uds_identity(const char *p, char *out, size_t size)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(p, '/');
	sd_dirname(p, dir, sizeof(dir));
	/* A name too long to compare whole is compared as written. */
	if (!realpath(dir, real) ||
	    snprintf(out, size, "%s/%s", real, slash ? slash + 1 : p) >= (int)size)
		snprintf(out, size, "%s", p);
}

static bool sd_check_vsock(struct sd_ctx *c, const struct sd_val *v, struct sd_vsock_note *vn)
{
	const config_setting_t *us = v[SD_VSOCK_UDS].set, *cs = v[SD_VSOCK_CID].set;
	const char *uds = v[SD_VSOCK_UDS].s;
	long long cid = v[SD_VSOCK_CID].i;
	char q[80], q2[80];
	bool ok = true;
	/* virtio 1.2 5.10.4: 0 to 2 are reserved, only 32 bits are used and
	 * 0xffffffff is "any" (the range vsock_parse_option takes). */
	if (cid < 3 || cid > 0xfffffffell) {
		sd_report(c, sd_line(cs), "vsock: cid = %lld is %s; give each VM a CID of its own "
			  "from 3 to 4294967294 (0 to 2 are reserved, 2 is the host)", cid,
			  cid < 3 ? "below 3" : "too large");
		ok = false;
	} else {
		vn->cid = (uint64_t)cid;
		vn->cid_line = sd_line(cs);
		vn->cid_ok = true;
	}
	size_t n = strlen(uds);
	if (n == 0 || n > VSOCK_UDS_MAX || strchr(uds, ',')) {
		sd_report(c, sd_line(us), "vsock: uds = %s %s; give a Unix socket path of 1 to "
			  "%u characters without ',' (PATH_PORT must fit a socket address)",
			  SD_Q(uds, q), n == 0 ? "is empty" : n > VSOCK_UDS_MAX ? "is too long"
			  : "holds a ','", VSOCK_UDS_MAX);
		return false;
	}
	bool uds_ok = true;
	struct stat st;
	if (!lstat(uds, &st) && !S_ISSOCK(st.st_mode)) {
		sd_report(c, sd_line(us), "vsock: uds = %s exists and is not a socket; vmm "
			  "run would not replace it: remove it or give another path", SD_Q(uds, q));
		uds_ok = false;
	}
	char dir[PATH_MAX];
	sd_dirname(uds, dir, sizeof(dir));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		sd_report(c, sd_line(us), "vsock: uds = %s: its directory %s does not exist; "
			  "create it or fix the path (relative paths are from the current "
			  "directory)", SD_Q(uds, q), SD_Q(dir, q2));
		uds_ok = false;
	}
	/* Even a path that exists as something else is one two VMs must not
	 * share: compare it too. */
	sd_uds_identity(uds, vn->uds, sizeof(vn->uds));
	memcpy(vn->uds_raw, uds, n + 1);
	vn->uds_line = sd_line(us);
	vn->uds_ok = true;
	return ok && uds_ok;
}

/* One device group of kind k: its fields, its argument, its checks; then
 * the monitor's parser must agree. Stores it in vm on success. */
static void sd_parse_dev(struct sd_ctx *c, const config_setting_t *g, enum sd_dev_kind kind,
			 struct sd_vm *vm, struct sd_vm_note *note)
{
	const struct sd_devkind *k = &sd_devkinds[kind];
	struct sd_val v[SD_FIELDS_MAX];
	char err[512];
	if (!sd_read_fields(c, g, k, v))
		return;
	bool ok = true;
	switch (kind) {
	case SD_DEV_DISK: ok = sd_check_image(c, v, &note->disk[vm->ndisks]); break;
	case SD_DEV_NET:
		ok = sd_check_tap(c, v);
		if (ok) { /* compared with the other VMs' even if the MAC is bad */
			snprintf(note->tap, sizeof(note->tap), "%s", v[SD_NET_TAP].s);
			note->net_line = sd_line(v[SD_NET_TAP].set);
		}
		break;
	case SD_DEV_VSOCK: ok = sd_check_vsock(c, v, &note->vsock); break;
	}
	if (!ok)
		return;
	char *arg = sd_build_arg(k, v);
	int r = 0;
	if (kind == SD_DEV_NET) {
		struct net_cfg nc;
		r = net_parse_option(arg, &nc, err, sizeof(err));
	} else if (kind == SD_DEV_VSOCK) {
		struct vsock_cfg vc;
		r = vsock_parse_option(arg, &vc, err, sizeof(err));
	}
	if (r) {
		/* Everything but the MAC's form is checked above: what is left
		 * is the monitor's to say. */
		char q[80];
		if (kind == SD_DEV_NET && v[SD_NET_MAC].set)
			sd_report(c, sd_line(v[SD_NET_MAC].set), "net: mac = %s is refused by vmm run "
				  "--net (%s); give a unicast address like mac = "
				  "\"02:00:00:00:00:01\"; or leave mac out (derived from the TAP "
				  "name)", SD_Q(v[SD_NET_MAC].s, q),
				  sd_monitor_reason(err, k->option, arg));
		else
			sd_report(c, sd_line(g), "%s: refused by vmm run %s (%s); fix this group",
				  k->key, k->option, sd_monitor_reason(err, k->option, arg));
		free(arg);
		return;
	}
	switch (kind) {
	case SD_DEV_DISK: {
		struct sd_disk *d = &vm->disks[vm->ndisks++];
		d->path = sd_xstrdup(v[SD_DISK_PATH].s);
		d->readonly = v[SD_DISK_RO].set && v[SD_DISK_RO].b;
		d->arg = arg;
		d->line = sd_line(g);
		break;
	}
	case SD_DEV_NET:
		vm->net = arg;
		break;
	case SD_DEV_VSOCK:
		vm->vsock = arg;
		break;
	}
}

/* A VM's device keys (sd_devkinds): a list of groups or one group each,
 * and rng = true. */
static void sd_parse_virtio(struct sd_ctx *c, const config_setting_t *g, struct sd_vm *vm,
			    struct sd_vm_note *note)
{
	const config_setting_t *s = config_setting_get_member(g, "rng");
	if (s && config_setting_type(s) != CONFIG_TYPE_BOOL)
		sd_wrong_type(c, s, "a boolean", "rng = true;");
	else if (s)
		vm->rng = config_setting_get_bool(s);

	for (size_t kind = 0; kind < SD_NDEVKINDS; kind++) {
		const struct sd_devkind *k = &sd_devkinds[kind];
		s = config_setting_get_member(g, k->key);
		if (!s)
			continue;
		if (k->max == 1) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				sd_wrong_type(c, s, "a group { }", k->example);
			else
				sd_parse_dev(c, s, (enum sd_dev_kind)kind, vm, note);
			continue;
		}
		if (config_setting_type(s) != CONFIG_TYPE_LIST) {
			sd_wrong_type(c, s, "a list ( ) of groups", k->example);
			continue;
		}
		int n = config_setting_length(s);
		if (n > k->max) {
			sd_report(c, sd_line(s), "%s has %d entries, more than vmm run takes (%d, "
				  "vmm run %s); give this VM at most %d", k->key, n, k->max,
				  k->option, k->max);
			continue;
		}
		const config_setting_t *e[VIRTIO_BLK_MAX]; /* only disks is a list */
		if (k->max > VIRTIO_BLK_MAX)
			abort(); /* a table entry larger than e[] and notes' disk[] */
		size_t ne = sd_groups(c, s, k->key, k->example, e);
		vm->disks = sd_xrealloc(NULL, (ne ? ne : 1) * sizeof(*vm->disks));
		for (size_t i = 0; i < ne; i++)
			sd_parse_dev(c, e[i], (enum sd_dev_kind)kind, vm, note);
	}
}

/* Cross checks of the devices over all VMs: an image has one writer and
 * is not read as read-only while another writes it (vmm run's flock
 * refuses both at start-up, or worse, two monitors on different hosts'
 * views of one file would not); a TAP, a CID and a socket path belong to
 * one VM. */
static void sd_check_devs(struct sd_ctx *c, const struct sd_system *sys,
			  const struct sd_vm_note *notes)
{
	char lab[64], q[80];
	for (size_t i = 0; i < sys->nvms; i++) {
		const struct sd_vm *vm = &sys->vms[i];
		const struct sd_vm_note *n = &notes[i];
		for (unsigned d = 0; d < vm->ndisks; d++) {
			const struct sd_disk_note *dn = &n->disk[d];
			for (size_t j = 0; j <= i && dn->ok; j++) {
				const struct sd_disk_note *hit = NULL;
				unsigned upto = j < i ? sys->vms[j].ndisks : d;
				for (unsigned e = 0; e < upto && !hit; e++) {
					const struct sd_disk_note *o = &notes[j].disk[e];
					if (o->ok && o->dev == dn->dev && o->ino == dn->ino &&
					    !(o->readonly && dn->readonly))
						hit = o;
				}
				if (!hit)
					continue;
				if (j == i)
					snprintf(lab, sizeof(lab), "this VM");
				else
					sd_vm_label(&sys->vms[j], &notes[j], lab, sizeof(lab));
				const char *p = SD_Q(vm->disks[d].path, q);
				if (!dn->readonly && !hit->readonly)
					sd_report(c, dn->line, "disks: path = %s is an image %s writes "
						  "too (line %u); an image has one writer: give each "
						  "disk a copy of its own, or make every use readonly "
						  "= true", p, lab, hit->line);
				else if (dn->readonly)
					sd_report(c, dn->line, "disks: path = %s is read-only here but "
						  "%s writes it (line %u); a read-only disk must not "
						  "change under its guest: make that one readonly = "
						  "true too, or give this VM a copy", p, lab, hit->line);
				else
					sd_report(c, dn->line, "disks: path = %s is written here but %s "
						  "reads it as read-only (line %u); give this VM a copy, "
						  "or make this one readonly = true too", p, lab,
						  hit->line);
				break;
			}
		}
		for (size_t j = 0; j < i && n->tap[0]; j++) {
			if (strcmp(n->tap, notes[j].tap))
				continue;
			sd_report(c, n->net_line, "net: tap = %s is %s's too (line %u); a TAP "
				  "carries one VM: create one per VM (ip tuntap add NAME mode tap)",
				  SD_Q(n->tap, q), sd_vm_label(&sys->vms[j], &notes[j], lab,
				  sizeof(lab)), notes[j].net_line);
			break;
		}
		for (size_t j = 0; j < i && n->vsock.cid_ok; j++) {
			if (notes[j].vsock.cid_ok && notes[j].vsock.cid == n->vsock.cid) {
				sd_report(c, n->vsock.cid_line, "vsock: cid = %llu is %s's too (line "
					  "%u); give each VM a CID of its own (3 or more)",
					  (unsigned long long)n->vsock.cid,
					  sd_vm_label(&sys->vms[j], &notes[j], lab, sizeof(lab)),
					  notes[j].vsock.cid_line);
				break;
			}
		}
		for (size_t j = 0; j < i && n->vsock.uds_ok; j++) {
			if (notes[j].vsock.uds_ok && !strcmp(notes[j].vsock.uds, n->vsock.uds)) {
				sd_report(c, n->vsock.uds_line, "vsock: uds = %s is %s's socket too "
					  "(line %u); give each VM a socket path of its own",
					  SD_Q(n->vsock.uds_raw, q),
					  sd_vm_label(&sys->vms[j], &notes[j], lab, sizeof(lab)),
					  notes[j].vsock.uds_line);
				break;
			}
		}
	}
}

/* One host CPU of `pin`: reported unless it is one of this host's. */
static bool sd_check_pin(struct sd_ctx *c, unsigned line, long long v, const char *what)
{
	if (v < 0)
		sd_report(c, line,
			  "%s = %lld is negative; give a host CPU from 0 to %ld, or leave "
			  "pin out to let the VM run anywhere", what, v, c->ncpus - 1);
	else if (c->ncpus > 0 && v >= c->ncpus)
		sd_report(c, line,
			  "%s = %lld is beyond this host's CPUs (0 to %ld); give one of "
			  "them, or leave pin out", what, v, c->ncpus - 1);
	else if (v > INT32_MAX)
		sd_report(c, line, "%s = %lld is too large; give a host CPU number", what, v);
	else
		return true;
	return false;
}

/* pin = [ 2, 3 ]: one host CPU per vCPU, in vCPU order (vmm run --pin),
 * each once. Taken only when every entry is good and there is one per
 * vCPU, so the cross checks see only whole lists. */
static void sd_parse_pin_list(struct sd_ctx *c, const config_setting_t *s, struct sd_vm *vm,
			      struct sd_vm_note *note)
{
	int n = config_setting_length(s), pins[SD_MAX_CPUS];
	bool ok = n > 0;
	char what[32];

	for (int i = 0; i < SD_MAX_CPUS; i++)
		pins[i] = -1; /* an entry not taken: never a match below */

	if (n == 0)
		sd_report(c, sd_line(s), "pin = [ ] is empty; give one host CPU per vCPU, like "
			  "pin = [ 2, 3 ]; or leave pin out");
	if (n > 0 && (unsigned)n != vm->cpus) {
		sd_report(c, sd_line(s), "pin lists %d CPU%s for cpus = %u; give one host CPU "
			  "per vCPU", n, n == 1 ? "" : "s", vm->cpus);
		ok = false;
	}
	for (int i = 0; i < n && i < SD_MAX_CPUS; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		long long v;

		if (config_setting_type(e) == CONFIG_TYPE_INT)
			v = config_setting_get_int(e);
		else if (config_setting_type(e) == CONFIG_TYPE_INT64)
			v = config_setting_get_int64(e);
		else {
			sd_report(c, sd_line(s), "pin[%d] is %s, expected an integer; write it "
				  "like pin = [ 0, 1 ];", i, sd_type_name(e));
			ok = false;
			continue;
		}
		snprintf(what, sizeof(what), "pin[%d]", i);
		if (!sd_check_pin(c, sd_line(s), v, what)) {
			ok = false;
			continue;
		}
		pins[i] = (int)v;
		for (int j = 0; j < i; j++)
			if (pins[j] >= 0 && pins[j] == pins[i]) {
				sd_report(c, sd_line(s), "pin[%d] = %d: CPU %d is pin[%d] too; give "
					  "each vCPU its own host CPU", i, pins[i], pins[i], j);
				ok = false;
				break;
			}
	}
	if (!ok)
		return;
	memcpy(vm->pins, pins, (size_t)n * sizeof(pins[0]));
	vm->npins = (unsigned)n;
	vm->pin = pins[0];
	vm->pin_list = true;
	note->pin_line = sd_line(s);
}

/* The real-time keys (docs/realtime.md): realtime, rt_prio, exits,
 * halt_poll. A real-time VM has each vCPU on a host CPU of its own, so it
 * needs pin, one CPU per vCPU. */
static void sd_parse_rt(struct sd_ctx *c, const config_setting_t *g, struct sd_vm *vm,
			bool pin_given)
{
	const config_setting_t *s = config_setting_get_member(g, "realtime");
	unsigned rt_line = s ? sd_line(s) : vm->line;
	const char *str;
	long long v;
	char q[80];

	if (s && config_setting_type(s) != CONFIG_TYPE_BOOL)
		sd_wrong_type(c, s, "a boolean", "realtime = true;");
	else if (s)
		vm->realtime = config_setting_get_bool(s);
	if (vm->realtime && !pin_given)
		sd_report(c, rt_line, "realtime = true without pin; a real-time VM has each "
			  "vCPU on a host CPU of its own: add pin = %s", vm->cpus > 1 ?
			  "[ ... ]; with one CPU per vCPU" : "N; (a host CPU)");
	else if (vm->realtime && vm->npins == 1 && !vm->pin_list && vm->cpus > 1)
		sd_report(c, rt_line, "realtime = true with cpus = %u and one pin; give "
			  "each vCPU its own host CPU: pin = [ ... ]; with %u CPUs", vm->cpus,
			  vm->cpus);
	if (sd_get_int(c, g, "rt_prio", "rt_prio = 50;", &s, &v) > 0) {
		if (v < 1 || v > 99)
			sd_report(c, sd_line(s), "rt_prio = %lld is outside 1 to 99 (a SCHED_FIFO "
				  "priority); give one in that range", v);
		else if (!vm->realtime)
			sd_report(c, sd_line(s), "rt_prio is only used with realtime = true; set "
				  "realtime = true; or remove rt_prio");
		else
			vm->rt_prio = (int)v;
	}
	if (sd_get_str(c, g, "exits", "exits = \"disable\";", &s, &str) > 0) {
		if (!strcmp(str, "keep"))
			vm->exits = 0;
		else if (!strcmp(str, "disable"))
			vm->exits = 1;
		else
			sd_report(c, sd_line(s), "exits = %s is not a choice; use \"keep\" or "
				  "\"disable\" (HLT/PAUSE/MWAIT exits)", SD_Q(str, q));
	}
	if (sd_get_int(c, g, "halt_poll", "halt_poll = 0;", &s, &v) > 0) {
		if (v < 0 || v > 100000000)
			sd_report(c, sd_line(s), "halt_poll = %lld is outside 0 to 100000000 (ns of "
				  "KVM halt polling); give one in that range", v);
		else
			vm->halt_poll = v;
	}
}

static void sd_parse_vm(struct sd_ctx *c, const config_setting_t *g, struct sd_vm *vm,
			struct sd_vm_note *note)
{
	const config_setting_t *s;
	const char *str;
	long long v;
	char q[80], b1[32], b2[32];

	vm->line = sd_line(g);
	vm->mem = 256ull << 20;
	vm->cpus = 1;
	vm->pin = -1;
	vm->exits = -1;
	vm->halt_poll = -1;
	vm->on_exit = SD_EXIT_STOP_ALL;
	vm->restarts = 3;
	vm->cmdline = sd_xstrdup("");
	sd_check_keys(c, g, sd_vm_keys, "in a VM");
	note->name_ok = sd_get_name(c, g, "a VM", vm->name);

	int r = sd_get_str(c, g, "kernel", "kernel = \"build/guest/benchguest.elf\";", &s, &str);
	if (r == 0)
		sd_report(c, vm->line, "a VM without a kernel; add kernel = \"PATH\"; (a bzImage, "
			  "multiboot or ELF64 image)");
	if (r > 0) {
		vm->kernel = sd_xstrdup(str);
		sd_check_file(c, s, "kernel", str);
	}
	if (sd_get_str(c, g, "initrd", "initrd = \"initrd.img\";", &s, &str) > 0) {
		vm->initrd = sd_xstrdup(str);
		sd_check_file(c, s, "initrd", str);
	}
	if (sd_get_str(c, g, "cmdline", "cmdline = \"console=ttyS0\";", &s, &str) > 0) {
		free(vm->cmdline);
		vm->cmdline = sd_xstrdup(str);
		if (strlen(str) >= HVBOOT_CMDLINE_MAX)
			sd_report(c, sd_line(s), "cmdline is %zu bytes long; shorten it below %llu",
				  strlen(str), (unsigned long long)HVBOOT_CMDLINE_MAX);
	}

	uint64_t mem;
	r = sd_get_u64(c, g, "mem", "a size", "mem = \"256M\";", &s, &mem);
	note->mem_ok = r <= 0 ? r == 0 : false;
	if (r > 0) {
		if (mem < GM_MIN_SIZE || mem > GM_MAX_SIZE)
			sd_report(c, sd_line(s),
				  "mem = %s is outside 2M to 64G; give a size in that range, such "
				  "as \"256M\"", sd_size_str(mem, b1, sizeof(b1)));
		else if (mem % SD_PAGE)
			sd_report(c, sd_line(s),
				  "mem = %s is not a whole number of 4K pages; round it to %s",
				  sd_size_str(mem, b1, sizeof(b1)),
				  sd_size_str(sd_round_page(mem), b2, sizeof(b2)));
		else {
			vm->mem = mem;
			note->mem_ok = true;
		}
	}

	if (sd_get_int(c, g, "cpus", "cpus = 1;", &s, &v) > 0) {
		if (v < 1 || v > SD_MAX_CPUS)
			sd_report(c, sd_line(s),
				  "cpus = %lld is outside 1 to %d; give a vCPU count in that range",
				  v, SD_MAX_CPUS);
		else
			vm->cpus = (unsigned)v;
	}

	s = config_setting_get_member(g, "pin");
	if (s && config_setting_type(s) == CONFIG_TYPE_ARRAY)
		sd_parse_pin_list(c, s, vm, note);
	else if (sd_get_int(c, g, "pin", "pin = 0;", &s,
			    &v) > 0 &&
		 sd_check_pin(c, sd_line(s), v, "pin")) {
		vm->pin = (int)v;
		vm->pins[0] = vm->pin;
		vm->npins = 1;
		note->pin_line = sd_line(s);
	}

	sd_parse_rt(c, g, vm, config_setting_get_member(g, "pin") != NULL);
	sd_parse_devices(c, g, vm);
	sd_parse_virtio(c, g, vm, note);
	sd_parse_passthrough(c, g, vm);

	const config_setting_t *ex = NULL;
	int exr = sd_get_str(c, g, "on_exit", "on_exit = \"stop-all\";", &ex, &str);
	if (exr > 0) {
		size_t i;
		for (i = 0; i < 3 && strcmp(str, sd_exit_names[i]); i++)
			;
		if (i < 3) {
			vm->on_exit = (enum sd_on_exit)i;
		} else {
			exr = -1;
			sd_report(c, sd_line(ex), "on_exit = %s is not a choice; use \"stop-all\", "
				  "\"restart\" or \"ignore\"", SD_Q(str, q));
		}
	}
	if (sd_get_int(c, g, "restarts", "restarts = 3;", &s, &v) > 0) {
		if (v < 0 || v > SD_MAX_RESTARTS)
			sd_report(c, sd_line(s),
				  "restarts = %lld is outside 0 to %d; give a limit in that range",
				  v, SD_MAX_RESTARTS);
		else if (exr >= 0 && vm->on_exit != SD_EXIT_RESTART)
			sd_report(c, sd_line(s),
				  "restarts is only used with on_exit = \"restart\"; set on_exit = "
				  "\"restart\"; or remove restarts");
		else
			vm->restarts = (unsigned)v;
	}
	/* A test hook, passed on as vmm run --test-forbidden-syscall: the
	 * VM's process makes a call its sandbox forbids after that many
	 * seconds, to prove that the system reports it and goes on. */
	if (sd_get_int(c, g, "test_forbidden_syscall", "test_forbidden_syscall = 1;", &s, &v) > 0) {
		if (v < 1 || v > 3600)
			sd_report(c, sd_line(s),
				  "test_forbidden_syscall = %lld is outside 1 to 3600 (seconds)", v);
		else
			vm->test_forbidden_s = (unsigned)v;
	}
}

static const char *sd_vm_label(const struct sd_vm *vm, const struct sd_vm_note *note, char *buf,
			       size_t size)
{
	if (note->name_ok)
		snprintf(buf, size, "VM \"%s\"", vm->name);
	else
		snprintf(buf, size, "the VM at line %u", vm->line);
	return buf;
}

/* Cross checks over all VMs: names, pins, the host's RAM. */
static void sd_check_vms(struct sd_ctx *c, const config_setting_t *list, struct sd_system *sys,
			 const struct sd_vm_note *notes)
{
	uint64_t total = 0;
	char lab[64], b1[32];
	for (size_t i = 0; i < sys->nvms; i++) {
		const struct sd_vm *vm = &sys->vms[i];
		for (size_t j = 0; j < i && notes[i].name_ok; j++) {
			if (notes[j].name_ok && !strcmp(vm->name, sys->vms[j].name)) {
				sd_report(c, vm->line,
					  "VM name \"%s\" is already used by the VM at line %u; "
					  "give each VM its own name", vm->name, sys->vms[j].line);
				break;
			}
		}
		for (size_t j = 0; j < i && vm->pin >= 0; j++) {
			const struct sd_vm *o = &sys->vms[j];
			int cpu = -1;

			for (unsigned a = 0; a < vm->npins && cpu < 0; a++)
				for (unsigned b = 0; b < o->npins && cpu < 0; b++)
					if (vm->pins[a] == o->pins[b])
						cpu = vm->pins[a];
			if (cpu < 0)
				continue;
			sd_vm_label(o, &notes[j], lab, sizeof(lab));
			if (vm->realtime && o->realtime)
				sd_report(c, notes[i].pin_line,
					  "pin: CPU %d is pinned by two real-time VMs (%s has it "
					  "too); a real-time vCPU needs a host CPU of its own: give "
					  "each VM its own CPUs", cpu, lab);
			else if (!vm->pin_list && !o->pin_list)
				sd_report(c, notes[i].pin_line,
					  "pin = %d: CPU pinned twice (%s has it too); give each "
					  "VM its own host CPU, or leave pin out", cpu, lab);
			else
				sd_report(c, notes[i].pin_line,
					  "pin: CPU %d pinned twice (%s has it too); give each "
					  "VM its own host CPUs, or leave pin out", cpu, lab);
			break;
		}
		if (notes[i].mem_ok)
			total += vm->mem;
	}
	if (c->ram && total > c->ram)
		sd_report(c, sd_line(list), "oversized memory: the VMs' mem adds up to %s, more "
			  "than this host's %lluM of RAM; lower mem or run fewer VMs",
			  sd_size_str(total, b1, sizeof(b1)), (unsigned long long)(c->ram >> 20));
}

static const struct sd_vm *sd_find_vm(const struct sd_system *sys,
				      const struct sd_vm_note *notes, const char *name)
{
	for (size_t i = 0; i < sys->nvms; i++)
		if (notes[i].name_ok && !strcmp(sys->vms[i].name, name))
			return &sys->vms[i];
	return NULL;
}

/* One end of `between`: true when it names a VM. */
static bool sd_parse_end(struct sd_ctx *c, const config_setting_t *e, int idx,
			 const struct sd_system *sys, const struct sd_vm_note *notes,
			 char dst[SD_NAME_MAX])
{
	const char *v = config_setting_get_string(e);
	char q[80];
	if (config_setting_type(e) != CONFIG_TYPE_STRING || !v) {
		sd_report(c, sd_line(e), "between: element %d is %s, expected a VM name; write it "
			  "like between = [ \"ping\", \"pong\" ];", idx, sd_type_name(e));
		return false;
	}
	if (sd_find_vm(sys, notes, v)) {
		memcpy(dst, v, strlen(v) + 1);
		return true;
	}
	/* Suggest the nearest VM name; up to SD_MAX_VMS candidates, each a
	 * short edit distance. */
	const char *best = NULL;
	unsigned bd = 3;
	for (size_t i = 0; i < sys->nvms; i++) {
		unsigned d = notes[i].name_ok ? sd_distance(v, sys->vms[i].name) : ~0u;
		if (d < bd && d < strlen(sys->vms[i].name)) {
			bd = d;
			best = sys->vms[i].name;
		}
	}
	if (best)
		sd_report(c, sd_line(e), "between: a connection to a VM that does not exist: %s; "
			  "did you mean \"%s\"?", SD_Q(v, q), best);
	else
		sd_report(c, sd_line(e), "between: a connection to a VM that does not exist: %s; "
			  "name a VM from vms, or add a VM with that name", SD_Q(v, q));
	return false;
}

static void sd_parse_chan(struct sd_ctx *c, const config_setting_t *g, const struct sd_system *sys,
			  const struct sd_vm_note *notes, struct sd_channel *ch,
			  struct sd_chan_note *note)
{
	const config_setting_t *s, *gs = NULL;
	char b1[32], b2[32];
	bool ends_ok = false;

	ch->line = sd_line(g);
	ch->size = SD_CHAN_DEFAULT_SIZE;
	sd_check_keys(c, g, sd_chan_keys, "in a channel");
	sd_get_name(c, g, "a channel", ch->name);

	s = config_setting_get_member(g, "between");
	if (!s) {
		sd_report(c, ch->line, "a channel without between; add between = [ \"VM1\", "
			  "\"VM2\" ]; naming the two VMs it connects");
	} else if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
		   config_setting_type(s) != CONFIG_TYPE_LIST) {
		sd_wrong_type(c, s,
			      "an array of two VM names", "between = [ \"ping\", \"pong\" ];");
	} else if (config_setting_length(s) != 2) {
		sd_report(c, sd_line(s), "between has %d %s; name exactly two different VMs, "
			  "like between = [ \"ping\", \"pong\" ];", config_setting_length(s),
			  config_setting_length(s) == 1 ? "entry" : "entries");
	} else {
		bool a = sd_parse_end(c, config_setting_get_elem(s, 0), 1, sys, notes, ch->a);
		bool b = sd_parse_end(c, config_setting_get_elem(s, 1), 2, sys, notes, ch->b);
		if (a && b && !strcmp(ch->a, ch->b))
			sd_report(c, sd_line(s),
				  "between names VM \"%s\" twice; a channel connects two different "
				  "VMs", ch->a);
		else
			ends_ok = a && b;
	}

	uint64_t gpa = 0, size = ch->size;
	int rg = sd_get_u64(c, g, "gpa", "an address", "gpa = \"0xe0000000\";", &gs, &gpa);
	if (rg == 0)
		sd_report(c, ch->line, "a channel without gpa; add gpa = \"0x...\"; a page-aligned "
			  "address from 0x%llx up to 0x%llx", CHANNEL_WINDOW_START,
			  CHANNEL_WINDOW_END);
	int rs = sd_get_u64(c, g, "size", "a size", "size = \"64K\";", &s, &size);
	unsigned sline = rs > 0 ? sd_line(s) : ch->line;
	/* The placement rules are vmm run's (channel.h); the wording is ours. */
	unsigned bad = channel_check_one(rg > 0 ? gpa : CHANNEL_WINDOW_START, size);
	bool ok = rg > 0 && rs >= 0 && !bad;
	if (bad & CHANNEL_BAD_SIZE)
		sd_report(c, sline, "size = %s is outside 4K to 256M; give a channel size in that "
			  "range, such as \"64K\"", sd_size_str(size, b1, sizeof(b1)));
	else if (bad & CHANNEL_BAD_SIZE_ALIGN)
		sd_report(c, sline, "size = %s is not a whole number of 4K pages; round it to %s",
			  sd_size_str(size, b1, sizeof(b1)),
			  sd_size_str(sd_round_page(size), b2, sizeof(b2)));
	if (rg > 0 && (bad & CHANNEL_BAD_GPA_ALIGN))
		sd_report(c, sd_line(gs), "gpa = 0x%llx is not page aligned; use a multiple of 4K, "
			  "such as 0x%llx", (unsigned long long)gpa,
			  (unsigned long long)(gpa & ~(SD_PAGE - 1)));
	if (rg > 0 && (bad & CHANNEL_BAD_WRAP))
		sd_report(c, sd_line(gs), "gpa = 0x%llx plus size %s overflows; place the channel "
			  "between 0x%llx and 0x%llx", (unsigned long long)gpa,
			  sd_size_str(size, b1, sizeof(b1)), CHANNEL_WINDOW_START, CHANNEL_WINDOW_END);
	else if (rg > 0 && (bad & CHANNEL_BAD_WINDOW) && gpa + size == CHANNEL_WINDOW_END)
		sd_report(c, sd_line(gs), "gpa = 0x%llx with size %s ends at the IOAPIC (0x%llx), so "
			  "its doorbell page (the 4K above the region) would be the IOAPIC's; end "
			  "the region at 0x%llx or below", (unsigned long long)gpa,
			  sd_size_str(size, b1, sizeof(b1)), CHANNEL_WINDOW_END,
			  CHANNEL_WINDOW_END - CHANNEL_DOORBELL_SIZE);
	else if (rg > 0 && (bad & CHANNEL_BAD_WINDOW))
		sd_report(c, sd_line(gs), "gpa = 0x%llx with size %s is outside the channel window "
			  "[0x%llx, 0x%llx) (below it: PCI BARs; above it: the IOAPIC); place the "
			  "channel and its doorbell page (the 4K above it) inside it",
			  (unsigned long long)gpa, sd_size_str(size, b1, sizeof(b1)),
			  CHANNEL_WINDOW_START, CHANNEL_WINDOW_END);
	else if (rg > 0 && (bad & CHANNEL_BAD_BAR))
		sd_report(c, sd_line(gs), "gpa = 0x%llx with size %s: the region is the channel's "
			  "PCI BAR, so its size must be a power of two and gpa a multiple of it",
			  (unsigned long long)gpa, sd_size_str(size, b1, sizeof(b1)));
	if (ok) {
		ch->gpa = gpa;
		ch->size = size;
	}
	note->ends_ok = ends_ok;
	note->range_ok = ok && ends_ok;
}

/* Whether channel ch's VM `vm` is in `o` too. */
static bool sd_shares(const struct sd_channel *o, const char *vm)
{
	return !strcmp(o->a, vm) || !strcmp(o->b, vm);
}

/* Says how channels ch and o, both mapped by VM `shared`, collide: their
 * regions overlap, or one's doorbell page lies in the other's region. */
static void sd_report_collision(struct sd_ctx *c, const struct sd_channel *ch,
				const struct sd_channel *o, const char *shared)
{
	unsigned long long g = ch->gpa, e = ch->gpa + ch->size, og = o->gpa,
			   oe = o->gpa + o->size, after = channel_span_end(o->gpa, o->size);
	if (g < oe && og < e)
		sd_report(c, ch->line,
			  "overlapping memory: this channel's [0x%llx, 0x%llx) overlaps the "
			  "channel at line %u in VM \"%s\"; move gpa to 0x%llx or above (past "
			  "its doorbell page)", g, e, o->line, shared, after);
	else if (oe >= g && oe < e)
		sd_report(c, ch->line,
			  "the doorbell page of the channel at line %u (0x%llx) lies inside this "
			  "channel's [0x%llx, 0x%llx) in VM \"%s\": its doorbell would never ring "
			  "and its writes would land in this channel's memory; move gpa to 0x%llx "
			  "or above", o->line, oe, g, e, shared, after);
	else
		sd_report(c, ch->line,
			  "this channel's doorbell page (0x%llx) lies inside the channel at line "
			  "%u's [0x%llx, 0x%llx) in VM \"%s\": it would never ring and its writes "
			  "would land in that channel's memory; end this channel at 0x%llx or "
			  "below, or move gpa to 0x%llx or above",
			  e, o->line, og, oe, shared, og - CHANNEL_DOORBELL_SIZE, after);
}

/* Cross checks over all channels: names, how many channels each VM is in
 * (vmm run takes CHANNEL_MAX), and channels that collide in a VM both
 * map (each VM sees every channel it is in at its gpa, with the doorbell
 * page above it): channel_collide, the rule vmm run applies. */
static void sd_check_chans(struct sd_ctx *c, const struct sd_system *sys,
			   const struct sd_chan_note *notes)
{
	for (size_t i = 0; i < sys->nchans; i++) {
		const struct sd_channel *ch = &sys->chans[i];
		for (size_t j = 0; j < i && ch->name[0]; j++) {
			if (!strcmp(ch->name, sys->chans[j].name)) {
				sd_report(c, ch->line, "channel name \"%s\" is already used by the "
					  "channel at line %u; give each channel its own name",
					  ch->name, sys->chans[j].line);
				break;
			}
		}
		for (int end = 0; end < 2 && notes[i].ends_ok; end++) {
			const char *vm = end ? ch->b : ch->a;
			unsigned before = 0;
			for (size_t j = 0; j < i; j++)
				before += notes[j].ends_ok && sd_shares(&sys->chans[j], vm);
			if (before == CHANNEL_MAX)
				sd_report(c, ch->line,
					  "VM \"%s\" is in more than %d channels; a VM has at most "
					  "%d (vmm run --channel); drop this channel or connect the "
					  "VM to fewer peers", vm, CHANNEL_MAX, CHANNEL_MAX);
		}
		for (size_t j = 0; j < i && notes[i].range_ok; j++) {
			const struct sd_channel *o = &sys->chans[j];
			const char *shared = NULL;
			if (!notes[j].range_ok)
				continue;
			if (sd_shares(o, ch->a))
				shared = ch->a;
			else if (sd_shares(o, ch->b))
				shared = ch->b;
			if (!shared || !channel_collide(ch->gpa, ch->size, o->gpa, o->size))
				continue;
			sd_report_collision(c, ch, o, shared);
			break;
		}
	}
}

/* ---- links: net, console and vsock between VMs -------------------------- */

/*
 * A link names its VMs in `between`; each VM's end becomes a device of
 * that VM's monitor (system.c passes the descriptors). The limits are the
 * monitor's: one virtio-net device per VM (so a VM is on one net link, and
 * then has no `net` TAP), one vsock device (so a VM on a vsock link has a
 * `vsock` key with its CID, and is on one vsock link), and a console link
 * is a port pair, exactly two VMs.
 */
static const char *const sd_link_keys[] = {"name", "type", "between", "macs", NULL};
static const char *const sd_link_types[] = {[SD_LINK_NET] = "net",
					    [SD_LINK_CONSOLE] = "console",
					    [SD_LINK_VSOCK] = "vsock", NULL};
static const char sd_link_example[] =
	"links = ( { name = \"lan\"; type = \"net\"; between = [ \"a\", \"b\" ]; } );";

const char *sd_link_type_name(enum sd_link_type t)
{
	return (unsigned)t < 3 ? sd_link_types[t] : "?";
}

void sd_link_mac(const char *link, const char *vm, uint8_t mac[6])
{
	/* FNV-1a over "hvvmm-link:LINK/VM", as net.c derives a TAP's MAC. */
	uint64_t h = 0xcbf29ce484222325ull;
	const char *parts[] = {"hvvmm-link:", link, "/", vm};
	for (size_t i = 0; i < 4; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

static size_t sd_vm_index(const struct sd_system *sys, const struct sd_vm *vm)
{
	return (size_t)(vm - sys->vms);
}

/* `macs`, one per VM of between, in its order: each must be a unicast
 * address vmm run --net takes. */
static void sd_parse_macs(struct sd_ctx *c, const config_setting_t *s, struct sd_link *l,
			  bool ends_ok)
{
	char q[80];
	if (l->type != SD_LINK_NET) {
		sd_report(c, sd_line(s), "macs is for net links only; remove it from this %s link",
			  sd_link_type_name(l->type));
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		sd_wrong_type(c, s, "an array of MAC addresses",
			      "macs = [ \"02:00:00:00:00:01\", \"02:00:00:00:00:02\" ];");
		return;
	}
	int n = config_setting_length(s);
	if (ends_ok && (unsigned)n != l->n) {
		sd_report(c, sd_line(s), "macs has %d entr%s but between names %u VMs; give one "
			  "MAC per VM, in between's order, or leave macs out (derived from the "
			  "link and VM names)", n, n == 1 ? "y" : "ies", l->n);
		return;
	}
	for (int i = 0; i < n && i < SD_MAX_VMS; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		char arg[64], err[256];
		struct net_cfg nc;
		if (config_setting_type(e) != CONFIG_TYPE_STRING || !v) {
			sd_report(c, sd_line(e), "macs: element %d is %s, expected a MAC address like "
				  "\"02:00:00:00:00:01\"", i + 1, sd_type_name(e));
			continue;
		}
		/* vmm run's own parser decides (the form and unicast). */
		if (strlen(v) > 17 || strchr(v, ',') ||
		    (snprintf(arg, sizeof(arg), "tap=x,mac=%s", v),
		     net_parse_option(arg, &nc, err, sizeof(err)))) {
			sd_report(c, sd_line(e), "macs: %s is not a unicast MAC address; write it "
				  "like \"02:00:00:00:00:01\" (the first octet even)", SD_Q(v, q));
			continue;
		}
		if (ends_ok)
			memcpy(l->mac[i], nc.mac, 6);
	}
}

static void sd_parse_link(struct sd_ctx *c, const config_setting_t *g, const struct sd_system *sys,
			  const struct sd_vm_note *notes, struct sd_link *l, bool *ok)
{
	const config_setting_t *s;
	const char *str;
	char q[80], list[64];
	*ok = false;
	l->line = sd_line(g);
	sd_check_keys(c, g, sd_link_keys, "in a link");

	int r = sd_get_str(c, g, "type", "type = \"net\";", &s, &str);
	bool type_ok = false;
	sd_join(sd_link_types, list, sizeof(list));
	if (r == 0) {
		sd_report(c, l->line, "a link without a type; add type = \"net\"; (one of %s)", list);
	} else if (r > 0) {
		for (unsigned t = 0; sd_link_types[t]; t++)
			if (!strcmp(str, sd_link_types[t])) {
				l->type = (enum sd_link_type)t;
				type_ok = true;
			}
		if (!type_ok) {
			const char *near = sd_suggest(str, sd_link_types, 3);
			if (near)
				sd_report(c, sd_line(s), "type = %s is not a link type; did you mean "
					  "\"%s\"? (%s)", SD_Q(str, q), near, list);
			else
				sd_report(c, sd_line(s), "type = %s is not a link type; give one "
					  "of %s", SD_Q(str, q), list);
		}
	}
	/* A vsock link needs no name (the CIDs address it); the others are
	 * named by it: the console port's name in the guest. */
	bool name_ok;
	if (type_ok && l->type == SD_LINK_VSOCK && !config_setting_get_member(g, "name")) {
		snprintf(l->name, sizeof(l->name), "vsock");
		name_ok = true;
	} else {
		name_ok = sd_get_name(c, g, "a link", l->name);
	}

	bool ends_ok = false;
	s = config_setting_get_member(g, "between");
	if (!s) {
		sd_report(c, l->line, "a link without between; add between = [ \"VM1\", \"VM2\" ]; "
			  "naming the VMs it connects");
	} else if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
		   config_setting_type(s) != CONFIG_TYPE_LIST) {
		sd_wrong_type(c, s, "an array of VM names", "between = [ \"a\", \"b\" ];");
	} else {
		int n = config_setting_length(s);
		if (type_ok && l->type == SD_LINK_CONSOLE && n != 2) {
			sd_report(c, sd_line(s), "between has %d entr%s; a console link is a port "
				  "pair: name exactly two VMs", n, n == 1 ? "y" : "ies");
		} else if (n < 2) {
			sd_report(c, sd_line(s), "between has %d entr%s; a link connects two or "
				  "more VMs, like between = [ \"a\", \"b\" ];", n, n == 1 ? "y" : "ies");
		} else if (n > SD_MAX_VMS) {
			sd_report(c, sd_line(s), "between has %d entries, more than the %d VMs a "
				  "system has", n, SD_MAX_VMS);
		} else {
			ends_ok = true;
			for (int i = 0; i < n; i++) {
				const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
				char name[SD_NAME_MAX];
				if (!sd_parse_end(c, e, i + 1, sys, notes, name)) {
					ends_ok = false;
					continue;
				}
				size_t vi = sd_vm_index(sys, sd_find_vm(sys, notes, name));
				bool twice = false;
				for (unsigned j = 0; j < l->n && !twice; j++)
					twice = l->vm[j] == vi;
				if (twice) {
					sd_report(c, sd_line(e), "between names VM \"%s\" twice; a "
						  "VM has one end of a link", name);
					ends_ok = false;
					continue;
				}
				l->vm[l->n++] = (unsigned)vi;
			}
		}
	}
	if (ends_ok && type_ok && l->type == SD_LINK_NET)
		for (unsigned i = 0; i < l->n; i++)
			sd_link_mac(l->name, sys->vms[l->vm[i]].name, l->mac[i]);
	s = config_setting_get_member(g, "macs");
	if (s && type_ok)
		sd_parse_macs(c, s, l, ends_ok);
	*ok = ends_ok && type_ok && name_ok;
}

/* Cross checks of the links: names, the monitor's one net and one vsock
 * device per VM, a CID for every VM on a vsock link, no MAC twice on a
 * segment. */
static void sd_check_links(struct sd_ctx *c, const struct sd_system *sys,
			   const struct sd_vm_note *notes, const bool *ok)
{
	char lab[64];
	for (size_t i = 0; i < sys->nlinks; i++) {
		const struct sd_link *l = &sys->links[i];
		for (size_t j = 0; j < i && l->name[0]; j++) {
			if (!strcmp(l->name, sys->links[j].name)) {
				sd_report(c, l->line, "link name \"%s\" is already used by the link at "
					  "line %u; give each link its own name", l->name,
					  sys->links[j].line);
				break;
			}
		}
		if (!ok[i])
			continue;
		for (unsigned k = 0; k < l->n; k++) {
			const struct sd_vm *vm = &sys->vms[l->vm[k]];
			const struct sd_vm_note *n = &notes[l->vm[k]];
			sd_vm_label(vm, n, lab, sizeof(lab));
			if (l->type == SD_LINK_NET && (vm->net || n->tap[0]))
				sd_report(c, l->line, "%s has a TAP (net, line %u) and is on net link "
					  "\"%s\"; a VM has one virtio-net device: remove its net "
					  "key or take it off the link", lab, n->net_line, l->name);
			if (l->type == SD_LINK_VSOCK && !vm->vsock && !n->vsock.cid_ok &&
			    !n->vsock.uds_ok)
				sd_report(c, l->line, "%s is on vsock link \"%s\" without a CID; give "
					  "it vsock = { cid = N; uds = \"...\"; }; (N >= 3, its own)",
					  lab, l->name);
			for (size_t j = 0; j < i; j++) {
				const struct sd_link *o = &sys->links[j];
				bool in = false;
				if (!ok[j] || o->type != l->type || l->type == SD_LINK_CONSOLE)
					continue;
				for (unsigned m = 0; m < o->n && !in; m++)
					in = o->vm[m] == l->vm[k];
				if (!in)
					continue;
				sd_report(c, l->line, "%s is on %s link \"%s\" (line %u) too; a VM has "
					  "one virtio-%s device, so it is on one %s link: join the "
					  "two links into one", lab, sd_link_type_name(l->type),
					  o->name, o->line, sd_link_type_name(l->type),
					  sd_link_type_name(l->type));
				break;
			}
			for (unsigned m = 0; m < k && l->type == SD_LINK_NET; m++) {
				if (memcmp(l->mac[m], l->mac[k], 6))
					continue;
				sd_report(c, l->line, "net link \"%s\": %s and \"%s\" have the same MAC "
					  "%02x:%02x:%02x:%02x:%02x:%02x; give each VM its own",
					  l->name, lab, sys->vms[l->vm[m]].name, l->mac[k][0],
					  l->mac[k][1], l->mac[k][2], l->mac[k][3], l->mac[k][4],
					  l->mac[k][5]);
				break;
			}
		}
	}
}

/* `why` says where the limit `max` comes from, for the message. */
static const config_setting_t *sd_get_list(struct sd_ctx *c, const config_setting_t *root,
					   const char *key, const char *example, int max,
					   const char *why)
{
	const config_setting_t *s = config_setting_get_member(root, key);
	if (!s)
		return NULL;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		sd_wrong_type(c, s, "a list ( ) of groups", example);
		return NULL;
	}
	if (config_setting_length(s) > max) {
		sd_report(c, sd_line(s), "%s has %d entries, more than %d (%s); split the system",
			  key, config_setting_length(s), max, why);
		return NULL;
	}
	return s;
}

/* The groups of a list, in order; other entries are reported and left out. */
static size_t sd_groups(struct sd_ctx *c, const config_setting_t *list, const char *key,
			const char *example, const config_setting_t **out)
{
	size_t n = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(e) == CONFIG_TYPE_GROUP)
			out[n++] = e;
		else
			sd_report(c, sd_line(e),
				  "%s: entry %d is %s, expected a group; write it like %s",
				  key, i + 1, sd_type_name(e), example);
	}
	return n;
}

static void sd_parse_root(struct sd_ctx *c, const config_setting_t *root, struct sd_system *sys)
{
	const config_setting_t *s;
	const char *str;

	sd_check_keys(c, root, sd_root_keys, "at the top level");
	int r = sd_get_str(c, root, "log_dir", "log_dir = \"logs\";", &s, &str);
	if (r > 0 && !*str)
		sd_report(c, sd_line(s), "log_dir = \"\" is empty; give a directory, such as "
			  "\"logs\"");
	sys->log_dir = sd_xstrdup(r > 0 ? str : "logs");

	static const char vm_example[] = "vms = ( { name = \"ping\"; kernel = \"...\"; } );";
	static const char chan_example[] = "channels = ( { name = \"pp\"; between = [ \"ping\", "
					   "\"pong\" ]; gpa = \"0xe0000000\"; } );";
	const config_setting_t *vl = sd_get_list(c, root, "vms", vm_example, SD_MAX_VMS,
						 "the VMs whose consoles vmm system serves");
	if (!vl) {
		if (!config_setting_get_member(root, "vms"))
			sd_report(c, 1,
				  "no vms; add vms = ( { name = \"...\"; kernel = \"...\"; } );");
		return;
	}
	if (config_setting_length(vl) == 0) {
		sd_report(c, sd_line(vl), "vms is empty; add at least one VM: vms = ( { name = "
			  "\"...\"; kernel = \"...\"; } );");
		return;
	}
	size_t n = (size_t)config_setting_length(vl);
	const config_setting_t **g = sd_xrealloc(NULL, n * sizeof(*g));
	sys->nvms = sd_groups(c, vl, "vms", vm_example, g);
	sys->vms = sd_xrealloc(NULL, n * sizeof(*sys->vms));
	memset(sys->vms, 0, n * sizeof(*sys->vms));
	struct sd_vm_note *vn = sd_xrealloc(NULL, n * sizeof(*vn));
	memset(vn, 0, n * sizeof(*vn));
	for (size_t i = 0; i < sys->nvms; i++)
		sd_parse_vm(c, g[i], &sys->vms[i], &vn[i]);
	sd_check_vms(c, vl, sys, vn);
	sd_check_devs(c, sys, vn);
	sd_check_passthrough(c, sys);
	free(g);

	char why[96];
	snprintf(why, sizeof(why), "%d VMs with %d channels each", SD_MAX_VMS, CHANNEL_MAX);
	const config_setting_t *cl = sd_get_list(c, root, "channels", chan_example,
						 SD_MAX_CHANNELS, why);
	if (cl && config_setting_length(cl) > 0) {
		n = (size_t)config_setting_length(cl);
		g = sd_xrealloc(NULL, n * sizeof(*g));
		sys->nchans = sd_groups(c, cl, "channels", chan_example, g);
		sys->chans = sd_xrealloc(NULL, n * sizeof(*sys->chans));
		memset(sys->chans, 0, n * sizeof(*sys->chans));
		struct sd_chan_note *cn = sd_xrealloc(NULL, n * sizeof(*cn));
		memset(cn, 0, n * sizeof(*cn));
		for (size_t i = 0; i < sys->nchans; i++)
			sd_parse_chan(c, g[i], sys, vn, &sys->chans[i], &cn[i]);
		sd_check_chans(c, sys, cn);
		free(cn);
		free(g);
	}
	const config_setting_t *ll = sd_get_list(c, root, "links", sd_link_example,
						 SD_MAX_LINKS, "SD_MAX_LINKS");
	if (ll && config_setting_length(ll) > 0) {
		n = (size_t)config_setting_length(ll);
		g = sd_xrealloc(NULL, n * sizeof(*g));
		sys->nlinks = sd_groups(c, ll, "links", sd_link_example, g);
		sys->links = sd_xrealloc(NULL, n * sizeof(*sys->links));
		memset(sys->links, 0, n * sizeof(*sys->links));
		bool *lok = sd_xrealloc(NULL, n * sizeof(*lok));
		for (size_t i = 0; i < sys->nlinks; i++)
			sd_parse_link(c, g[i], sys, vn, &sys->links[i], &lok[i]);
		sd_check_links(c, sys, vn, lok);
		free(lok);
		free(g);
	}
	free(vn);
}

/*
 * A pass over the raw text before libconfig reads it, for two things
 * libconfig 1.5 (Debian's) gets wrong for us:
 *
 * - An integer without the L suffix is read into an int with atoi() or
 *   strtoul(), so "3000000000" silently becomes -1294967296 and "pin =
 *   4294967296" becomes CPU 0; libconfig 1.7 reads the same text as a 64-bit
 *   value. A description must mean one thing, so such integers are refused
 *   here, on the text.
 * - @include opens any file named (a FIFO or /dev/stdin would block). A
 *   description is one self-contained file, so @include is refused.
 *
 * The scan follows libconfig's lexical rules: '#' and '//' comments to the
 * end of the line, C comments, strings with backslash escapes, names
 * [A-Za-z*][-A-Za-z0-9_*]*, numbers. Returns true when it found @include
 * (the text must not be given to libconfig).
 */
static bool sd_scan(struct sd_ctx *c, const char *t)
{
	unsigned line = 1;
	bool include = false;
	char num[32];
	while (*t) {
		if (*t == '\n') {
			line++;
			t++;
		} else if (*t == '#' || (t[0] == '/' && t[1] == '/')) {
			while (*t && *t != '\n')
				t++;
		} else if (t[0] == '/' && t[1] == '*') {
			for (t += 2; *t && !(t[0] == '*' && t[1] == '/'); t++)
				line += *t == '\n';
			t += *t ? 2 : 0;
		} else if (*t == '"') {
			for (t++; *t && *t != '"'; t++) {
				if (*t == '\\' && t[1])
					t++;
				line += *t == '\n';
			}
			t += *t ? 1 : 0;
		} else if (*t == '@') {
			if (!strncmp(t, "@include", 8)) {
				sd_report(c, line,
					  "@include is not supported; put the whole system in this "
					  "one file");
				include = true;
			}
			t++;
		} else if (isalpha((unsigned char)*t) || *t == '*') {
			while (isalnum((unsigned char)*t) || *t == '-' || *t == '_' || *t == '*')
				t++;
		} else if (isdigit((unsigned char)*t) ||
			   ((*t == '-' || *t == '+') && isdigit((unsigned char)t[1]))) {
			const char *start = t;
			bool hex = false;
			t++;
			if (t[-1] == '0' && (*t == 'x' || *t == 'X'))
				hex = true;
			else if ((t[-1] == '-' || t[-1] == '+') && t[0] == '0' &&
				 (t[1] == 'x' || t[1] == 'X'))
				hex = true;
			while (isalnum((unsigned char)*t) || *t == '.' ||
			       ((*t == '-' || *t == '+') && !hex && (t[-1] == 'e' || t[-1] == 'E')))
				t++;
			size_t len = (size_t)(t - start);
			bool l64 = len > 1 && (start[len - 1] == 'L' || start[len - 1] == 'l');
			size_t digits = len - (l64 ? 1 : 0);
			if (l64 && digits > 1 && toupper((unsigned char)start[digits - 1]) == 'L')
				digits--;
			/* Only plain integers; floats and junk are libconfig's to judge. */
			size_t first = ((*start == '-' || *start == '+') ? 1 : 0) + (hex ? 2 : 0);
			bool integer = digits > first;
			for (size_t i = first; i < digits; i++)
				integer &= hex ? isxdigit((unsigned char)start[i]) != 0
					       : isdigit((unsigned char)start[i]) != 0;
			if (!integer)
				continue;
			/* Longer than any 64-bit number (or absurdly zero-padded). */
			bool fits = digits < sizeof(num);
			if (fits) {
				char *end;
				memcpy(num, start, digits);
				num[digits] = '\0';
				errno = 0;
				long long v = strtoll(num, &end, hex ? 16 : 10);
				fits = !errno && (l64 || (v >= INT32_MIN && v <= INT32_MAX));
			} else {
				snprintf(num, sizeof(num), "%.*s...", 24, start);
			}
			if (!fits)
				sd_report(c, line,
					  "%s%s is too large for %s integer; write it as a string "
					  "(\"%s\")%s",
					  num, l64 ? "L" : "",
					  l64 ? "a 64-bit" : "a plain (32-bit)", num,
					  l64 ? "" : " or with the L suffix");
		} else {
			t++;
		}
	}
	return include;
}

static void sd_parse_error(struct sd_ctx *c, const config_t *cf)
{
	const char *what = config_error_text(cf) ? config_error_text(cf) : "unreadable";
	int line = config_error_line(cf);
	unsigned l = line > 0 ? (unsigned)line : 0;
	if (!strcmp(what, "duplicate setting name"))
		sd_report(c, l,
			  "a key is given twice in one group (libconfig: %s); keep one", what);
	else
		sd_report(c, l,
			  "%s (libconfig); check this line and the one before: settings are key = "
			  "value; groups { }, lists ( ), arrays [ ], strings in double quotes",
			  what);
}

static int sd_cmp_problem(const void *a, const void *b)
{
	const struct sd_problem *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Moves the problems, sorted into file order and capped, into errs. */
static void sd_hand_over(struct sd_ctx *c, struct sd_errors *errs)
{
	if (c->n > 1)
		qsort(c->p, c->n, sizeof(*c->p), sd_cmp_problem);
	size_t keep = c->n > SD_MAX_ERRORS ? SD_MAX_ERRORS : c->n;
	errs->msg = sd_xrealloc(NULL, (keep + 1) * sizeof(char *));
	for (size_t i = 0; i < keep; i++)
		errs->msg[i] = c->p[i].msg;
	for (size_t i = keep; i < c->n; i++)
		free(c->p[i].msg);
	errs->n = keep;
	if (keep < c->n) {
		size_t len = strlen(c->file) + 96;
		errs->msg[keep] = sd_xrealloc(NULL, len);
		snprintf(errs->msg[keep], len, "%s: %zu more problems not shown; fix these first",
			 c->file, c->n - keep);
		errs->n++;
	}
	free(c->p);
	c->p = NULL;
	c->n = c->cap = 0;
}

static void sd_host(struct sd_ctx *c)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	c->ncpus = n > 0 ? n : 0;
	c->ram = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

int sd_load_string(const char *text, size_t len, const char *name, struct sd_system *out,
		   struct sd_errors *errs)
{
	struct sd_ctx c = {.file = name};
	struct sd_system sys = {0};

	memset(out, 0, sizeof(*out));
	errs->msg = NULL;
	errs->n = 0;
	sd_host(&c);

	const char *nul = memchr(text, '\0', len);
	if (nul) {
		unsigned line = 1;
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		sd_report(&c, line, "a NUL byte; a system description is a text file");
		sd_hand_over(&c, errs);
		return -1;
	}
	if (len > SD_MAX_FILE) {
		sd_report(&c, 0, "larger than %uK; a system description is a short text file",
			  SD_MAX_FILE >> 10);
		sd_hand_over(&c, errs);
		return -1;
	}
	char *buf = sd_xrealloc(NULL, len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';

	if (sd_scan(&c, buf)) {
		free(buf);
		sd_hand_over(&c, errs);
		return -1;
	}
	config_t cf;
	config_init(&cf);
	if (config_read_string(&cf, buf) != CONFIG_TRUE) {
		/* The syntax is wrong: whatever the scan found may be noise. */
		sd_drop_reports(&c);
		sd_parse_error(&c, &cf);
	} else if (c.n == 0) {
		sd_parse_root(&c, config_root_setting(&cf), &sys);
	}
	config_destroy(&cf);
	free(buf);

	if (c.n) {
		sd_free(&sys);
		sd_hand_over(&c, errs);
		return -1;
	}
	free(c.p);
	sys.file = sd_xstrdup(name);
	*out = sys;
	return 0;
}

int sd_load(const char *path, struct sd_system *out, struct sd_errors *errs)
{
	struct sd_ctx c = {.file = path};
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t r;

	memset(out, 0, sizeof(*out));
	errs->msg = NULL;
	errs->n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sd_report(&c, 0, "cannot open it: %s; give the path of a system description",
			  strerror(errno));
		sd_hand_over(&c, errs);
		return -1;
	}
	/* Read one byte past the limit so that "too large" is seen as such. */
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 8192;
			buf = sd_xrealloc(buf, cap);
		}
		r = read(fd, buf + len, cap - len);
		if (r > 0)
			len += (size_t)r;
	} while ((r > 0 || (r < 0 && errno == EINTR)) && len <= SD_MAX_FILE);
	int err = errno;
	close(fd);
	if (r < 0) {
		free(buf);
		sd_report(&c, 0, "cannot read it: %s; give the path of a system description",
			  strerror(err));
		sd_hand_over(&c, errs);
		return -1;
	}
	int ret = sd_load_string(buf ? buf : "", len, path, out, errs);
	free(buf);
	return ret;
}

void sd_free(struct sd_system *s)
{
	for (size_t i = 0; i < s->nvms; i++) {
		free(s->vms[i].kernel);
		free(s->vms[i].initrd);
		free(s->vms[i].cmdline);
		for (unsigned d = 0; d < s->vms[i].ndisks; d++) {
			free(s->vms[i].disks[d].path);
			free(s->vms[i].disks[d].arg);
		}
		free(s->vms[i].disks);
		free(s->vms[i].net);
		free(s->vms[i].vsock);
	}
	free(s->vms);
	free(s->chans);
	free(s->links);
	free(s->file);
	free(s->log_dir);
	memset(s, 0, sizeof(*s));
}

void sd_errors_free(struct sd_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

const char *sd_on_exit_name(enum sd_on_exit e)
{
	return (unsigned)e < 3 ? sd_exit_names[e] : "?";
}
