/*
 * The multiboot loader, proved with WP (tests/prove/README.md, "The
 * multiboot loader"): what load_multiboot calls that is not proved in its
 * run, taken as an assumption. load_multiboot's own contract is in
 * loader_wp.c beside load_bzimage's, with the predicates they share.
 */
#include "loader.h"
#include "loader_priv.h"

#include "elf_load_contract.h"
