/* ktr.h - the kiosk's words in the guest's language: gettext catalogues
 * (kiosk/po/LANG.po, compiled to .mo at build time) looked up for the language the
 * model says. English is the source language: its words are the msgids. */
#ifndef USHER_KTR_H
#define USHER_KTR_H

#include <stdbool.h>

#define KTR_DOMAIN "usher-kiosk"
#define KTR_LANG_SIZE 8

/* The languages the kiosk offers, in the attract screen's order; each
 * language's own name for itself (ktr_native). */
extern const char *const ktr_langs[];
extern const int ktr_nlangs;

/* Points gettext at dir (DIR/LANG/LC_MESSAGES/usher-kiosk.mo). Without a
 * call, or when dir holds no catalogue, every word stays English. */
void ktr_init(const char *dir);

/* True when lang ("de", "ar") is one of ktr_langs. */
bool ktr_known(const char *lang);

/* lang's name for itself ("Deutsch", "العربية"). */
const char *ktr_native(const char *lang);

/* True for a language written right to left (ar, he, fa, ur). */
bool ktr_rtl(const char *lang);

/* msgid in lang (NULL or "" or "en": msgid itself). The result lives as
 * long as the process. */
const char *ktr_in(const char *lang, const char *msgid) __attribute__((format_arg(2)));

#endif
