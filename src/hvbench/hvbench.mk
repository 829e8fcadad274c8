# hvbench: the benchmark harness (build/hvbench), its unit and end-to-end
# tests and its RESULT-line fuzz target. Included by the top-level Makefile.

# This fragment is read before the top-level `all` rule: keep `make` with no
# goal building everything rather than the first rule below.

HVB_SRCS     := $(wildcard src/hvbench/*.c)
HVB_LIB_SRCS := $(filter-out src/hvbench/main.c,$(HVB_SRCS))
HVB_HDRS     := $(wildcard src/hvbench/*.h)
HVB_CPPFLAGS := -Isrc/hvbench -DHVB_VERSION=\"$(VERSION)\"
HVB_LIBS     := -ljansson -lm
# Objects live outside $(BUILD)/obj so the monitor's pattern rule (whose
# prerequisites are the monitor's headers) never builds them.
HVB_OBJS     := $(HVB_LIB_SRCS:%.c=$(BUILD)/hvbench-obj/%.o)
HVB_ASAN_OBJS := $(HVB_LIB_SRCS:%.c=$(BUILD)/asan/hvbench-obj/%.o)

HVB_TEST_SRCS := $(wildcard tests/hvbench/test_*.c)
HVB_TEST_BINS := $(HVB_TEST_SRCS:tests/hvbench/%.c=$(BUILD)/tests/hvbench/%)
# The end-to-end test runs build/hvbench itself; the others also run under
# ASan/UBSan.
HVB_ASAN_BINS := $(patsubst tests/hvbench/%.c,$(BUILD)/asan/tests/hvbench/%,\
	$(filter-out tests/hvbench/test_e2e.c,$(HVB_TEST_SRCS)))

ALL_TARGETS += $(BUILD)/hvbench
# ARCH=arm64 builds it too, static (it runs in the arm64 lab's initramfs,
# which has no shared libraries): the arm64 libjansson.a comes from
# libjansson-dev:arm64 (lab/deps.sh).
ARM64_TARGETS += $(BUILD)/hvbench
HVB_LDFLAGS := $(if $(filter arm64,$(ARCH)),-static)
TEST_DEPS   += $(BUILD)/hvbench $(HVB_TEST_BINS) $(HVB_ASAN_BINS) $(BUILD)/fuzz/fuzz_result \
	$(BUILD)/fuzz/fuzz_doc
TEST_ITEMS  += $(addprefix unit:,$(HVB_TEST_BINS)) $(addprefix asan:,$(HVB_ASAN_BINS)) \
	fuzz:$(BUILD)/fuzz/fuzz_result fuzz:$(BUILD)/fuzz/fuzz_doc

$(BUILD)/hvbench-obj/%.o: %.c $(HVB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(HVB_CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/hvbench-obj/%.o: %.c $(HVB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(HVB_CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/hvbench: $(BUILD)/hvbench-obj/src/hvbench/main.o $(HVB_OBJS)
	@echo "  CC     $@"
	$(Q)$(CC) $(CFLAGS) $(HVB_LDFLAGS) -o $@ $^ $(HVB_LIBS)

$(BUILD)/tests/hvbench/%: tests/hvbench/%.c $(HVB_OBJS) $(TEST_LIB) tests/common/testlib.h \
		tests/hvbench/hvbtest.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(HVB_CPPFLAGS) -Itests/common $(CFLAGS) -o $@ $< $(TEST_LIB) \
		$(HVB_OBJS) -lcmocka $(HVB_LIBS)

$(BUILD)/asan/tests/hvbench/%: tests/hvbench/%.c $(HVB_ASAN_OBJS) $(TEST_LIB) \
		tests/common/testlib.h tests/hvbench/hvbtest.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(HVB_CPPFLAGS) -Itests/common $(CFLAGS) $(SANFLAGS) -o $@ $< \
		$(TEST_LIB) $(HVB_ASAN_OBJS) -lcmocka $(HVB_LIBS)

# The RESULT-line parser reads untrusted output: fuzz it (clang, libFuzzer,
# ASan, UBSan). Its seed corpus is tests/fuzz/corpus/result/.
$(BUILD)/fuzz/fuzz_result: tests/hvbench/fuzz_result.c src/hvbench/result.c src/hvbench/result.h
	@mkdir -p $(dir $@)
	@echo "  CLANG  $@"
	$(Q)$(CLANG) $(CPPFLAGS) $(HVB_CPPFLAGS) -std=c11 -g -O1 -Wall -Wextra $(WERROR) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< src/hvbench/result.c -ljansson

# The results.json loader reads results folders from other people: fuzz it
# with the renderers behind it. Its seed corpus is tests/fuzz/corpus/doc/.
$(BUILD)/fuzz/fuzz_doc: tests/hvbench/fuzz_doc.c $(HVB_LIB_SRCS) $(HVB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CLANG  $@"
	$(Q)$(CLANG) $(CPPFLAGS) $(HVB_CPPFLAGS) -std=c11 -g -O1 -Wall -Wextra $(WERROR) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(HVB_LIB_SRCS) -ljansson -lm
