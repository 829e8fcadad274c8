# Raw boot sectors for firmware boot (*boot.S: 16-bit code linked at
# 0x7c00, written out as a flat binary); the KVM test pads one into a disk
# image at run time.
GUESTBOOT := $(patsubst tests/guests/%.S,$(BUILD)/tests/guests/%.bin,$(wildcard tests/guests/*boot.S))

$(BUILD)/tests/guests/%boot.bin: tests/guests/%boot.S
	@mkdir -p $(dir $@)
	@echo "  AS     $@"
	$(Q)$(CC) -m32 -c -o $@.o $<
	$(Q)ld -m elf_i386 -static -nostdlib -Ttext=0x7c00 -e _start --oformat binary -o $@ $@.o

TEST_DEPS += $(GUESTBOOT)
