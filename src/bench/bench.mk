# bench: the workloads (src/bench/wl_*.c and their freestanding helpers),
# compiled once into $(BENCH_LIB) = $(BUILD)/workloads/libworkloads.a and
# linked unchanged into the native runner $(BUILD)/bench and, later, the
# benchmark guest. (Not $(BUILD)/bench/: that path is the runner itself.)
#
# Flags of the archive, valid both natively and in the guest:
#   -ffreestanding      no hosted library assumed: no libc headers beyond the
#                       freestanding ones, no library calls invented from
#                       library names (printf -> puts, sqrt -> libm). Calls to
#                       memcpy/memset/memmove/memcmp may still be emitted;
#                       every platform provides them (platform.h).
#   -fno-math-errno     lets __builtin_sqrt be the bare sqrtsd instruction.
#   -fno-pic -fno-pie   the guest is linked static at a fixed address; the
#                       native runner is linked -no-pie to match, so both run
#                       the same absolute-addressed code.
#   -fno-stack-protector  the canary lives in TLS (%fs:0x28), which the guest
#                       does not have.
#   -O2                 as the rest of the project; builtins stay enabled so
#                       small copies are inlined.
#   no -mno-red-zone    workloads run at CPL3 in the guest; interrupts switch
#                       to a kernel stack, so the red zone is safe.
#   no -march           baseline x86-64 (SSE2): the guest's vCPU may not
#                       expose what the host has.

BENCH_LIB_SRCS := $(filter-out src/bench/native.c,$(wildcard src/bench/*.c))
BENCH_HDRS     := $(wildcard src/bench/*.h)
BENCH_FREEFLAGS := -ffreestanding -fno-math-errno -fno-pic -fno-pie -fno-stack-protector
BENCH_LIB      := $(BUILD)/workloads/libworkloads.a
BENCH_LIB_OBJS := $(BENCH_LIB_SRCS:src/bench/%.c=$(BUILD)/workloads/obj/%.o)
BENCH_TEST_SRCS := $(wildcard tests/bench/test_*.c)
BENCH_TEST_BINS := $(BENCH_TEST_SRCS:tests/bench/%.c=$(BUILD)/tests/bench/%)
BENCH_ASAN_BINS := $(BENCH_TEST_SRCS:tests/bench/%.c=$(BUILD)/asan/tests/bench/%)

ALL_TARGETS += $(BUILD)/bench
# ARCH=arm64 builds the native runner too (hvbench's native side in the
# arm64 lab), linked statically: the lab's initramfs has no shared libraries.
ARM64_TARGETS += $(BUILD)/bench
BENCH_LDFLAGS := $(if $(filter arm64,$(ARCH)),-static)
TEST_DEPS   += $(BUILD)/bench $(BENCH_TEST_BINS) $(BENCH_ASAN_BINS)
TEST_ITEMS  += $(addprefix unit:,$(BENCH_TEST_BINS)) $(addprefix asan:,$(BENCH_ASAN_BINS))

$(BUILD)/workloads/obj/%.o: src/bench/%.c $(BENCH_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) $(BENCH_FREEFLAGS) -c $< -o $@

$(BENCH_LIB): $(BENCH_LIB_OBJS)
	@rm -f $@
	@echo "  AR     $@"
	$(Q)$(CROSS)ar rcs $@ $^

$(BUILD)/workloads/native.o: src/bench/native.c $(BENCH_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fno-pie -c $< -o $@

$(BUILD)/workloads/native-nomain.o: src/bench/native.c $(BENCH_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fno-pie -DBENCH_NATIVE_NO_MAIN -c $< -o $@

$(BUILD)/bench: $(BUILD)/workloads/native.o $(BENCH_LIB)
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) -no-pie $(BENCH_LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the very archive the runner uses, plus libm for the
# reference values the freestanding math is held to.
$(BUILD)/tests/bench/%: tests/bench/%.c $(BUILD)/workloads/native-nomain.o $(BENCH_LIB) \
		$(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) -Isrc/bench $(CPPFLAGS) -Itests/common $(CFLAGS) -fno-pie -no-pie -o $@ $< \
		$(TEST_LIB) $(BUILD)/workloads/native-nomain.o $(BENCH_LIB) -lcmocka -lm $(LDLIBS)

# The same tests over the same sources built with ASan and UBSan (hosted
# flags: the sanitizers need their runtime).
$(BUILD)/asan/tests/bench/%: tests/bench/%.c $(BENCH_LIB_SRCS) src/bench/native.c $(BENCH_HDRS) \
		$(TEST_LIB) tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) -Isrc/bench $(CPPFLAGS) -Itests/common $(CFLAGS) -fno-math-errno $(SANFLAGS) \
		-DBENCH_NATIVE_NO_MAIN -o $@ $< $(TEST_LIB) $(BENCH_LIB_SRCS) src/bench/native.c \
		-lcmocka -lm $(LDLIBS)
