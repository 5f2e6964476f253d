/* Callgrind's client requests for bench/counter_profile.py (loaded with ctypes): count the
 * instructions of exactly the measured requests. Outside valgrind each call does nothing. */
#include <valgrind/callgrind.h>

void cg_start(void) {
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
}

void cg_stop(const char *name) {
    CALLGRIND_STOP_INSTRUMENTATION;
    CALLGRIND_DUMP_STATS_AT(name);
}
