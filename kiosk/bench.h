/* bench.h - `usher-kiosk --bench-frames N --layout SPEC`: frame times of the seat
 * map on the software renderer, for scripts/bench. */
#ifndef USHER_KBENCH_H
#define USHER_KBENCH_H

#include "kmodel.h"

/* Draws n frames of a generated venue (a third of its seats taken) at the
 * overview and at finger zoom; prints one line per zoom with the median and
 * p99 frame time in ms. Returns the process exit code. */
int kbench_frames(const char *spec, int n, const char *font, const kconfig *cfg);

/* `--bench-taps N`: n taps on seats of a generated venue in a temporary
 * journal (holds and releases, each one op made durable with fsync, then the
 * view rebuilt), through the kiosk's own input path; prints the median and
 * p99 time from tap to that point. Returns the process exit code. */
int kbench_taps(const char *spec, int n, const kconfig *cfg);

#endif
