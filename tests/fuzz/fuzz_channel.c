/* libFuzzer target: the --channel option parser (channel_parse), which
 * takes user input. Every accepted value must satisfy the invariants the
 * set-up code relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512], err[256];
	struct channel_cfg c;
	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (channel_parse(s, &c, err, sizeof(err)) == 0) {
		if ((c.gpa | c.size) & 0xfff || c.size == 0 || c.gpa < CHANNEL_WINDOW_START ||
		    c.gpa + c.size + 0x1000 > CHANNEL_WINDOW_END || c.gpa + c.size < c.gpa ||
		    (c.size & (c.size - 1)) || c.gpa % c.size || c.mem_fd < 0 || c.out_fd < 0 ||
		    c.in_fd < 0 || strlen(c.name) > CHANNEL_NAME_MAX ||
		    strlen(c.peer) > CHANNEL_NAME_MAX || strchr(c.name, ',') || strchr(c.peer, ','))
			abort();
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	return 0;
}
