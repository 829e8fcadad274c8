# arm64 on this host: the unit tests and the fuzz target of the arm64
# parts that build anywhere (the device tree builder and the Image loader,
# src/vmm/arch/arm64/{dtb,image}.c, beside the x86 objects: they touch no
# KVM), the cross build of the arm64 monitor, and the arm64 lab.
# PL011 and PL061 are in src/vmm/dev, so their tests build as any other.

ARM64_HOST_SRCS := src/vmm/arch/arm64/dtb.c src/vmm/arch/arm64/image.c
ARM64_HOST_HDRS := src/vmm/arch/arm64/dtb.h src/vmm/arch/arm64/image.h src/common/arm64map.h
# After the x86 include path, so that a header both arches have is x86's.
ARM64_HOST_CPPFLAGS := $(CPPFLAGS) -Isrc/vmm/arch/arm64
ARM64_UNIT := test_dtb test_image

$(BUILD)/obj/arm64host/%.o: src/vmm/arch/arm64/%.c $(ARM64_HOST_HDRS) $(VMM_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(ARM64_HOST_CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/arm64host/%.o: src/vmm/arch/arm64/%.c $(ARM64_HOST_HDRS) $(VMM_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(ARM64_HOST_CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

ARM64_HOST_OBJS := $(ARM64_HOST_SRCS:src/vmm/arch/arm64/%.c=$(BUILD)/obj/arm64host/%.o)
ARM64_HOST_ASAN := $(ARM64_HOST_SRCS:src/vmm/arch/arm64/%.c=$(BUILD)/asan/obj/arm64host/%.o)

$(addprefix $(BUILD)/tests/unit/,$(ARM64_UNIT)): $(BUILD)/tests/unit/%: tests/unit/%.c \
		$(ARM64_HOST_OBJS) $(VMM_OBJS) $(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(ARM64_HOST_CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(TEST_LIB) \
		$(ARM64_HOST_OBJS) $(VMM_OBJS) -lcmocka -lfdt $(LDLIBS)

$(addprefix $(BUILD)/asan/tests/unit/,$(ARM64_UNIT)): $(BUILD)/asan/tests/unit/%: \
		tests/unit/%.c $(ARM64_HOST_ASAN) $(ASAN_OBJS) $(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(ARM64_HOST_CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) $(SANFLAGS) -o $@ $< $(TEST_LIB) \
		$(ARM64_HOST_ASAN) $(ASAN_OBJS) -lcmocka -lfdt $(LDLIBS)

$(BUILD)/fuzz/fuzz_image: tests/fuzz/fuzz_image.c $(ARM64_HOST_SRCS) $(ARM64_HOST_HDRS) \
		$(VMM_LIB_SRCS) $(VMM_HDRS) $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CLANG  $@"
	$(Q)$(CLANG) $(ARM64_HOST_CPPFLAGS) -std=c11 -g -O1 -Wall -Wextra $(WERROR) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(ARM64_HOST_SRCS) $(VMM_LIB_SRCS) -lfdt $(LDLIBS)

# The cross build and the lab are items of their own (tests/arm64/*.py):
# each skips with the reason where the cross compiler, the arm64
# libraries, QEMU or the Debian packages are missing. The lab runs under
# /tmp/lab.lock like every lab boot.
TEST_ITEMS += arm64:tests/arm64/build.py arm64:tests/arm64/lab.py

.PHONY: lab-arm64
# The whole arm64 build (monitor, benchmark guest, hvbench and its native
# runner), then the lab with all of it, as make test runs it.
lab-arm64:
	@$(MAKE) --no-print-directory ARCH=arm64 BUILD=build/arm64
	@python3 tests/arm64/lab.py
