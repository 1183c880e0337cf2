/* loop_b.c - the other half of the planted loop (loop.h). */
#include "loop.h"

int loop_b(int n)
{
    return n > 0 ? loop_a(n - 1) + 1 : 0;
}
