/* An on-target test image: runs its cases once per power-on and reports them
 * on UART0. After a reset (a crashed case resets the core) it says so and
 * stops, instead of running the suite a second time. */
#include <stdint.h>
#include "runner.h"
#include "../hw/board.h"
#include "../hw/cortexm.h"
#include "../hw/uart.h"

#define CASE(suite, name) &UNIT_ENTRY(suite, name)
#define DECLARE(suite, name) extern const struct unit_case UNIT_ENTRY(suite, name)

DECLARE(codec, test_crc32_check_value);
DECLARE(codec, test_sha256_of_abc);
DECLARE(codec, test_strfmt_truncates);
DECLARE(codec, test_deliberately_wrong);
DECLARE(codec, test_not_ready_yet);
DECLARE(faults, test_still_fine);
DECLARE(faults, test_undefined_instruction);
DECLARE(faults, test_after_the_crash);
DECLARE(faults, test_spins_forever);
DECLARE(faults, test_after_the_hang);

/* Each image runs one set: UNIT_SET_CODEC (pass, fail, skip), UNIT_SET_CRASH
 * (a HardFault in the middle), UNIT_SET_HANG (a case that never returns). */
#if defined(UNIT_SET_CODEC)
static const struct unit_case *const cases[] = {
    CASE(codec, test_crc32_check_value), CASE(codec, test_sha256_of_abc), CASE(codec, test_strfmt_truncates),
    CASE(codec, test_deliberately_wrong), CASE(codec, test_not_ready_yet),
};
#elif defined(UNIT_SET_CRASH)
static const struct unit_case *const cases[] = {
    CASE(codec, test_crc32_check_value), CASE(codec, test_deliberately_wrong), CASE(codec, test_not_ready_yet),
    CASE(faults, test_still_fine), CASE(faults, test_undefined_instruction), CASE(faults, test_after_the_crash),
};
#elif defined(UNIT_SET_HANG)
static const struct unit_case *const cases[] = {
    CASE(codec, test_crc32_check_value), CASE(faults, test_spins_forever), CASE(faults, test_after_the_hang),
};
#else
#error "define one of UNIT_SET_CODEC, UNIT_SET_CRASH, UNIT_SET_HANG"
#endif

/* In the no-init block at the top of RAM (ld/sections.ld): kept across a
 * reset, zero at power-on. */
#define RAN_ONCE REG32(NOINIT_ADDR)
#define RAN_ONCE_MAGIC 0x554E4954u  /* "UNIT" */

int main(void)
{
    uart_init();
    uart_puts("unit runner: starting\r\n");
    if (RAN_ONCE == RAN_ONCE_MAGIC) {
        uart_puts("unit runner: started again after a reset; not running the cases twice\r\n");
        for (;;) {
        }
    }
    RAN_ONCE = RAN_ONCE_MAGIC;
    unit_run(cases, (int)(sizeof cases / sizeof cases[0]));
    for (;;) {
    }
}
