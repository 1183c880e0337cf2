/* ktone.c - the door's verdict sounds as note sequences rendered to samples. */
#include "ktone.h"

#include <math.h>
#include <stdbool.h>

typedef enum { WAVE_SINE, WAVE_SQUARE } wave;

typedef struct note {
    int hz; /* 0 = a rest */
    int ms;
    wave wave;
} note;

#define MAX_NOTES 12
#define FADE_MS 4
#define TWO_PI 6.283185307179586

typedef struct melody {
    int n;
    note notes[MAX_NOTES];
} melody;

/* Distinct by pitch, rhythm and timbre, so that staff tell them apart
 * without looking (and without perfect pitch): rising for yes, flat for
 * already, low and long for no, insistent for attention. */
static const melody melodies[] = {
    [KTONE_NONE] = {0, {{0, 0, WAVE_SINE}}},
    [KTONE_ADMITTED] = {3, {{880, 90, WAVE_SINE}, {0, 30, WAVE_SINE}, {1320, 140, WAVE_SINE}}},
    [KTONE_ALREADY] = {3, {{660, 110, WAVE_SQUARE}, {0, 70, WAVE_SINE}, {660, 110, WAVE_SQUARE}}},
    [KTONE_REFUSED] = {1, {{196, 380, WAVE_SQUARE}}},
    [KTONE_ATTENTION] = {11,
                         {{1175, 80, WAVE_SINE},
                          {0, 20, WAVE_SINE},
                          {784, 80, WAVE_SINE},
                          {0, 40, WAVE_SINE},
                          {1175, 80, WAVE_SINE},
                          {0, 20, WAVE_SINE},
                          {784, 80, WAVE_SINE},
                          {0, 40, WAVE_SINE},
                          {1175, 80, WAVE_SINE},
                          {0, 20, WAVE_SINE},
                          {784, 120, WAVE_SINE}}},
};

static const melody *melody_of(ktone t)
{
    return (unsigned)t < sizeof melodies / sizeof *melodies ? &melodies[t] : &melodies[0];
}

static bool rate_ok(int rate)
{
    return rate >= 8000 && rate <= 192000;
}

static size_t note_samples(const note *n, int rate)
{
    return (size_t)n->ms * (size_t)rate / 1000;
}

size_t ktone_samples(ktone t, int rate)
{
    if (!rate_ok(rate))
        return 0;
    const melody *m = melody_of(t);
    size_t total = 0;
    for (int i = 0; i < m->n; i++)
        total += note_samples(&m->notes[i], rate);
    return total;
}

static double envelope(size_t k, size_t len, size_t fade)
{
    if (k < fade)
        return (double)k / (double)fade;
    if (len - k <= fade)
        return (double)(len - k) / (double)fade;
    return 1.0;
}

size_t ktone_render(ktone t, int volume, int rate, int16_t *out, size_t cap)
{
    if (volume > 100)
        volume = 100;
    if (volume <= 0 || !rate_ok(rate) || !out)
        return 0;
    const melody *m = melody_of(t);
    /* Half of full scale at 100: loud on a small speaker, never clipping;
     * squares are louder to the ear than sines of the same amplitude. */
    double peak = 16000.0 * volume / 100.0;
    size_t o = 0;
    size_t fade = (size_t)rate * FADE_MS / 1000;
    for (int i = 0; i < m->n && o < cap; i++) {
        const note *n = &m->notes[i];
        size_t len = note_samples(n, rate);
        for (size_t k = 0; k < len && o < cap; k++) {
            double v = 0;
            if (n->hz) {
                double phase = TWO_PI * n->hz * (double)k / rate;
                v = n->wave == WAVE_SINE ? sin(phase) : (sin(phase) >= 0 ? 0.5 : -0.5);
                v *= peak * envelope(k, len, fade);
            }
            out[o++] = (int16_t)lrint(v);
        }
    }
    return o;
}
