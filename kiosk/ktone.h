/* ktone.h - the door's verdict sounds, generated: short sine and square
 * bursts as 16-bit samples, no sound files. Pure (no SDL): kaudio.h plays
 * them through an SDL audio queue. Which tone a verdict gets is the model's
 * (kmodel_verdict_tone). */
#ifndef USHER_KTONE_H
#define USHER_KTONE_H

#include <stddef.h>
#include <stdint.h>

#include "kmodel.h"

#define KTONE_MAX_MS 700 /* the longest tone, so a queue never lags the screen */

/* Writes tone t at volume 0..100 (clamped) as signed 16-bit mono samples at
 * rate Hz (8000..192000) into out, at most cap samples. Each note fades in
 * and out over a few milliseconds (no clicks). Returns the number of samples
 * written: 0 for KTONE_NONE, volume 0 or a bad rate. Never more than
 * ktone_samples(t, rate). */
size_t ktone_render(ktone t, int volume, int rate, int16_t *out, size_t cap);

/* The length of tone t in samples at rate (0 for KTONE_NONE or a bad rate). */
size_t ktone_samples(ktone t, int rate);

#endif
