/* Cortex-M3 start-up: vector table, .data copy, .bss clear, then main().
 * The table is placed by the linker at the image's link base (0x0 for the
 * bootloader and the standalone demo, slot base + 0x200 for slot images). */
#include <stdint.h>
#include "cortexm.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));


__attribute__((section(".vectors"), used))
const vector_t __vectors[16 + 32] = {
    (vector_t)__stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    /* External interrupts 0..31 are never enabled by the demo firmware. */
    [16 ... 47] = Default_Handler,
};

void Reset_Handler(void)
{
    /* A slot image is entered by a jump from the bootloader, so it points
     * VTOR at its own table rather than trusting the caller to. */
    SCB_VTOR = (uint32_t)__vectors;

    /* The linker's symbols are separate objects to C: count words between
     * their addresses rather than compare pointers to different objects. */
    uint32_t data_words = ((uint32_t)(uintptr_t)__data_end - (uint32_t)(uintptr_t)__data_start) / 4u;
    for (uint32_t i = 0; i < data_words; i++) {
        __data_start[i] = __data_load[i];
    }
    uint32_t bss_words = ((uint32_t)(uintptr_t)__bss_end - (uint32_t)(uintptr_t)__bss_start) / 4u;
    for (uint32_t i = 0; i < bss_words; i++) {
        __bss_start[i] = 0;
    }
    main();
    for (;;) {
    }
}

void Default_Handler(void)
{
    /* Unexpected exception: reset rather than hang silently. */
    SCB_AIRCR = AIRCR_SYSRESETREQ;
    for (;;) {
    }
}
