/* check.h: the C tests' one assertion. CHECK(cond, printf-format, ...) counts a check and, when
 * cond is false, a failure, printing file, line, the condition and the message for the first
 * CHECK_PRINT_LIMIT failures (define it before including this to change it). A test's main
 * reports `checks` and `failures` and exits non-zero when `failures` is. Included by each test
 * program once (its counters are the program's own); C99 and C++. */
#ifndef FOCALLOSS_TESTS_CHECK_H
#define FOCALLOSS_TESTS_CHECK_H

#include <stdio.h>

#ifndef CHECK_PRINT_LIMIT
#define CHECK_PRINT_LIMIT 400
#endif

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                             \
    do {                                                                             \
        ++checks;                                                                    \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            if (failures <= CHECK_PRINT_LIMIT) {                                     \
                fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);   \
                fprintf(stderr, __VA_ARGS__);                                        \
                fprintf(stderr, "\n");                                               \
            }                                                                        \
        }                                                                            \
    } while (0)

#endif
