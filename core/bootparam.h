/*
 * bootparam.h - struct boot_params (the "zero page") and struct setup_header of the x86 boot
 * protocol (Linux Documentation/arch/x86/boot.rst). Linux's uapi <asm/bootparam.h> when the
 * system has it, else the subset strand uses with the same names and offsets. The offsets are
 * checked either way. No code, no thread context.
 */
#ifndef STRAND_CORE_BOOTPARAM_H
#define STRAND_CORE_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

#if !defined(STRAND_OWN_BOOTPARAM) && __has_include(<asm/bootparam.h>)
#include <asm/bootparam.h>
#else
#define LOADED_HIGH		   (1 << 0)
#define KEEP_SEGMENTS		   (1 << 6)
#define CAN_USE_HEAP		   (1 << 7)
#define XLF_KERNEL_64		   (1 << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1 << 1)
#define E820_MAX_ENTRIES_ZEROPAGE  128

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct boot_params {
	uint8_t _pad0[0x070];
	uint64_t acpi_rsdp_addr; /* 0x070 */
	uint8_t _pad1[0x0c0 - 0x078];
	uint32_t ext_ramdisk_image; /* 0x0c0 */
	uint32_t ext_ramdisk_size;  /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;  /* 0x0c8 */
	uint8_t _pad2[0x1e8 - 0x0cc];
	uint8_t e820_entries; /* 0x1e8 */
	uint8_t _pad3[0x1ef - 0x1e9];
	uint8_t sentinel; /* 0x1ef */
	uint8_t _pad6[1];
	struct setup_header hdr; /* 0x1f1 */
	uint8_t _pad7[0x2d0 - 0x1f1 - sizeof(struct setup_header)];
	struct boot_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]; /* 0x2d0 */
	uint8_t _pad8[0x1000 - 0xcd0];
} __attribute__((packed));
#endif

/* Offsets in the file (the setup header sits at 0x1f1 of both the file and boot_params). */
#define BOOTPARAM_HDR_OFFSET  0x1f1
#define BOOTPARAM_HDR_MAGIC   0x53726448 /* "HdrS" */
#define BOOTPARAM_BOOT_FLAG   0xaa55
#define BOOTPARAM_LOADER_ID   0xff  /* "undefined" boot loader */
#define BOOTPARAM_ENTRY64_OFF 0x200 /* 64-bit entry: load address + 0x200 */

_Static_assert(sizeof(struct boot_params) == 4096, "zero page size");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == BOOTPARAM_HDR_OFFSET, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry");
_Static_assert(offsetof(struct setup_header, boot_flag) == 0x1fe - 0x1f1, "boot_flag");
_Static_assert(offsetof(struct setup_header, header) == 0x202 - 0x1f1, "header");
_Static_assert(offsetof(struct setup_header, version) == 0x206 - 0x1f1, "version");
_Static_assert(offsetof(struct setup_header, loadflags) == 0x211 - 0x1f1, "loadflags");
_Static_assert(offsetof(struct setup_header, ramdisk_image) == 0x218 - 0x1f1, "ramdisk_image");
_Static_assert(offsetof(struct setup_header, cmd_line_ptr) == 0x228 - 0x1f1, "cmd_line_ptr");
_Static_assert(offsetof(struct setup_header, initrd_addr_max) == 0x22c - 0x1f1, "initrd_max");
_Static_assert(offsetof(struct setup_header, xloadflags) == 0x236 - 0x1f1, "xloadflags");
_Static_assert(offsetof(struct setup_header, cmdline_size) == 0x238 - 0x1f1, "cmdline_size");
_Static_assert(offsetof(struct setup_header, pref_address) == 0x258 - 0x1f1, "pref_address");
_Static_assert(offsetof(struct setup_header, init_size) == 0x260 - 0x1f1, "init_size");
_Static_assert(offsetof(struct setup_header, kernel_info_offset) == 0x268 - 0x1f1, "kinfo");

#endif
