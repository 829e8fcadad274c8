# The hostile-guest suite (tests/hostile/), the sanitizer build of the
# monitor it also runs under, and `make fuzz`. Included by the top-level
# Makefile after the other fragments, so TEST_ITEMS already names every
# component's fuzz targets.

# --- make fuzz -------------------------------------------------------------
# Every libFuzzer target, one at a time, FUZZ_TIME seconds each: those
# built from tests/fuzz/fuzz_*.c, every fuzz: item another fragment adds
# to TEST_ITEMS, and any other $(BUILD)/fuzz/fuzz_* already built. New
# crash inputs land in tests/fuzz/corpus/NAME/; the growing corpus stays
# in $(BUILD)/fuzz/work/NAME/ (not in git).
FUZZ_TIME ?= 600
FUZZ_ALL := $(sort $(FUZZ_BINS) $(patsubst fuzz:%,%,$(filter fuzz:%,$(TEST_ITEMS))) \
	$(filter-out %.log,$(wildcard $(BUILD)/fuzz/fuzz_*)))

.PHONY: fuzz
fuzz: $(FUZZ_ALL)
	@python3 tests/hostile/fuzz.py --build $(BUILD) --seconds $(FUZZ_TIME) $(FUZZ_ALL)

# --- the monitor under ASan + UBSan ----------------------------------------
# The same objects the sanitizer unit tests link, plus main.o; linked
# dynamically, because the sanitizer runtimes cannot be linked statically.
# Built for the tests (TEST_DEPS below), not by plain `make`.
$(BUILD)/asan/vmm: $(BUILD)/asan/obj/src/vmm/main.o $(ASAN_OBJS)
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# --- the hostile guests ----------------------------------------------------
# One ELF64 per attack, tests/hostile/guests/NAME.c, each linked with the
# runtime (hentry.S, hlib.c) at 1 MiB like the tiny guests. Freestanding
# CPL0 code: no red zone (interrupts land on the current stack), no SSE.
HOSTILE_DIR    := tests/hostile/guests
HOSTILE_LIB    := $(HOSTILE_DIR)/hentry.S $(HOSTILE_DIR)/hlib.c
HOSTILE_SRCS   := $(filter-out $(HOSTILE_DIR)/hlib.c,$(wildcard $(HOSTILE_DIR)/*.c))
HOSTILE_GUESTS := $(HOSTILE_SRCS:$(HOSTILE_DIR)/%.c=$(BUILD)/tests/hostile/%.elf)
HOSTILE_CFLAGS := -std=c11 -O2 -g $(WARNINGS) -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-strict-aliasing -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -Isrc/common -I$(HOSTILE_DIR)

$(BUILD)/tests/hostile/%.elf: $(HOSTILE_DIR)/%.c $(HOSTILE_LIB) $(HOSTILE_DIR)/hlib.h \
		src/common/hvboot.h tests/guests/elf64.ld
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(HOSTILE_CFLAGS) -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments \
		-Wl,--build-id=none -T tests/guests/elf64.ld -o $@ $(HOSTILE_LIB) $<

# `make test` runs the short suite (tests/run.py takes its TAP output as a
# kvm: item); `make hostile` the full sweep.
TEST_DEPS  += $(HOSTILE_GUESTS) $(BUILD)/vmm $(BUILD)/asan/vmm
TEST_ITEMS += kvm:tests/hostile/hostile.py

.PHONY: hostile
hostile: $(HOSTILE_GUESTS) $(BUILD)/vmm $(BUILD)/asan/vmm
	@python3 tests/hostile/hostile.py --build $(BUILD) --full --report $(BUILD)/hostile/report.md
