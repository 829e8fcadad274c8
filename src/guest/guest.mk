# The benchmark guest: build/guest/benchguest.elf, the kernel (entry.S,
# kernel.c) and user side (user.c, libc.c) linked with the very workload
# archive build/bench uses ($(BENCH_LIB), src/bench/bench.mk).
#
# Kernel flags (x86: kernel.c, libc.c, pvh.c, and the shared sched.c and con.c): -mgeneral-regs-only keeps the kernel off
# the x87/SSE registers, so user SSE state is saved only at thread switches;
# -mno-red-zone because interrupts taken at CPL0 push onto the current
# stack. The user side (user.c, irqlat.c) runs at CPL3 and may use SSE.

# Shared sources are src/guest/*.c; each architecture's runtime is in
# src/guest/arch/ARCH, whose guestarch.h user.c includes. The arm64 guest
# is built by the second half of this file.
GUEST_X86  := src/guest/arch/x86
GUEST_SRCS := $(wildcard src/guest/*.c $(GUEST_X86)/*.c $(GUEST_X86)/*.S)
GUEST_OBJS := $(patsubst src/guest/%,$(BUILD)/guest/obj/%.o,$(GUEST_SRCS))
GUEST_CFLAGS := -std=c11 -O2 -g $(WARNINGS) -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-strict-aliasing -mno-red-zone -fno-asynchronous-unwind-tables \
	-Isrc/guest -I$(GUEST_X86) -Isrc/common -Isrc/bench

# With ARCH=arm64 (BUILD = build/arm64) the benchmark guest of the build is
# the arm64 one, at the same path: the x86 rules stay out.
ifneq ($(ARCH),arm64)
GUEST_ELF := $(BUILD)/guest/benchguest.elf
ALL_TARGETS += $(GUEST_ELF)

$(BUILD)/guest/obj/arch/x86/kernel.c.o $(BUILD)/guest/obj/arch/x86/libc.c.o: GUEST_KFLAGS := -mgeneral-regs-only
$(BUILD)/guest/obj/arch/x86/pvh.c.o $(BUILD)/guest/obj/sched.c.o $(BUILD)/guest/obj/con.c.o: \
	GUEST_KFLAGS := -mgeneral-regs-only

$(BUILD)/guest/obj/%.c.o: src/guest/%.c $(wildcard src/guest/*.h $(GUEST_X86)/*.h) src/common/hvboot.h src/common/pvh.h \
		src/common/virtio_spec.h $(BENCH_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_KFLAGS) -c $< -o $@

$(BUILD)/guest/obj/%.S.o: src/guest/%.S src/guest/guest.h src/common/hvboot.h src/common/pvh.h
	@mkdir -p $(dir $@)
	@echo "  AS     $@"
	$(Q)$(CC) -Isrc/guest -I$(GUEST_X86) -Isrc/common -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) $(BENCH_LIB) $(GUEST_X86)/guest.ld
	@echo "  LD     $@"
	$(Q)$(CC) -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments -Wl,--build-id=none -T $(GUEST_X86)/guest.ld \
		-o $@ $(GUEST_OBJS) $(BENCH_LIB) -lgcc
endif

# ---- the arm64 benchmark guest ----------------------------------------------
# $(GUEST_A64_ELF) = build/arm64/guest/benchguest.elf: the shared user side
# (user.c), the shared virtio driver with its disk and entropy devices
# (virtio.c, vblk.c, vrng.c), its network and vsock devices for links
# between VMs (vnet.c, vvsock.c; the architecture's part is vioarch.h), the
# shared scheduler (sched.c) and console helpers (con.c), the arm64 runtime (src/guest/arch/arm64: EL1 entry per the
# Linux arm64 boot protocol, vectors, MMU, GICv3, generic timer, PL011,
# PL061), linked with the same workload sources compiled for AArch64 into an
# archive of its own. Built with Debian's cross compiler wherever it is
# installed, so the x86 `make test` boots it under QEMU too
# (tests/arm64/test_guest_qemu.py); `make ARCH=arm64` builds it by default.
#
# Flags: -mno-outline-atomics, because the outline atomics pick LSE or not
# by reading the Linux auxiliary vector, which the guest has not; the
# kernel side (kernel.c, fdt.c, libc.c, sched.c, con.c) is -mgeneral-regs-only (user FP
# state is switched only with threads) and -mstrict-align (it runs before
# the MMU is on, when all memory is Device memory and unaligned accesses
# fault).
GUEST_A64_CC ?= $(or $(CROSS),aarch64-linux-gnu-)gcc
A64_BUILD    := $(if $(filter %/arm64,$(BUILD)),$(BUILD),$(BUILD)/arm64)
GUEST_A64    := src/guest/arch/arm64
GUEST_A64_ELF := $(A64_BUILD)/guest/benchguest.elf
GUEST_A64_SRCS := src/guest/user.c src/guest/sched.c src/guest/con.c src/guest/virtio.c src/guest/vblk.c \
	src/guest/vrng.c src/guest/vnet.c src/guest/vvsock.c src/guest/chan.c $(wildcard $(GUEST_A64)/*.c $(GUEST_A64)/*.S)
GUEST_A64_OBJS := $(patsubst src/guest/%,$(A64_BUILD)/guest/obj/%.o,$(GUEST_A64_SRCS))
GUEST_A64_BASEFLAGS := -std=c11 -O2 -g $(WARNINGS) -fno-strict-aliasing -mno-outline-atomics \
	-fno-asynchronous-unwind-tables
GUEST_A64_CFLAGS := $(GUEST_A64_BASEFLAGS) -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-Isrc/guest -I$(GUEST_A64) -Isrc/common -Isrc/bench
GUEST_A64_LIB := $(A64_BUILD)/guest/workloads/libworkloads.a
GUEST_A64_LIB_OBJS := $(BENCH_LIB_SRCS:src/bench/%.c=$(A64_BUILD)/guest/workloads/obj/%.o)
GUEST_A64_HDRS := $(wildcard src/guest/*.h $(GUEST_A64)/*.h) src/common/arm64map.h src/common/virtio_spec.h \
	$(BENCH_HDRS)
HAVE_A64_CC  := $(shell command -v $(GUEST_A64_CC) 2>/dev/null)

# The top-level Makefile's ARCH=arm64 build makes ARM64_TARGETS.
ARM64_TARGETS += $(GUEST_A64_ELF)
ifeq ($(ARCH),arm64)
GUEST_ELF := $(GUEST_A64_ELF)
ALL_TARGETS += $(GUEST_A64_ELF)
endif
ifneq ($(HAVE_A64_CC),)
TEST_DEPS   += $(GUEST_A64_ELF)
endif
TEST_ITEMS  += arm64:tests/arm64/test_guest_qemu.py

# make lint analyses src/guest/arch/arm64 with these flags (tests/lint/lint.py).
lint test test-run test-fast: export LINT_GUEST_A64_CFLAGS := $(GUEST_A64_CFLAGS) -mgeneral-regs-only

$(A64_BUILD)/guest/obj/arch/arm64/kernel.c.o $(A64_BUILD)/guest/obj/arch/arm64/fdt.c.o \
		$(A64_BUILD)/guest/obj/sched.c.o $(A64_BUILD)/guest/obj/con.c.o: \
	GUEST_A64_KFLAGS := -mgeneral-regs-only -mstrict-align
$(A64_BUILD)/guest/obj/arch/arm64/libc.c.o: \
	GUEST_A64_KFLAGS := -mgeneral-regs-only -mstrict-align -fno-tree-loop-distribute-patterns

$(A64_BUILD)/guest/obj/%.c.o: src/guest/%.c $(GUEST_A64_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(GUEST_A64_CC) $(GUEST_A64_CFLAGS) $(GUEST_A64_KFLAGS) -c $< -o $@

$(A64_BUILD)/guest/obj/%.S.o: src/guest/%.S $(GUEST_A64_HDRS)
	@mkdir -p $(dir $@)
	@echo "  AS     $@"
	$(Q)$(GUEST_A64_CC) -I$(GUEST_A64) -Isrc/guest -Isrc/common -c $< -o $@

$(A64_BUILD)/guest/workloads/obj/%.o: src/bench/%.c $(BENCH_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(GUEST_A64_CC) $(GUEST_A64_BASEFLAGS) $(BENCH_FREEFLAGS) -c $< -o $@

$(GUEST_A64_LIB): $(GUEST_A64_LIB_OBJS)
	@rm -f $@
	@echo "  AR     $@"
	$(Q)$(GUEST_A64_CC:gcc=ar) rcs $@ $^

$(GUEST_A64_ELF): $(GUEST_A64_OBJS) $(GUEST_A64_LIB) $(GUEST_A64)/guest.ld
	@echo "  LD     $@"
	$(Q)$(GUEST_A64_CC) -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
		-T $(GUEST_A64)/guest.ld -o $@ $(GUEST_A64_OBJS) $(GUEST_A64_LIB) -lgcc

# The guest's device-tree reader, built for this host with cmocka, plain and
# under ASan + UBSan (not in the ARCH=arm64 build, whose compiler is the
# cross one).
ifneq ($(ARCH),arm64)
GUEST_FDT_TESTS := $(BUILD)/tests/arm64/test_fdt $(BUILD)/asan/tests/arm64/test_fdt
TEST_DEPS  += $(GUEST_FDT_TESTS)
TEST_ITEMS += unit:$(BUILD)/tests/arm64/test_fdt asan:$(BUILD)/asan/tests/arm64/test_fdt

$(BUILD)/tests/arm64/test_fdt: tests/arm64/test_fdt.c $(GUEST_A64)/fdt.c $(GUEST_A64)/fdt.h \
		$(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) -D_GNU_SOURCE $(CFLAGS) $(TEST_CFLAGS) -I$(GUEST_A64) -o $@ $< $(GUEST_A64)/fdt.c $(TEST_LIB) -lcmocka

$(BUILD)/asan/tests/arm64/test_fdt: tests/arm64/test_fdt.c $(GUEST_A64)/fdt.c $(GUEST_A64)/fdt.h \
		$(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) -D_GNU_SOURCE $(CFLAGS) $(TEST_CFLAGS) $(SANFLAGS) -I$(GUEST_A64) -o $@ $< $(GUEST_A64)/fdt.c \
		$(TEST_LIB) -lcmocka
endif
