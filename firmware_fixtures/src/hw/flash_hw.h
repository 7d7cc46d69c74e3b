#ifndef FLASH_HW_H
#define FLASH_HW_H

#include <stdint.h>
#include "../core/flash_ops.h"

/* The board's flash (src/hw/flash_hw.c: SSRAM1 as emulated flash on mps2;
 * src/hw/stm32f4/flash_hw.c: the STM32F4 flash interface). */
extern const struct flash_ops flash_hw;
/* Writes and erases done since start-up (for power-cut campaigns). */
extern volatile uint32_t flash_op_count;

#endif
