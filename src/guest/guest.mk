# The benchmark guest: build/guest/benchguest.elf, the kernel (entry.S,
# kernel.c) and user side (user.c, libc.c) linked with the very workload
# archive build/bench uses ($(BENCH_LIB), src/bench/bench.mk).
#
# Kernel flags (x86: kernel.c, libc.c, pvh.c): -mgeneral-regs-only keeps the kernel off
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
GUEST_ELF := $(BUILD)/guest/benchguest.elf

ifneq ($(ARCH),arm64)
ALL_TARGETS += $(GUEST_ELF)
endif

$(BUILD)/guest/obj/arch/x86/kernel.c.o $(BUILD)/guest/obj/arch/x86/libc.c.o: GUEST_KFLAGS := -mgeneral-regs-only
$(BUILD)/guest/obj/arch/x86/pvh.c.o: GUEST_KFLAGS := -mgeneral-regs-only

$(BUILD)/guest/obj/%.c.o: src/guest/%.c $(wildcard src/guest/*.h $(GUEST_X86)/*.h) src/common/hvboot.h src/common/pvh.h $(BENCH_HDRS)
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
