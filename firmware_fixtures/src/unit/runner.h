/* A small on-target test runner of our own that reports in the formats real
 * projects print: Unity (UNIT_FORMAT_UNITY), Unity Fixture's verbose form
 * (UNIT_FORMAT_FIXTURE) and Zephyr's ztest (UNIT_FORMAT_ZTEST). It exists to
 * exercise the host-side collector; it shares no code with those projects.
 *
 * A case is a plain function. A failed check records file, line and message
 * and returns from the case; UNIT_SKIP() marks it ignored/skipped. */
#ifndef UNIT_RUNNER_H
#define UNIT_RUNNER_H

#include <stdint.h>

struct unit_case {
    const char *suite;      /* Fixture: the group; ztest: the suite (Unity names the file instead) */
    const char *name;
    const char *file;
    int line;
    void (*fn)(void);
};

/* A case's function carries the name its framework's convention gives it, so
 * the host can list the cases from the ELF's symbols before running them:
 * Unity `test_x`, Unity Fixture `TEST_<group>_<name>_`; every case also has a
 * table entry `z_ztest_unit_test__<suite>__<name>`, as ztest names them. */
#if defined(UNIT_FORMAT_FIXTURE)
#define UNIT_FN(suite, name) TEST_##suite##_##name##_
#else
#define UNIT_FN(suite, name) name
#endif
#define UNIT_ENTRY(suite, name) z_ztest_unit_test__##suite##__##name

#define UNIT_TEST(suite, name) \
    void UNIT_FN(suite, name)(void); \
    extern const struct unit_case UNIT_ENTRY(suite, name); \
    const struct unit_case UNIT_ENTRY(suite, name) = {#suite, #name, __FILE__, __LINE__, UNIT_FN(suite, name)}; \
    void UNIT_FN(suite, name)(void)

/* Outcome of the running case, set by the checks below. */
void unit_fail(const char *file, int line, const char *expr, const char *message);
void unit_fail_u32(const char *file, int line, const char *expr, uint32_t expected, uint32_t actual);
void unit_skip(const char *file, int line);
int unit_failed(void);

#define UNIT_ASSERT(cond, message) \
    do { if (!(cond)) { unit_fail(__FILE__, __LINE__, #cond, (message)); return; } } while (0)
#define UNIT_ASSERT_EQUAL_U32(expected, actual) \
    do { uint32_t e_ = (expected), a_ = (actual); \
         if (e_ != a_) { unit_fail_u32(__FILE__, __LINE__, #expected " == " #actual, e_, a_); return; } } while (0)
#define UNIT_SKIP() do { unit_skip(__FILE__, __LINE__); return; } while (0)

/* Runs every case in order, printing the chosen format; returns the number of failures. */
int unit_run(const struct unit_case *const *cases, int count);

#endif
