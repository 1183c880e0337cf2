/* kfind.h - staff search at a door inside the kiosk's state machine
 * (kfind.c): opened from the maintenance screen; called by kmodel.c only;
 * calls kdoor.c to admit. */
#ifndef USHER_KFIND_H
#define USHER_KFIND_H

#include "kmodel.h"

void kfind__open(kmodel *m, const kworld *w);
void kfind__text(kmodel *m, const kworld *w, const char *text); /* typed (UTF-8) */
void kfind__backspace(kmodel *m, const kworld *w);
/* A button on the search screen; false when name is not one of its own. */
bool kfind__button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx);

#endif
