#!/usr/bin/env python3
"""make prove: the Frama-C proofs of tests/prove/ (README.md there says what
each proves and under which assumptions).

Each proof is one Frama-C run; it passes when every goal is proved (WP),
but for the goals it names as beyond WP's typed memory model (README.md,
"Model limits", says why each holds), or no alarm is left (EVA). Each
deliberately broken copy (tests/prove/broken/, or a mutant made here from
the source under proof, so it follows that source's edits) is run through
the proof of the function it copies and must fail it, so a proof is shown
to check something. Prints one line per run and the time.

Exit status 0 when all hold, 1 otherwise, 77 when Frama-C or a prover is
missing (tests/run.py counts a skip).
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

CPP = ('-D_GNU_SOURCE -Isrc/vmm -Isrc/vmm/virtio -Isrc/vmm/dev -Isrc/vmm/arch/x86 '
       '-Isrc/vmm/boot -Isrc/common -include tests/prove/stubs.h')
VIRTQ_FILES = ['tests/prove/guestmem_wp.c', 'tests/prove/virtq_wp.c']
VIRTQ_FCT = ['-wp-fct', 'virtq_pop,walk,read_desc,fail,load16,store16_full']
# The rest of virtq.c's guest-facing code, in two runs: the queue's
# used-ring and notification functions, and the chain copies (with
# prove_chain_bufs, virtq_wp.c: what virtq_pop's chain gives them).
VIRTQ_RING_FCT = ['-wp-fct', 'virtq_push,store32,virtq_need_notify,virtq_notify_on,'
                  'virtq_notify_off,virtq_pending']
VIRTQ_CHAIN_FCT = ['-wp-fct', 'prove_chain_bufs,copy_bytes,chain_copy,virtq_chain_read,'
                   'virtq_chain_write,virtq_chain_iov']
# virtq_init: the checks of the guest's size and ring addresses, which
# establish virtq_ok (virtq.h), what every run above assumes.
VIRTQ_INIT_FCT = ['-wp-fct', 'virtq_init,pow2,avail_bytes,used_bytes']

# WP goals left unproved by design (README.md, "Model limits"): a memcpy
# into the monitor's own object of exactly the size copied, which the typed
# model does not see as bytes. Each pattern must match whole goal names.
MEMCPY_DEST = {
    'read_desc': r'typed_cast_read_desc_(call_memcpy_requires_(valid_dest|separation)'
                 r'|assigns_(exit|normal))',
    'virtq_pop': r'typed_cast_virtq_pop_call_memcpy_requires_valid_dest(_part\d+)?',
}
# WP: the Typed memory model with casts accepted. The only casts in the
# proved code are between uint8_t * and void * (which WP types as char *),
# both byte pointers, where the model stays sound. Every goal is split by
# case. Each prover gets 40 s of wall time per goal: every goal of the
# proved code takes a few seconds at most alone, but a busy machine shares
# its CPU among other work too, and a goal that times out fails its run. The mutants' runs, which are to
# fail, mostly give 5 or 10 s.
PROVER_S = '40'
WP = ['-wp', '-wp-rte', '-wp-model', 'Typed+cast', '-wp-split', '-wp-prover', 'cvc4,z3',
      '-wp-timeout', PROVER_S]
# The virtqueue's goals are many and CVC4 does all of them that Z3 does.
WP_VIRTQ = ['-wp', '-wp-rte', '-wp-model', 'Typed+cast', '-wp-split', '-wp-prover', 'cvc4',
            '-wp-timeout', PROVER_S]

# EVA: every host call it meets without a body or a contract (pthread
# condition attributes) is given Frama-C's default one (it writes nothing
# but its result), which is what they do to the modelled state.
EVA = ['-eva', '-eva-slevel', '50', '-eva-warn-key', 'libc:unsupported-spec=inactive']

# The loaders (README.md, "The loaders' header parsing"): the contracts of
# loader.c's and guestmem.c's helpers in loader_wp.c, C11 for the
# _Static_assert of the boot ABI headers; CVC4 alone (Z3 answers "unknown
# error" on these goals too).
LOADER_WP = ['-c11', '-wp', '-wp-rte', '-wp-model', 'Typed+cast', '-wp-prover', 'cvc4',
             '-wp-timeout', PROVER_S]
# The multiboot run calls ldr_err without the message's arguments
# (loader_priv.h, PROVE_LDR_ERR, says why): the variadic call's translation
# makes the check of its many error returns take minutes.
LOADER_WP_PLAIN = LOADER_WP + ['-DPROVE_LDR_ERR=prove_ldr_err']
READERS = 'ldr_has,ldr_read_le,ldr_read_u8,ldr_read_u16,ldr_read_u32,ldr_read_u64'
BZ_FILES = ['tests/prove/guestmem_wp.c', 'tests/prove/loader_wp.c']
PVH_FILES = ['tests/prove/loader_wp.c']
IMAGE_FILES = ['tests/prove/guestmem_wp.c', 'tests/prove/image_wp.c']
IMAGE_WP = LOADER_WP + ['-Isrc/vmm/arch/arm64', '-DPROVE_IMAGE_ERR=prove_image_err']
ELF_FILES = BZ_FILES  # the same: gm_ptr's contract and the loader's helpers
# The segment loader's runs: the same, and the contracts of elf64.c's
# entry points (elf64_wp.c, elf_load_contract.h).
ELF_LOAD_FILES = ELF_FILES + ['tests/prove/elf64_wp.c', 'src/vmm/boot/elf64.c']
# load_elf64: with the memory map's writer, ldr_put_e820 (load_bzimage's
# too), and the little-endian writers of loader_priv.h that every boot
# block is written with.
ELF64_FCT = 'load_elf64,ldr_put_e820,ldr_put_le,ldr_put_u16,ldr_put_u32,ldr_put_u64'
MB_FILES = BZ_FILES  # the same stand-ins: guest memory and the loader's readers

# The PCI harness: an MSI-X table of 3 vectors (48 bytes, a PBA of 8),
# offsets 0..63 for both, one EVA state per width and offset.
PCI_EVA = ['-DPROVE_NVEC=3', '-DPROVE_OFF_MAX=63', '-eva-split-limit', '2000']
# The low end of the range pci_msix_init takes (1..PCI_MSIX_MAX_VECTORS,
# pci.h): 1 vector, a table of 16 bytes, a PBA of 8, offsets past both.
# EVA takes the size as a constant; every size 1..64 is the WP runs' below.
PCI_EVA_1 = ['-DPROVE_NVEC=1', '-DPROVE_OFF_MAX=63', '-eva-split-limit', '2000']
# The MSI-X table and PBA under WP, for every table size at once (nvec a
# parameter: pci_msix_ok, pci.h): the entry points' contracts in
# pci_msix_wp.c, the callbacks through its stand-ins (pci.c, MSIX_SEND).
PCI_MSIX_FILES = ['tests/prove/pci_msix_wp.c']
PCI_MSIX_WP = WP + ['-DPROVE_MSIX_SEND=prove_msix_send', '-DPROVE_MSIX_UPDATE=prove_msix_update',
                    '-DPROVE_MSIX_WP']
PCI_MSIX_IO = 'pci_msix_table_io,pci_msix_pba_io,msix_word,msix_access_ok,put32,get32'
PCI_MSIX_REST = 'pci_msix_notify,pci_msix_cfg_written,pci_msix_enabled,msix_sync,msix_vec_live,msix_addr'

# The runs `make test` leaves out for their time: each takes one to five
# minutes of CPU (README.md gives each one's), and together they are more
# than half of the whole. `make prove` runs every run (`--all`); CI runs
# these after `make test` (`make prove-slow`, `--slow`). Every mutant is in
# `make test`, the mutants of these runs' proofs too.
SLOW = set()


def slow(p):
    SLOW.add(p[0])
    return p


PROOFS = [
    # (name, files, options, expect, admitted): expect 'proved', 'fails', or
    # ('fails', regex): fails, and on a goal whose name the regex matches;
    # admitted: {what: regex} of goals left to the model's limits.
    ('guestmem: gm_ptr (WP)',
     ['tests/prove/guestmem_wp.c', 'src/vmm/guestmem.c'], WP + ['-wp-fct', 'gm_ptr'], 'proved',
     {}),
    ('broken/gm_ptr_off_by_one.c through the gm_ptr proof (WP)',
     ['tests/prove/guestmem_wp.c', 'tests/prove/broken/gm_ptr_off_by_one.c'],
     WP + ['-wp-fct', 'gm_ptr', '-wp-timeout', '10'], 'fails', {}),
    slow(('virtq: virtq_pop and the walk (WP)',
     VIRTQ_FILES + ['src/vmm/virtio/virtq.c'], WP_VIRTQ + VIRTQ_FCT, 'proved', MEMCPY_DEST)),
    ('virtq: virtq_push, the notification state, virtq_pending (WP)',
     VIRTQ_FILES + ['src/vmm/virtio/virtq.c'], WP_VIRTQ + VIRTQ_RING_FCT, 'proved', {}),
    slow(('virtq: the chain copies, virtq_chain_read/write/iov (WP)',
     VIRTQ_FILES + ['src/vmm/virtio/virtq.c'], WP_VIRTQ + VIRTQ_CHAIN_FCT, 'proved', {})),
    ('virtq: virtq_init, the queue set up virtq_ok or refused (WP)',
     VIRTQ_FILES + ['src/vmm/virtio/virtq.c'], WP_VIRTQ + VIRTQ_INIT_FCT, 'proved', {}),
    ('uart16550: any sequence of guest accesses and host input (EVA)',
     ['src/vmm/arch/x86/uart16550.c', 'tests/prove/uart_eva.c'], EVA, 'proved', {'coverage': 95}),
    ('mutant uart16550.c, receive FIFO index bound off by one (EVA)',
     ['@mutant:uart_fifo_off_by_one.c', 'tests/prove/uart_eva.c'], EVA, 'fails', {}),
    slow(('pci: configuration space and MSI-X, any sequence of guest accesses (EVA)',
     ['src/vmm/dev/pci.c', 'tests/prove/pci_eva.c'], EVA + PCI_EVA, 'proved', {'coverage': 95})),
    ('pci: the same with the fewest vectors a device may have, 1 (EVA)',
     ['src/vmm/dev/pci.c', 'tests/prove/pci_eva.c'], EVA + PCI_EVA_1, 'proved', {'coverage': 95}),
    slow(('mutant pci.c, PBA size off by one word (EVA)',
     ['@mutant:pci_pba_off_by_one.c', 'tests/prove/pci_eva.c'], EVA + PCI_EVA, 'fails', {})),
    ('pci: MSI-X table and PBA accesses, any table size 1..64 (WP)',
     PCI_MSIX_FILES + ['src/vmm/dev/pci.c'], PCI_MSIX_WP + ['-wp-fct', PCI_MSIX_IO], 'proved', {}),
    ('pci: MSI-X notify, Message Control followed, any table size 1..64 (WP)',
     PCI_MSIX_FILES + ['src/vmm/dev/pci.c'], PCI_MSIX_WP + ['-wp-fct', PCI_MSIX_REST], 'proved',
     {}),
    ('pci: a capability added, whatever the list and the length, pci_cap_add (WP)',
     PCI_MSIX_FILES + ['src/vmm/dev/pci.c'], PCI_MSIX_WP + ['-wp-fct', 'pci_cap_add'], 'proved',
     {}),
    ('pci: the MSI-X state set up or refused, pci_msix_init, whatever the arguments (WP)',
     PCI_MSIX_FILES + ['src/vmm/dev/pci.c'], PCI_MSIX_WP + ['-wp-fct', 'pci_msix_init,put16'],
     'proved', {}),
    ('mutant pci.c, the table size checked one vector long, through pci_msix_init (WP)',
     PCI_MSIX_FILES + ['@mutant:pci_nvec_off_by_one.c'],
     PCI_MSIX_WP + ['-wp-fct', 'pci_msix_init', '-wp-prop', 'ok', '-wp-timeout', '5'],
     ('fails', r'typed_cast_pci_msix_init_ensures_ok(_part\d+)?'), {}),
    ('mutant pci.c, the capability\'s room checked one byte long, through pci_cap_add (WP)',
     PCI_MSIX_FILES + ['@mutant:pci_cap_off_by_one.c'],
     PCI_MSIX_WP + ['-wp-fct', 'pci_cap_add', '-wp-timeout', '5'],
     ('fails', r'typed_cast_pci_cap_add_(ensures|assert_rte_mem_access)\w*'), {}),
    ('mutant pci.c, PBA size off by one word, through pci_msix_pba_io (WP)',
     PCI_MSIX_FILES + ['@mutant:pci_pba_off_by_one.c'],
     PCI_MSIX_WP + ['-wp-fct', 'pci_msix_pba_io', '-wp-prop', 'pba', '-wp-timeout', '5'],
     ('fails', r'typed_cast_pci_msix_pba_io_assert_pba(_part\d+)?'), {}),
    ('mutant pci.c, table size off by one entry, through pci_msix_table_io (WP)',
     PCI_MSIX_FILES + ['@mutant:pci_table_off_by_one.c'],
     PCI_MSIX_WP + ['-wp-fct', 'pci_msix_table_io', '-wp-prop', 'entry', '-wp-timeout', '5'],
     ('fails', r'typed_cast_pci_msix_table_io_assert_entry(_part\d+)?'), {}),
    slow(('bzimage: the setup header parsing, bz_parse, and the image readers (WP)',
     BZ_FILES + ['src/vmm/arch/x86/bzimage.c'],
     LOADER_WP + ['-wp-fct', 'bz_parse,bz_runtime_start,' + READERS], 'proved', {})),
    ('mutant bzimage.c, header length check off by one, through bz_parse (WP)',
     BZ_FILES + ['@mutant:bz_version_off_by_one.c'],
     LOADER_WP + ['-wp-fct', 'bz_parse', '-wp-prop', 'fields', '-wp-timeout', '5'],
     ('fails', r'typed_cast_bz_parse_ensures_fields'), {}),
    slow(('bzimage: the whole loader, load_bzimage, with bz_locate, bz_write, '
     'bz_place_initrd, ldr_put_e820 (WP)',
     BZ_FILES + ['src/vmm/arch/x86/bzimage.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'load_bzimage,bz_locate,bz_write,bz_place_initrd,'
                        'ldr_put_e820'], 'proved', {})),
    ('mutant bzimage.c, the kernel\'s RAM checked one byte short, through bz_locate (WP)',
     BZ_FILES + ['@mutant:bz_kend_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'bz_locate', '-wp-prop', 'kernel', '-wp-timeout', '5'],
     ('fails', r'typed_cast_bz_locate_ensures_kernel(_part\d+)?'), {}),
    slow(('pvh: the PT_NOTE walk, pvh_scan (WP)',
     PVH_FILES + ['src/vmm/arch/x86/pvh.c'],
     LOADER_WP + ['-wp-fct', 'pvh_scan,pvh_addr'], 'proved', {})),
    ('mutant pvh.c, note descriptor bound off by one, through pvh_scan (WP)',
     PVH_FILES + ['@mutant:pvh_desc_off_by_one.c'],
     LOADER_WP + ['-wp-fct', 'pvh_scan', '-wp-prop', 'fields', '-wp-timeout', '5'],
     ('fails', r'typed_cast_pvh_scan_loop_invariant_fields_preserved'), {}),
    slow(('pvh: the program headers walked for notes, elf_read_notes (WP)',
     PVH_FILES + ['src/vmm/arch/x86/pvh.c'],
     LOADER_WP + ['-wp-fct', 'elf_read_notes'], 'proved', {})),
    ('elf64: the ELF header checked, elf_check_ident (WP)',
     ELF_FILES + ['src/vmm/boot/elf64.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'elf_check_ident,elf_addr,elf_layout_of'], 'proved', {}),
    slow(('elf64: one program header checked, elf_read_seg (WP)',
     ELF_FILES + ['src/vmm/boot/elf64.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'elf_read_seg'], 'proved', {})),
    ('mutant elf64.c, p_filesz bound off by one, through elf_read_seg (WP)',
     ELF_FILES + ['@mutant:elf_filesz_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'elf_read_seg', '-wp-prop', 'load', '-wp-timeout', '5'],
     ('fails', r'typed_cast_elf_read_seg_ensures_load(_part\d+)?'), {}),
    # The segment loader in two runs (CVC4 alone: Z3 gives "unknown
    # error" here too): its checks of the ELF and program header table,
    # and its two passes over the headers.
    slow(('elf64: the segments checked and loaded, elf_load_segments_at (WP)',
     ELF_LOAD_FILES, LOADER_WP_PLAIN + ['-wp-fct', 'elf_load_segments_at'], 'proved', {})),
    ('elf64: the two passes over the program headers, elf_check_segs, elf_copy_segs (WP)',
     ELF_LOAD_FILES, LOADER_WP_PLAIN + ['-wp-fct', 'elf_check_segs,elf_copy_segs'], 'proved', {}),
    ('elf64: the header checked, then the segments, elf_load_segments, against '
     'elf_load_contract.h (WP)',
     ELF_LOAD_FILES, LOADER_WP_PLAIN + ['-wp-fct', 'elf_load_segments'], 'proved', {}),
    ('elf64: the ELF64 guest loaded and its boot block written, load_elf64, with '
     'the writers ldr_put_e820 and ldr_put_* (WP)',
     ELF_LOAD_FILES, LOADER_WP_PLAIN + ['-wp-fct', ELF64_FCT], 'proved', {}),
    ('mutant elf64.c, the memory map given one entry more than its page holds, through '
     'load_elf64 (WP)',
     ELF_LOAD_FILES[:-1] + ['@mutant:elf_mmap_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'load_elf64', '-wp-timeout', '5'],
     ('fails', r'typed_cast_load_elf64_call_ldr_put_e820(_\d+)?_requires\w*'), {}),
    ('mutant elf64.c, the image taken one byte longer than the file, through '
     'elf_load_segments (WP)',
     ELF_LOAD_FILES[:-1] + ['@mutant:elf_image_size_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'elf_load_segments', '-wp-timeout', '5'],
     ('fails', r'typed_cast_elf_load_segments_call_elf_check_ident_requires.*'), {}),
    ('mutant elf64.c, program header table checked one header short, through '
     'elf_load_segments_at (WP)',
     ELF_LOAD_FILES[:-1] + ['@mutant:elf_phdrs_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'elf_load_segments_at', '-wp-prop', 'table',
                        '-wp-timeout', '5'],
     ('fails', r'typed_cast_elf_load_segments_at_(assert_table|call_elf_(check|copy)_segs'
               r'_requires_table)'), {}),
    ('multiboot: the header scan, mb_find_header (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_find_header'], 'proved', {}),
    slow(('multiboot: the address fields checked, mb_aout_check (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_aout_check,ldr_low_ok'], 'proved', {})),
    ('multiboot: the image loaded by them, mb_load_aout (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_load_aout'], 'proved', {}),
    ('mutant multiboot.c, loaded part checked one byte short, through mb_aout_check (WP)',
     MB_FILES + ['@mutant:mb_load_len_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_aout_check', '-wp-prop', 'file', '-wp-timeout', '5'],
     ('fails', r'typed_cast_mb_aout_check_ensures_file(_part\d+)?'), {}),
    ('multiboot: the initrd placed as module 0, mb_load_module (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_load_module'], 'proved', {}),
    ('mutant multiboot.c, the module\'s 4 GiB bound off by one, through mb_load_module (WP)',
     MB_FILES + ['@mutant:mb_module_4g_off_by_one.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_load_module', '-wp-prop', 'module', '-wp-timeout', '5'],
     ('fails', r'typed_cast_mb_load_module_ensures_module(_part\d+)?'), {}),
    ('multiboot: the flags, the boot block placed, the information written, '
     'mb_flags, mb_block, mb_write_info (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_flags,mb_block,mb_write_info,ldr_page_up'], 'proved', {}),
    ('mutant multiboot.c, the moved block\'s wrap to 0 unchecked, through mb_block (WP)',
     MB_FILES + ['@mutant:mb_block_wrap_unchecked.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_block', '-wp-prop', 'moved', '-wp-timeout', '5'],
     ('fails', r'typed_cast_mb_block_ensures_moved(_part\d+)?'), {}),
    ('multiboot: the whole loader, load_multiboot, with mb_load_kernel and ldr_elf_class (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c', 'tests/prove/multiboot_wp.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'load_multiboot,mb_load_kernel,ldr_elf_class'], 'proved',
     {}),
    slow(('multiboot: the module, the boot block and the command line placed and written, '
     'mb_boot, mb_place (WP)',
     MB_FILES + ['src/vmm/arch/x86/multiboot.c', 'tests/prove/multiboot_wp.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_boot,mb_place'], 'proved', {})),
    ('mutant multiboot.c, the moved command line checked without its NUL, through mb_boot (WP)',
     MB_FILES + ['@mutant:mb_cmdline_off_by_one.c', 'tests/prove/multiboot_wp.c'],
     LOADER_WP_PLAIN + ['-wp-fct', 'mb_boot', '-wp-prop', 'cmdline', '-wp-timeout', '5'],
     ('fails', r'typed_cast_mb_boot_assert_cmdline(_part\d+)?'), {}),
    ('image: the arm64 Image header read and the kernel loaded, load_linux (WP)',
     IMAGE_FILES + ['src/vmm/arch/arm64/image.c'],
     IMAGE_WP + ['-wp-fct', 'load_linux,load_elf,rd32,rd64'], 'proved', {}),
    ('image: the device tree and initrd placed, image_place (WP)',
     IMAGE_FILES + ['src/vmm/arch/arm64/image.c'],
     IMAGE_WP + ['-wp-fct', 'image_place'], 'proved', {}),
    ('image: the formats told apart, image_load, image_kind (WP)',
     IMAGE_FILES + ['src/vmm/arch/arm64/image.c'],
     IMAGE_WP + ['-wp-fct', 'image_load,image_kind'], 'proved', {}),
    ('mutant image.c, the Image header\'s length check off by one, through image_kind (WP)',
     IMAGE_FILES + ['@mutant:image_hdr_off_by_one.c'],
     IMAGE_WP + ['-wp-fct', 'image_kind', '-wp-prop', 'header', '-wp-timeout', '5'],
     ('fails', r'typed_cast_image_kind_ensures_header(_part\d+)?'), {}),
    ('mutant image.c, initrd room check off by one, through image_place (WP)',
     IMAGE_FILES + ['@mutant:image_initrd_off_by_one.c'],
     IMAGE_WP + ['-wp-fct', 'image_place', '-wp-prop', 'initrd', '-wp-timeout', '5'],
     ('fails', r'typed_cast_image_place_ensures_initrd'), {}),
    ('mutant virtq.c, a chain copy\'s piece one byte too long, through chain_copy (WP)',
     VIRTQ_FILES + ['@mutant:virtq_take_off_by_one.c'],
     WP_VIRTQ + ['-wp-fct', 'chain_copy', '-wp-prop', 'bytes', '-wp-timeout', '10'],
     ('fails', r'typed_cast_chain_copy_call_copy_bytes(_2)?_requires_bytes(_part\d+)?'), {}),
    ('mutant virtq.c, the used element\'s index mask off by one, through virtq_push (WP)',
     VIRTQ_FILES + ['@mutant:virtq_push_mask_off_by_one.c'],
     WP_VIRTQ + ['-wp-fct', 'virtq_push', '-wp-timeout', '10'],
     ('fails', r'typed_cast_virtq_push_(call_store32(_2)?_requires|set_assigns_\w+)(_part\d+)?'),
     {}),
    ('mutant virtq.c, the used ring translated one byte short, through virtq_init (WP)',
     VIRTQ_FILES + ['@mutant:virtq_init_used_short.c'],
     WP_VIRTQ + ['-wp-fct', 'virtq_init', '-wp-prop', 'ok', '-wp-timeout', '10'],
     ('fails', r'typed_cast_virtq_init_ensures_ok(_part\d+)?'), {}),
    ('mutant virtq.c, the size\'s power-of-two check dropped, through virtq_init (WP)',
     VIRTQ_FILES + ['@mutant:virtq_init_no_pow2.c'],
     WP_VIRTQ + ['-wp-fct', 'virtq_init', '-wp-prop', 'pow2', '-wp-timeout', '10'],
     ('fails', r'typed_cast_virtq_init_ensures_pow2(_part\d+)?'), {}),
    ('mutant virtq.c, chain bound off by one, through the walk proof (WP)',
     VIRTQ_FILES + ['@mutant:virtq_count_off_by_one.c'],
     WP_VIRTQ + ['-wp-fct', 'walk', '-wp-prop', 'bound', '-wp-timeout', '10'],
     ('fails', r'typed_cast_walk_loop_invariant_bound_preserved.*'), {}),
]

# Mutants: (name, source, text, replacement). The replacement must occur
# exactly once, so a mutant that no longer applies fails loudly instead of
# proving the unchanged source.
MUTANTS = {
    # The Pending Bit Array one 64-bit word longer than the vectors need:
    # a read of the word past it is taken for a pending word.
    'pci_pba_off_by_one.c': ('src/vmm/dev/pci.c', 'uint64_t size = 8 * ((x->nvec + 63) / 64);',
                             'uint64_t size = 8 * ((x->nvec + 63) / 64 + 1);'),
    # pci_msix_init taking a table of PCI_MSIX_MAX_VECTORS + 1: more
    # vectors than x->tab holds, which every MSI-X access then trusts.
    'pci_nvec_off_by_one.c': ('src/vmm/dev/pci.c', 'nvec > PCI_MSIX_MAX_VECTORS ||',
                              'nvec > PCI_MSIX_MAX_VECTORS + 1 ||'),
    # A capability allowed one byte past the configuration space: its
    # last byte (and cap_end) lie past cfg[255].
    'pci_cap_off_by_one.c': ('src/vmm/dev/pci.c', 'len > sizeof(d->cfg) - at)',
                             'len > sizeof(d->cfg) + 1 - at)'),
    # The table one entry longer than its vectors: an access past the
    # last entry reaches entry nvec, outside the table (and outside
    # x->tab when nvec is 64).
    'pci_table_off_by_one.c': ('src/vmm/dev/pci.c',
                               'msix_access_ok(off, len, (uint64_t)x->nvec * PCI_MSIX_ENTRY_SIZE)',
                               'msix_access_ok(off, len, (uint64_t)(x->nvec + 1) * PCI_MSIX_ENTRY_SIZE)'),
    # The receive FIFO's index taken modulo 17 instead of its 16 entries:
    # the byte after a full wrap lands one past the array.
    'uart_fifo_off_by_one.c': ('src/vmm/arch/x86/uart16550.c',
                               'u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;',
                               'u->rx[(u->rx_head + u->rx_count) % (UART_FIFO_SIZE + 1)] = byte;'),
    # The bound on a chain's buffers, `size`, off by one: a chain of
    # size + 1 buffers overruns c->buf when size is VIRTQ_MAX_SIZE.
    # The setup header's first check one byte short: a file that ends in
    # the middle of the protocol version is read past its end.
    'bz_version_off_by_one.c': ('src/vmm/arch/x86/bzimage.c',
                                'if (!ldr_has(im, 0, BZ_VERSION + 2))',
                                'if (!ldr_has(im, 0, BZ_VERSION + 1))'),
    # The kernel's RAM checked one byte short of what is copied: the
    # copy of the protected-mode kernel writes one byte past it.
    'bz_kend_off_by_one.c': ('src/vmm/arch/x86/bzimage.c',
                             'uint64_t kend = BZ_KERNEL_ADDR + h->payload;',
                             'uint64_t kend = BZ_KERNEL_ADDR + h->payload - 1;'),
    # A note's descriptor allowed one byte past its segment: at the end
    # of the file, the entry is read past it.
    'pvh_desc_off_by_one.c': ('src/vmm/arch/x86/pvh.c',
                              'descsz > off + len - desc_at)',
                              'descsz > off + len - desc_at + 1)'),
    # The part of the file the address fields load checked one byte
    # short: the copy into guest RAM reads one byte past the file.
    'mb_load_len_off_by_one.c': ('src/vmm/arch/x86/multiboot.c',
                                 'if (!ldr_has(im, file_off, load_len))',
                                 'if (!ldr_has(im, file_off, load_len - 1))'),
    # The module's end allowed one byte past 4 GiB: a module at 4 GiB
    # in high RAM, whose 32-bit mod_start the guest reads as 0.
    'mb_module_4g_off_by_one.c': ('src/vmm/arch/x86/multiboot.c',
                                  'size <= (1ull << 32) - start ?',
                                  'size <= (1ull << 32) - start + 1 ?'),
    # The moved boot block's page rounding not checked for its wrap to 0:
    # after a module ending near 2^64 the block lands at 0, over the
    # real-mode interrupt table and under the kernel.
    'mb_block_wrap_unchecked.c': ('src/vmm/arch/x86/multiboot.c',
                                  'if (!info || info > (1ull << 32)',
                                  'if (info > (1ull << 32)'),
    # The moved command line's range checked without its NUL: the NUL
    # is written one byte past the range gm_ptr checked.
    'mb_cmdline_off_by_one.c': ('src/vmm/arch/x86/multiboot.c',
                                'uint8_t *dst = gm_ptr(gm, b.cmdline, clen + 1);',
                                'uint8_t *dst = gm_ptr(gm, b.cmdline, clen);'),
    # A file one byte shorter than the Image header taken for an Image:
    # load_linux reads the header's last byte past the file.
    'image_hdr_off_by_one.c': ('src/vmm/arch/arm64/image.c',
                               'if (size >= IMAGE_HDR_SIZE && rd32(img + 56) == IMAGE_MAGIC)',
                               'if (size >= IMAGE_HDR_SIZE - 1 && rd32(img + 56) == IMAGE_MAGIC)'),
    # The initrd's room below the device tree off by one: an initrd one
    # byte too large overlaps the device tree.
    'image_initrd_off_by_one.c': ('src/vmm/arch/arm64/image.c', 'if (isize > room)',
                                  'if (isize > room + 1)'),
    # A segment's file part allowed one byte longer than its memory
    # part: the BSS length memsz - filesz wraps and the clear runs far
    # past the segment in guest RAM.
    'elf_filesz_off_by_one.c': ('src/vmm/boot/elf64.c', 'if (s->filesz > s->memsz)',
                                'if (s->filesz > s->memsz + 1)'),
    # The program header table checked one header short: the last
    # header elf_load_segments_at hands elf_read_seg may lie past the
    # end of the file.
    'elf_phdrs_off_by_one.c': ('src/vmm/boot/elf64.c',
                               'if (!ldr_has(&im, phoff, (uint64_t)phnum * phentsize))',
                               'if (!ldr_has(&im, phoff, (uint64_t)(phnum - 1) * phentsize))'),
    # The used ring translated one byte short of avail_event's end: a
    # queue whose used ring ends one byte before the end of RAM is taken.
    'virtq_init_used_short.c': ('src/vmm/virtio/virtq.c',
                                'q->used = gm_ptr(gm, used, used_bytes(size));',
                                'q->used = gm_ptr(gm, used, used_bytes(size) - 1);'),
    # Any size up to the maximum taken, not only powers of two: the
    # index masks (size - 1) then skip ring entries.
    'virtq_init_no_pow2.c': ('src/vmm/virtio/virtq.c',
                             'if (!pow2(size) || size > VIRTQ_MAX_SIZE)',
                             'if (size == 0 || size > VIRTQ_MAX_SIZE)'),
    # The image elf_load_segments reads taken one byte longer than the
    # file: every check of a header against it lets one byte past the
    # file through.
    'elf_image_size_off_by_one.c': (
        'src/vmm/boot/elf64.c',
        'elf_layout_of(is64);\n\tstruct ldr_img im = { req->kernel, req->kernel ? req->kernel_size :',
        'elf_layout_of(is64);\n\tstruct ldr_img im = { req->kernel, req->kernel ? 1 + req->kernel_size :'),
    # The memory map allowed one entry more than the page it is written
    # to holds: the last entry's bytes lie past the page.
    'elf_mmap_off_by_one.c': ('src/vmm/boot/elf64.c', 'ldr_put_e820(gm, mmap, ELF_MMAP_MAX,',
                              'ldr_put_e820(gm, mmap, ELF_MMAP_MAX + 1,'),
    'virtq_count_off_by_one.c': ('src/vmm/virtio/virtq.c', 'if (++count > q->size)',
                                 'if (++count > q->size + 1u)'),
    # A chain copy's piece allowed one byte more than the caller's buffer
    # has left: the last piece reads or writes one byte past it.
    'virtq_take_off_by_one.c': ('src/vmm/virtio/virtq.c', 'if (take > len - done)',
                                'if (take > len - done + 1)'),
    # The used ring's index masked with size instead of size - 1: the
    # element after the last is written past the ring, over avail_event.
    'virtq_push_mask_off_by_one.c': ('src/vmm/virtio/virtq.c',
                                     'USED_ELEM * (q->used_idx & (q->size - 1u))',
                                     'USED_ELEM * (q->used_idx & q->size)'),
}

GOALS = re.compile(r'Proved goals:\s+(\d+)\s*/\s*(\d+)')
GOAL = re.compile(r'Goal (\S+) : (\w+)|\[Failed\] Goal (\S+)')
ALARMS = re.compile(r'(\d+) alarms? generated by the analysis')
COVERAGE = re.compile(r'(\d+)% coverage')
# EVA's count of the ACSL properties it met (the sources' assertions, the
# helpers' preconditions) that it could not show valid: it goes on past
# each as if it held, so one of them hides the alarms behind it.
PROPERTIES = re.compile(r'(Assertions|Preconditions)\s+\d+ valid\s+(\d+) unknown\s+(\d+) invalid')


def why3_config(build):
    """WP finds its provers through Why3: detect them once into the build
    directory rather than the user's ~/.why3.conf."""
    conf = os.path.abspath(os.path.join(build, 'prove', 'why3.conf'))
    if not os.path.exists(conf):
        os.makedirs(os.path.dirname(conf), exist_ok=True)
        subprocess.run(['why3', 'config', 'detect'], env=dict(os.environ, WHY3CONFIG=conf),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return conf


def mutant(build, name):
    src, old, new = MUTANTS[name]
    with open(src) as f:
        text = f.read()
    if text.count(old) != 1:
        raise SystemExit('prove: mutant %s: %r is not once in %s' % (name, old, src))
    path = os.path.join(build, 'prove', 'mutants', name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text.replace(old, new))
    return path


def unproved(out):
    """Names of the WP goals no prover proved."""
    seen, valid = set(), set()
    for m in GOAL.finditer(out):
        name = m[1] or m[3]
        seen.add(name)
        if m[2] == 'Valid':
            valid.add(name)
    return sorted(seen - valid)


def run(name, files, opts, expect, admitted, env, build, par):
    t0 = time.monotonic()
    files = [mutant(build, f[len('@mutant:'):]) if f.startswith('@mutant:') else f
             for f in files]
    # WP's cache of prover answers by goal: a second run after a small edit
    # asks the provers only about the goals that changed.
    cache = ['-wp-cache', 'update', '-wp-cache-dir',
             os.path.abspath(os.path.join(build, 'prove', 'wp-cache')),
             '-wp-par', str(par)] if '-wp' in opts else []
    os.makedirs(os.path.join(build, 'prove', 'wp-cache'), exist_ok=True)
    cpp = ' '.join([CPP] + [o for o in opts if o.startswith(('-D', '-I'))])
    opts = [o for o in opts if not o.startswith(('-D', '-I'))]
    cmd = ['frama-c', '-cpp-extra-args=' + cpp] + files + opts + cache
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = p.stdout.decode(errors='replace')
    dt = time.monotonic() - t0
    g, a = GOALS.search(out), ALARMS.search(out)
    if g:
        done, total = int(g[1]), int(g[2])
        left = unproved(out)
        real = [n for n in left
                if not any(re.fullmatch(r, n) for r in admitted.values())]
        proved = total > 0 and not real and done + len(left) == total
        what = '%d/%d goals proved' % (done, total)
        if left and not real:
            what += ', %d beyond the typed model (README.md, "Model limits")' % len(left)
        elif real:
            what += '; not proved: ' + ' '.join(real[:8])
    elif a:
        cov = [int(c) for c in COVERAGE.findall(out)]
        props = sum(int(m[1]) + int(m[2]) for m in PROPERTIES.findall(out))
        proved = (int(a[1]) == 0 and props == 0
                  and (cov or [0])[-1] >= admitted.get('coverage', 0))
        what = '%s alarms, %s%% of the statements reached' % (a[1], (cov or [0])[-1])
        if props:
            what += ', %d annotations not shown valid' % props
    else:
        proved, what = False, 'no result (Frama-C exit status %d)' % p.returncode
    if expect == 'proved':
        ok = proved
    else:
        ok = not proved and (g or a) is not None
        if ok and isinstance(expect, tuple):
            ok = g is not None and any(re.fullmatch(expect[1], n) for n in real)
    text = '%s %s: %s, %.0f s' % ('PASS' if ok else 'FAIL', name, what, dt)
    if not ok:
        keep = [l for l in out.splitlines()
                if re.search(r'Failed|Timeout|Unknown|alarm|rror|Proved', l)]
        text += '\n' + '\n'.join('    ' + l for l in (keep or out.splitlines())[-40:])
    return ok, text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--only', metavar='REGEX', help='only the runs whose name matches')
    tier = ap.add_mutually_exclusive_group()
    tier.add_argument('--slow', action='store_true',
                      help='only the runs make test leaves out for their time')
    tier.add_argument('--all', action='store_true', help='every run')
    # Much of a WP run is Frama-C's own single-threaded work (parsing, Qed's
    # simplification) with the provers idle, so two runs at once keep both
    # cores busy; each run's line is printed when it ends.
    ap.add_argument('--jobs', type=int, default=2, metavar='N', help='runs at once (2)')
    a = ap.parse_args()
    for tool, pkg in (('frama-c', 'frama-c-base'), ('why3', 'why3'), ('z3', 'z3'),
                      ('cvc4', 'cvc4')):
        if not shutil.which(tool):
            print('prove: %s not installed (Debian package %s; lab/deps.sh installs it)'
                  % (tool, pkg))
            return 77
    env = dict(os.environ, WHY3CONFIG=why3_config(a.build))
    t0 = time.monotonic()
    todo = [p for p in PROOFS if (a.all or (p[0] in SLOW) == a.slow)
            and (not a.only or re.search(a.only, p[0]))]
    left = 0 if a.all or a.slow else len(SLOW)
    results = []
    jobs = max(1, a.jobs)
    # Provers per run: the cores shared out among the runs (WP's default
    # is 4 per run, which with two runs on 2 cores put eight provers on
    # them and made goals of a few seconds run into their time limit).
    par = max(1, (os.cpu_count() or 1) // jobs)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for f in concurrent.futures.as_completed([pool.submit(run, *p, env, a.build, par)
                                                  for p in todo]):
            ok, text = f.result()
            print(text, flush=True)
            results.append(ok)
    print('prove: %d of %d runs as expected, %.0f s%s'
          % (sum(results), len(results), time.monotonic() - t0,
             '; %d slow runs left to make prove-slow' % left if left else ''))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
