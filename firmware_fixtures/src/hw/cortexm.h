/* Cortex-M3/M4 core registers every board layer uses (ARMv7-M SCB, NVIC,
 * SysTick). */
#ifndef CORTEXM_H
#define CORTEXM_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))

#define SCB_VTOR        REG32(0xE000ED08u)
#define SCB_AIRCR       REG32(0xE000ED0Cu)
#define AIRCR_SYSRESETREQ 0x05FA0004u

#define SYST_CSR        REG32(0xE000E010u)
#define SYST_RVR        REG32(0xE000E014u)
#define SYST_CVR        REG32(0xE000E018u)

/* An entry of the vector table (src/hw/startup.c), and the table itself. */
typedef void (*vector_t)(void);
extern const vector_t __vectors[];

/* NVIC set-enable and clear-pending, 32 interrupts per register. */
#define NVIC_ISER(n)    REG32(0xE000E100u + 4u * (n))
#define NVIC_ICPR(n)    REG32(0xE000E280u + 4u * (n))

#endif
