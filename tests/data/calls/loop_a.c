/* loop_a.c - one half of the planted loop (loop.h). */
#include "loop.h"

int loop_a(int n)
{
    return n > 0 ? loop_b(n - 1) : 0;
}
