/* Flash map of the demo firmware and the rules of its flash, per board:
 * QEMU mps2-an385 (the default; SSRAM1 used as 1 MiB of emulated flash) or
 * an STM32F405/407 (-DBOARD_STM32F4: Renode's stm32f4, a real board).
 *
 * Each board defines FLASH_BASE/SIZE, FLASH_UNIT (program granularity),
 * FLASH_ERASED_BYTE, the regions below, and two erase granularities:
 * SLOT_SECTOR_SIZE (every sector of a slot has it; the update engine erases
 * in these) and JOURNAL_SECTOR_SIZE (each of the two journal sectors). */
#ifndef LAYOUT_H
#define LAYOUT_H

#if defined(BOARD_STM32F4)
#include "../hw/stm32f4/layout.h"
#else

#define FLASH_BASE          0x00000000u
#define FLASH_SIZE          0x00100000u
#define FLASH_SECTOR_SIZE   0x1000u      /* erase granularity */
#define SLOT_SECTOR_SIZE    FLASH_SECTOR_SIZE
#define JOURNAL_SECTOR_SIZE FLASH_SECTOR_SIZE
#define FLASH_UNIT          8u           /* program granularity */
#define FLASH_ERASED_BYTE   0xFFu

#define BOOTLOADER_BASE     0x00000000u
#define BOOTLOADER_SIZE     0x0000C000u
#define JOURNAL0_BASE       0x0000C000u
#define JOURNAL1_BASE       0x0000D000u
#define RESERVED_BASE       0x0000E000u
#define RESERVED_SIZE       0x00002000u
#define SLOT_A_BASE         0x00010000u
#define SLOT_B_BASE         0x00088000u
#define SLOT_SIZE           0x00078000u

/* The SRAM an app's initial stack pointer must point into. */
#define RAM_START           0x20000000u
#define RAM_END             0x20040000u

#endif

/* The board identity record, written once at manufacture at the start of the
 * reserved area (the bootloader never touches it): "HWID", then the hardware
 * revision letter. A blank area means revision '?'. */
#define HWID_BASE           RESERVED_BASE
#define HWID_MAGIC          0x44495748u   /* "HWID" read as a little-endian word */

#define IMAGE_HEADER_SIZE   0x200u       /* vector table at slot base + 0x200 */

#define NUM_SLOTS           2
#define SLOT_A              0
#define SLOT_B              1

static inline unsigned slot_base(int slot)
{
    return slot == SLOT_B ? SLOT_B_BASE : SLOT_A_BASE;
}

static inline char slot_letter(int slot)
{
    return slot == SLOT_B ? 'B' : (slot == SLOT_A ? 'A' : '-');
}

#endif
