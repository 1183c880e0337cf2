/* loop.h - a planted loop for lint.calls_catches_a_loop: loop_a.c and
 * loop_b.c call each other, which lint/calls.py must report. */
#ifndef USHER_TEST_LOOP_H
#define USHER_TEST_LOOP_H

int loop_a(int n);
int loop_b(int n);

#endif
