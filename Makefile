# Build and test entry points. `make` builds the tools, `make test` runs every
# test (unit, sanitizer, fuzz, KVM, lab), `make bench` runs the main job.
# Set WERROR= to build with warnings not fatal; FUZZ_SECONDS to change how
# long each fuzz target runs in `make test`.

CC      ?= cc
CLANG   ?= clang
# ARCH=arm64 cross-compiles the monitor for arm64 Linux/KVM into
# build/arm64 (Debian's gcc-aarch64-linux-gnu and the arm64 libraries,
# lab/deps.sh); the default is the x86-64 monitor in build/.
ARCH    ?= x86
ifeq ($(ARCH),arm64)
CROSS   ?= aarch64-linux-gnu-
CC      := $(CROSS)gcc
BUILD   ?= build/arm64
else ifneq ($(ARCH),x86)
$(error ARCH=$(ARCH): expected x86 (the default) or arm64)
endif
BUILD   ?= build
WERROR  ?= -Werror
FUZZ_SECONDS ?= 5
# V=1 shows every command.
ifeq ($(V),1)
Q :=
else
Q := @
endif
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

WARNINGS := -Wall -Wextra $(WERROR) -Wshadow -Wpointer-arith -Wcast-qual \
	-Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings -Wformat=2 \
	-Wundef -Wvla -Wold-style-definition -Wmissing-declarations \
	-Wimplicit-fallthrough -Wnull-dereference -Wdouble-promotion
# Each room of the monitor is on the include path, so a header is named by
# its module alone (see the layout in README.md).
VMM_DIRS := src/vmm src/vmm/arch/$(ARCH) src/vmm/boot src/vmm/dev src/vmm/virtio src/vmm/vfio src/system
CPPFLAGS := -D_GNU_SOURCE $(addprefix -I,$(VMM_DIRS)) -Isrc/common -I$(BUILD)/gen -DVMM_VERSION=\"$(VERSION)\"
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARNINGS) -fno-strict-aliasing
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# ThreadSanitizer: the monitor and the tests that run it with two vCPUs.
TSANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
# libconfig reads system descriptions; libseccomp builds the sandbox.
LDLIBS   := -lconfig -lseccomp -lpthread
# arm64: libfdt builds the device tree. Debian's libfdt-dev is not
# multiarch-installable beside the host's, so lab/deps.sh unpacks the
# arm64 package's libfdt.a into ARM64_LIBDIR.
ARM64_LIBDIR ?= /usr/local/lib/aarch64-linux-gnu
ifeq ($(ARCH),arm64)
LDLIBS   += -L$(ARM64_LIBDIR) -lfdt
endif

VMM_SRCS     := $(wildcard $(addsuffix /*.c,$(VMM_DIRS)))
VMM_LIB_SRCS := $(filter-out src/vmm/main.c,$(VMM_SRCS))
VMM_HDRS     := $(wildcard $(addsuffix /*.h,$(VMM_DIRS)) src/common/*.h)
VMM_OBJS     := $(VMM_LIB_SRCS:%.c=$(BUILD)/obj/%.o)
ASAN_OBJS    := $(VMM_LIB_SRCS:%.c=$(BUILD)/asan/obj/%.o)
TSAN_OBJS    := $(VMM_LIB_SRCS:%.c=$(BUILD)/tsan/obj/%.o)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
ASAN_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/asan/tests/unit/%)
KVM_SRCS   := $(wildcard tests/kvm/test_*.c)
KVM_BINS   := $(KVM_SRCS:tests/kvm/%.c=$(BUILD)/tests/kvm/%)
# Under ThreadSanitizer: the KVM tests with two vCPUs (tests/kvm/test_smp.c,
# run against build/tsan/vmm) and the unit tests of the threaded devices.
TSAN_BINS  := $(BUILD)/tsan/tests/kvm/test_smp $(BUILD)/tsan/tests/unit/test_gpio \
	      $(BUILD)/tsan/tests/unit/test_outq $(BUILD)/tsan/tests/unit/test_uart \
	      $(BUILD)/tsan/tests/unit/test_virtio_pci $(BUILD)/tsan/tests/unit/test_virtio_blk \
	      $(BUILD)/tsan/tests/unit/test_virtio_console $(BUILD)/tsan/tests/unit/test_virtio_net_vsock
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
GUEST64    := $(patsubst tests/guests/%.S,$(BUILD)/tests/guests/%.elf,$(wildcard tests/guests/*64.S))
GUESTMB    := $(patsubst tests/guests/%.S,$(BUILD)/tests/guests/%.elf,$(wildcard tests/guests/*mb.S))
TEST_LIB   := tests/common/testlib.c
# cmocka's assertions are not marked noreturn, so the compiler cannot see
# that a checked pointer is non-NULL afterwards.
TEST_CFLAGS := -Itests/common -Wno-null-dereference

# `make` alone builds everything, whatever rules the fragments define.
.DEFAULT_GOAL := all

# Each component's fragment appends to these: ALL_TARGETS (built by `make`),
# TEST_DEPS (built before tests) and TEST_ITEMS (KIND:PATH for tests/run.py).
ALL_TARGETS := $(BUILD)/vmm $(BUILD)/rawloop
TEST_DEPS   :=
TEST_ITEMS  :=
include $(wildcard src/*/*.mk lab/*.mk tests/*/*.mk)
ifeq ($(ARCH),arm64)
# The arm64 build makes the arm64 programs only: the monitor, and what
# fragments add to ARM64_TARGETS (the arm64 benchmark guest).
ALL_TARGETS := $(BUILD)/vmm $(ARM64_TARGETS)
endif

# Keep intermediate objects (the sanitizer build's, the test guests' .o).
.SECONDARY:

.PHONY: all deps test test-run test-fast bench bench-roundtrip clean loc tsan lint prove prove-slow
all: $(ALL_TARGETS)

deps:
	@sh lab/deps.sh

# The DSDT is written in ASL and compiled by iasl into a C array.
GEN := $(if $(filter x86,$(ARCH)),$(BUILD)/gen/dsdt.hex)
$(BUILD)/gen/dsdt.hex: src/vmm/arch/x86/dsdt.asl
	@mkdir -p $(dir $@)
	@echo "  IASL   $@"
	$(Q)iasl -p $(BUILD)/gen/dsdt -tc $< >/dev/null

# acpi.c includes the compiled DSDT: rebuild it when the ASL changes.
$(BUILD)/obj/src/vmm/arch/x86/acpi.o $(BUILD)/asan/obj/src/vmm/arch/x86/acpi.o \
	$(BUILD)/tsan/obj/src/vmm/arch/x86/acpi.o: $(GEN)

$(BUILD)/obj/%.o: %.c $(VMM_HDRS) | $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c $(VMM_HDRS) | $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/tsan/obj/%.o: %.c $(VMM_HDRS) | $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TSANFLAGS) -c $< -o $@

# The monitor is linked statically: each VM's process then maps only the
# library code it uses (about 1.2 MiB resident instead of 2 MiB with the
# shared libc, ld.so, libseccomp and libconfig), and the same binary runs
# in the nested lab's initramfs, which has no shared libraries.
$(BUILD)/vmm: $(BUILD)/obj/src/vmm/main.o $(VMM_OBJS)
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^ $(LDLIBS)

# A test copy of the monitor whose MMIO exits each take 300 us more
# (VMM_TEST_EXIT_DELAY_US in vcpu.c): `hvbench run --ab` must call its
# exit-bound workload slower and nothing else (tests/kvm/test_hvbench_ab.c).
$(BUILD)/obj-slowexit/src/vmm/vcpu.o: src/vmm/vcpu.c $(VMM_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -DVMM_TEST_EXIT_DELAY_US=300 -c $< -o $@

$(BUILD)/vmm-slowexit: $(BUILD)/obj/src/vmm/main.o $(filter-out $(BUILD)/obj/src/vmm/vcpu.o,$(VMM_OBJS)) $(BUILD)/obj-slowexit/src/vmm/vcpu.o
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^ $(LDLIBS)

TEST_DEPS += $(BUILD)/vmm-slowexit

$(BUILD)/vmm-static: $(BUILD)/vmm
	$(Q)cp $< $@

# The ThreadSanitizer monitor is linked dynamically: the TSan runtime does
# not support static linking.
$(BUILD)/tsan/vmm: $(BUILD)/tsan/obj/src/vmm/main.o $(TSAN_OBJS)
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) $(TSANFLAGS) -o $@ $^ $(LDLIBS)

tsan: $(BUILD)/tsan/vmm $(TSAN_BINS)

# The raw KVM_RUN loop the trap-and-emulate cost is measured against: the
# same machine set-up as vmm, no device model.
$(BUILD)/rawloop: tests/perf/rawloop.c $(VMM_OBJS) $(VMM_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(VMM_OBJS) $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(VMM_OBJS) $(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(UNIT_EXTRA) $(TEST_LIB) $(VMM_OBJS) -lcmocka $(LDLIBS)

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(ASAN_OBJS) $(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) $(SANFLAGS) -o $@ $< $(UNIT_EXTRA) $(TEST_LIB) $(ASAN_OBJS) -lcmocka $(LDLIBS)

$(BUILD)/tests/kvm/%: tests/kvm/%.c $(VMM_OBJS) $(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(TEST_LIB) $(VMM_OBJS) -lcmocka $(LDLIBS)

$(BUILD)/tsan/tests/unit/%: tests/unit/%.c $(TSAN_OBJS) $(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) $(TSANFLAGS) -o $@ $< $(UNIT_EXTRA) $(TEST_LIB) $(TSAN_OBJS) -lcmocka $(LDLIBS)

# The virtio device tests drive their device as a guest driver would
# through tests/unit/vdrv.c, the unit tests' virtio driver, linked into
# each of them (UNIT_EXTRA).
VDRV_TESTS := test_virtio_console test_virtio_net_vsock
VDRV_BINS  := $(foreach b,$(BUILD)/tests/unit $(BUILD)/asan/tests/unit $(BUILD)/tsan/tests/unit,\
	$(addprefix $(b)/,$(VDRV_TESTS)))
$(VDRV_BINS): tests/unit/vdrv.c tests/unit/vdrv.h
$(VDRV_BINS): UNIT_EXTRA := tests/unit/vdrv.c

# These run the TSan monitor (TEST_VMM) on the tiny guests, with the
# sandbox off: the TSan runtime makes system calls the policy does not list.
$(BUILD)/tsan/tests/kvm/%: tests/kvm/%.c $(TSAN_OBJS) $(TEST_LIB) tests/common/testlib.h $(BUILD)/tsan/vmm
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) $(TSANFLAGS) '-DTEST_VMM="tsan/vmm"' -DTEST_VMM_NO_SANDBOX -o $@ $< $(TEST_LIB) $(TSAN_OBJS) -lcmocka $(LDLIBS)

# libFuzzer targets: clang, with ASan and UBSan, the library compiled in.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(VMM_LIB_SRCS) $(VMM_HDRS) $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CLANG  $@"
	$(Q)$(CLANG) $(CPPFLAGS) -std=c11 -g -O1 -Wall -Wextra $(WERROR) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(VMM_LIB_SRCS) $(LDLIBS)

# Tiny test guests. *64.S: ELF64 entered in long mode; *mb.S: multiboot
# ELF32 entered in protected mode, linked by NAMEmb.ld when there is one
# (else mb.ld, at 1 MiB).
$(BUILD)/tests/guests/%64.elf: tests/guests/%64.S tests/guests/elf64.ld
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) -c -Isrc/common -o $@.o $<
	@echo "  LD     $@"
	$(Q)ld -static -nostdlib --no-warn-rwx-segments -T tests/guests/elf64.ld -o $@ $@.o

$(BUILD)/tests/guests/%mb.elf: tests/guests/%mb.S tests/guests/mb.ld
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) -m32 -c -o $@.o $<
	@echo "  LD     $@"
	$(Q)ld -m elf_i386 -static -nostdlib --no-warn-rwx-segments \
		-T $(firstword $(wildcard tests/guests/$*mb.ld) tests/guests/mb.ld) -o $@ $@.o

ALL_TEST_ITEMS = $(addprefix unit:,$(UNIT_BINS)) $(addprefix asan:,$(ASAN_BINS)) \
	$(TEST_ITEMS) $(addprefix fuzz:,$(FUZZ_BINS)) $(addprefix kvm:,$(KVM_BINS)) \
	$(addprefix tsan:,$(TSAN_BINS)) lint:tests/lint/lint.py lint:tests/lint/loc.py \
	prove:tests/prove/prove.py

# make test: what is missing installed first (deps, alone, since the build
# needs it), then the build with one job per CPU (JOBS=N to change), then
# the tests one after another.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory -j$(JOBS) test-run
test-run: all $(UNIT_BINS) $(ASAN_BINS) $(KVM_BINS) $(TSAN_BINS) $(FUZZ_BINS) $(GUEST64) $(GUESTMB) $(TEST_DEPS)
	@python3 tests/run.py --build $(BUILD) --fuzz-seconds $(FUZZ_SECONDS) $(ALL_TEST_ITEMS)

# The quick subset for working on the code: everything but the lab and the
# fuzz targets (`make test` is still the one that counts).
TEST_FAST_ITEMS = $(filter-out lab:% fuzz:%,$(ALL_TEST_ITEMS))
test-fast: all $(UNIT_BINS) $(ASAN_BINS) $(KVM_BINS) $(TSAN_BINS) $(GUEST64) $(GUESTMB) \
		$(filter-out $(LAB_DIR)/ready,$(TEST_DEPS))
	@python3 tests/run.py --build $(BUILD) $(TEST_FAST_ITEMS)

# The main job: every workload natively and in the benchmark guest, sized
# to finish in a few minutes on 2 cores. Override with BENCH_ARGS=...
BENCH_ARGS ?= --size small --reps 10
bench: deps all
	$(BUILD)/hvbench run $(BENCH_ARGS)

# What the monitor adds to a trap-and-emulate round trip, and its memory.
bench-roundtrip: all
	@python3 tests/perf/roundtrip.py --build $(BUILD)

# Static analysis of every C file (tests/lint/lint.py): clang's analyzer and
# cppcheck, zero findings, suppressions only in tests/lint/suppressions.txt.
# Each file is analysed with the flags it is built with.
# `make test` runs it as one item (lint:tests/lint/lint.py); a second run
# reanalyses only the files whose preprocessed text changed.
lint test test-run test-fast: export LINT_CPPFLAGS := $(CPPFLAGS)
lint test test-run test-fast: export LINT_HVB_CPPFLAGS := $(HVB_CPPFLAGS)
lint test test-run test-fast: export LINT_BENCH_FREEFLAGS := $(BENCH_FREEFLAGS)
lint test test-run test-fast: export LINT_GUEST_CFLAGS := $(GUEST_CFLAGS)
lint test test-run test-fast: export CLANG := $(CLANG)
lint: $(GEN)
	@python3 tests/lint/lint.py --build $(BUILD)
	@python3 tests/lint/loc.py --check

# Frama-C proofs of the guest-facing code (tests/prove/README.md says what
# is proved and under which assumptions): every run, some 15 minutes on 2
# cores from a cold cache. `make test` runs the runs that take less than a minute
# each and every mutant (prove:tests/prove/prove.py); the slow runs are
# `make prove-slow`'s, which CI runs after `make test` (.ci/run).
prove:
	@python3 tests/prove/prove.py --build $(BUILD) --all

prove-slow:
	@python3 tests/prove/prove.py --build $(BUILD) --slow

# The monitor's size in source lines by folder, against the budget of its
# core (tests/lint/loc.py; README.md, "Size budget").
loc:
	@python3 tests/lint/loc.py

clean:
	rm -rf $(BUILD)
