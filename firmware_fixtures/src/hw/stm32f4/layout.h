/* Flash map of the demo firmware on an STM32F405/407 (1 MiB of flash at
 * 0x08000000, RM0090 table 5): sectors 0-3 are 16 KiB, sector 4 is 64 KiB,
 * sectors 5-11 are 128 KiB. Included by src/core/layout.h.
 *
 *   sectors 0-1   bootloader (32 KiB)
 *   sector  2, 3  journal sectors 0 and 1
 *   sector  4     reserved: the board identity record (never erased)
 *   sector  5     spare, never used. Renode's STM32F4_FlashController lists
 *                 sector 4 as 16 KiB and sector 5 as 64 KiB, so an erase of
 *                 sector 5 there would leave half of it programmed; nothing
 *                 the demo erases depends on that table's two wrong entries.
 *   sectors 6-8   slot A (384 KiB)
 *   sectors 9-11  slot B (384 KiB)
 */
#ifndef STM32F4_LAYOUT_H
#define STM32F4_LAYOUT_H

#define FLASH_BASE          0x08000000u
#define FLASH_SIZE          0x00100000u
#define SLOT_SECTOR_SIZE    0x20000u     /* sectors 5-11 */
#define JOURNAL_SECTOR_SIZE 0x4000u      /* sectors 0-3 */
#define FLASH_UNIT          8u           /* two 32-bit words (PSIZE x32) */
#define FLASH_ERASED_BYTE   0xFFu

#define BOOTLOADER_BASE     0x08000000u
#define BOOTLOADER_SIZE     0x00008000u
#define JOURNAL0_BASE       0x08008000u
#define JOURNAL1_BASE       0x0800C000u
#define RESERVED_BASE       0x08010000u
#define RESERVED_SIZE       0x00010000u
#define SLOT_A_BASE         0x08040000u
#define SLOT_B_BASE         0x080A0000u
#define SLOT_SIZE           0x00060000u

/* SRAM1+2, where the apps link their stack (an image check tests the initial SP). */
#define RAM_START           0x20000000u
#define RAM_END             0x20020000u

#define FLASH_SECTORS       12u

/* The sector holding addr (FLASH_BASE <= addr < FLASH_BASE + FLASH_SIZE),
 * its start and its size. */
static inline unsigned stm32f4_sector_of(unsigned addr)
{
    unsigned off = addr - FLASH_BASE;
    if (off < 0x10000u) {
        return off / 0x4000u;
    }
    if (off < 0x20000u) {
        return 4u;
    }
    return 5u + (off - 0x20000u) / 0x20000u;
}

static inline unsigned stm32f4_sector_start(unsigned sector)
{
    if (sector < 4u) {
        return FLASH_BASE + sector * 0x4000u;
    }
    if (sector == 4u) {
        return FLASH_BASE + 0x10000u;
    }
    return FLASH_BASE + 0x20000u + (sector - 5u) * 0x20000u;
}

static inline unsigned stm32f4_sector_size(unsigned sector)
{
    return sector < 4u ? 0x4000u : (sector == 4u ? 0x10000u : 0x20000u);
}

#endif
