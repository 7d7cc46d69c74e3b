/* Cases that crash or hang on purpose: the collector must fail the running
 * case with the cause and report the cases after it as not run. */
#include <stdint.h>
#include "runner.h"

UNIT_TEST(faults, test_still_fine)
{
    UNIT_ASSERT(1 + 1 == 2, "arithmetic");
}

UNIT_TEST(faults, test_undefined_instruction)
{
    __asm volatile("udf #0");
}

UNIT_TEST(faults, test_after_the_crash)
{
}

UNIT_TEST(faults, test_spins_forever)
{
    for (volatile uint32_t i = 0;; i++) {
    }
}

UNIT_TEST(faults, test_after_the_hang)
{
}
