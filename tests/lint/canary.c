/* canary: two known bugs that `make lint` must report, one per analyser,
 * so that a tool which silently stops working (a flag it no longer
 * accepts, a file it cannot parse) fails the lint instead of passing it.
 * Never built. */
#include <stddef.h>

int canary_null(int take);
int canary_oob(void);

/* clang core.NullDereference: p is NULL when take is 0. */
int canary_null(int take)
{
	int x = 1, *p = NULL;
	if (take)
		p = &x;
	return *p;
}

/* cppcheck arrayIndexOutOfBounds: a[4] is one past the end. */
int canary_oob(void)
{
	int a[4] = {0};
	return a[4];
}
