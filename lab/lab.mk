# lab: the nested lab (QEMU TCG with an emulated AMD-V, kvm_amd inside) and
# its tests, which boot the tiny guests and Debian's Linux under our static
# monitor there. See docs/lab.md.
#
# $(LAB_DIR)/ready stands for "the lab's images are built". Its recipe runs
# lab/fetch.sh (a no-op once lab/cache/ is filled); when the Debian archive
# cannot be reached it leaves the reason in $(LAB_DIR)/unavailable, does not
# create the stamp (so the next `make test` tries again) and succeeds, and
# the lab tests skip with that reason. The same when cpio is missing. A
# broken image build still fails.

LAB_DIR      := $(BUILD)/lab
LAB_CACHE    ?= lab/cache
LAB_INNER    := $(LAB_DIR)/inner.cpio.gz
LAB_OUTER    := $(LAB_DIR)/outer.cpio.gz
LAB_TEST_BIN := $(BUILD)/tests/lab/test_lab
# The virtio cases: a program of their own, so that their one long lab boot
# has its own time limit under tests/run.py.
LAB_VIRTIO_BIN := $(BUILD)/tests/lab/test_lab_virtio
LAB_FIRMWARE_BIN := $(BUILD)/tests/lab/test_lab_firmware
# The passthrough cases (q35 with QEMU's VT-d and its edu device): one
# boot of their own, so a program of their own too.
LAB_VFIO_BIN := $(BUILD)/tests/lab/test_lab_vfio
# The links cases (three Linux guests under vmm system): one boot, likewise.
LAB_LINKS_BIN := $(BUILD)/tests/lab/test_lab_links
LAB_TEST_SRCS := tests/lab/lablib.c tests/lab/lablib.h
# The stopwatch of the boot-timing test, static like the monitor: the outer
# image's libraries are QEMU's, and the helper should not depend on them.
LAB_BOOTTIME := $(LAB_DIR)/boottime
# Both ends of the vsock case (the Linux guest's AF_VSOCK side, the lab
# machine's side through vmm's Unix socket), static for the same reason.
LAB_VSOCKPEER := $(LAB_DIR)/vsockpeer
# The channel example (examples/uio-channel.c), static, for both Linux
# guests of the channel case.
LAB_UIOCHAN := $(LAB_DIR)/uio-channel
# The bench runner goes into the inner image when a fragment builds it (the
# src/*/*.mk fragments are included before this one).
LAB_BENCH    := $(filter $(BUILD)/bench,$(ALL_TARGETS))

LAB_BINS := $(LAB_TEST_BIN) $(LAB_VIRTIO_BIN) $(LAB_FIRMWARE_BIN) $(LAB_VFIO_BIN) \
	$(LAB_LINKS_BIN)
TEST_DEPS  += $(LAB_DIR)/ready $(LAB_BINS)
TEST_ITEMS += $(addprefix lab:,$(LAB_BINS))
# `make lab-links` runs the links boot alone (its monitors on one lab CPU:
# docs/lab.md, "A triple fault in the links boot").
.PHONY: lab-links
lab-links: $(LAB_DIR)/ready $(LAB_LINKS_BIN) $(TEST_DEPS)
	$(Q)python3 tests/run.py --build $(BUILD) lab:$(LAB_LINKS_BIN)
# lab/run.sh and the tests find the cache through the environment.
export LAB_CACHE

.PHONY: lab-fetch lab-images
lab-fetch:
	@LAB_CACHE=$(abspath $(LAB_CACHE)) sh lab/fetch.sh

lab-images: $(LAB_DIR)/ready

$(LAB_DIR)/ready: lab/fetch.sh lab/mkinitrd.sh lab/extract-vmlinux.py lab/init-inner.sh lab/init-outer.sh lab/realtool.sh \
		$(BUILD)/vmm-static $(GUEST64) $(GUESTMB) $(LAB_BENCH) $(LAB_BOOTTIME) $(LAB_VSOCKPEER) \
		$(GUEST_ELF) $(LAB_UIOCHAN)
	@mkdir -p $(LAB_DIR)
	@rm -f $@ $(LAB_DIR)/unavailable
	@if ! command -v cpio >/dev/null 2>&1; then \
		echo "cpio not installed (Debian package cpio; lab/deps.sh installs it)" \
			| tee $(LAB_DIR)/unavailable >&2; \
	elif LAB_CACHE=$(abspath $(LAB_CACHE)) sh lab/fetch.sh 2>$(LAB_DIR)/fetch.log; then \
		LAB_CACHE=$(abspath $(LAB_CACHE)) sh lab/mkinitrd.sh inner $(LAB_INNER) \
			$(if $(LAB_BENCH),--bench $(LAB_BENCH)) --vsockpeer $(LAB_VSOCKPEER) \
			--uiochan $(LAB_UIOCHAN) && \
		LAB_CACHE=$(abspath $(LAB_CACHE)) sh lab/mkinitrd.sh outer $(LAB_OUTER) \
			--vmm $(BUILD)/vmm-static --inner $(LAB_INNER) --guests $(BUILD)/tests/guests \
			--benchguest $(GUEST_ELF) --boottime $(LAB_BOOTTIME) \
			--vsockpeer $(LAB_VSOCKPEER) && \
		touch $@; \
	else \
		cat $(LAB_DIR)/fetch.log >&2; \
		cp $(LAB_DIR)/fetch.log $(LAB_DIR)/unavailable; \
		echo "lab: cannot fetch the lab's kernel; the lab tests will skip" >&2; \
	fi

# The firmware test's disk (lab/mkbootdisk.sh: SYSLINUX, the lab's kernel
# and the inner image), made once the images are. When it cannot be made
# (no lab, or syslinux/mtools/dosfstools missing) the reason goes to
# bootdisk.unavailable and the test skips.
LAB_BOOTDISK := $(LAB_DIR)/bootdisk.img
TEST_DEPS    += $(LAB_BOOTDISK)
$(LAB_BOOTDISK): lab/mkbootdisk.sh $(LAB_DIR)/ready
	@rm -f $(LAB_DIR)/bootdisk.unavailable
	@if [ ! -f $(LAB_DIR)/ready ]; then \
		echo "the lab's images are not built" >$(LAB_DIR)/bootdisk.unavailable; \
	elif ! sh lab/mkbootdisk.sh $@ $(abspath $(LAB_CACHE))/kernel/vmlinuz $(LAB_INNER) \
			"console=ttyS0" 2>$(LAB_DIR)/bootdisk.log; then \
		cp $(LAB_DIR)/bootdisk.log $(LAB_DIR)/bootdisk.unavailable; \
		cat $(LAB_DIR)/bootdisk.log >&2; \
	fi

$(LAB_BOOTTIME): tests/lab/boottime.c
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -static -o $@ $<

$(LAB_UIOCHAN): examples/uio-channel.c
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -static -o $@ $<

$(LAB_VSOCKPEER): tests/lab/vsockpeer.c
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -static -o $@ $<

$(LAB_BINS): $(BUILD)/tests/lab/%: tests/lab/%.c $(LAB_TEST_SRCS) $(TEST_LIB) \
		tests/common/testlib.h
	@mkdir -p $(dir $@)
	@echo "  CC     $@"
	$(Q)$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS) -o $@ $< tests/lab/lablib.c $(TEST_LIB) \
		-lcmocka $(LDLIBS)
