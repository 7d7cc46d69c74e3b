#ifndef FLASH_HW_H
#define FLASH_HW_H

#include <stdint.h>
#include "../core/flash_ops.h"

/* Emulated flash in SSRAM1 (see flash_hw.c). */
extern const struct flash_ops flash_hw;
/* Writes and erases done since start-up (for power-cut campaigns). */
extern volatile uint32_t flash_op_count;

#endif
