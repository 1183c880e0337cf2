/* kaudio.h - the kiosk's speaker: plays ktone.h's verdict sounds through an
 * SDL audio queue (the window's shell only; headless runs stay silent). */
#ifndef USHER_KAUDIO_H
#define USHER_KAUDIO_H

#include "kmodel.h"

typedef struct kaudio kaudio;

/* Opens the default audio output for tones at volume 1..100. NULL when
 * volume is 0 or there is no sound device (said once on stderr: the door
 * works on, silently). Free with kaudio_free. */
kaudio *kaudio_open(int volume);

/* Plays t now, cutting short a tone still playing (a new verdict wins). A
 * NULL player or KTONE_NONE is silence. */
void kaudio_play(kaudio *a, ktone t);

void kaudio_free(kaudio *a); /* NULL is a no-op */

#endif
