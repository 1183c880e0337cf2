/* ktr.c - gettext lookups in the language the model says (see ktr.h). The
 * language is chosen through LANGUAGE. glibc caches a looked-up translation
 * by domain and locale, not by LANGUAGE: after a switch the cache must be
 * told (_nl_msg_cat_cntr, the GNU gettext manual's way), or the first
 * language looked up stays on screen. Switches are rare (a guest's tap). */
#include "ktr.h"

#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *const ktr_langs[] = {"en", "de", "fr", "es", "ar", "zh"};
const int ktr_nlangs = (int)(sizeof ktr_langs / sizeof ktr_langs[0]);
static const char *const natives[] = {"English", "Deutsch", "Français",
                                      "Español", "العربية", "中文"};

extern int _nl_msg_cat_cntr; /* glibc's and GNU gettext's cache generation */

static bool ready;
static char current[KTR_LANG_SIZE];

void ktr_init(const char *dir)
{
    /* gettext ignores LANGUAGE in the "C" locale; C.UTF-8 is always there. */
    if (!setlocale(LC_MESSAGES, "C.UTF-8"))
        setlocale(LC_MESSAGES, "C.utf8");
    setlocale(LC_CTYPE, "C.UTF-8");
    bindtextdomain(KTR_DOMAIN, dir);
    bind_textdomain_codeset(KTR_DOMAIN, "UTF-8");
    ready = true;
}

bool ktr_known(const char *lang)
{
    for (int i = 0; lang && i < ktr_nlangs; i++)
        if (!strcmp(lang, ktr_langs[i]))
            return true;
    return false;
}

const char *ktr_native(const char *lang)
{
    for (int i = 0; lang && i < ktr_nlangs; i++)
        if (!strcmp(lang, ktr_langs[i]))
            return natives[i];
    return lang ? lang : "";
}

bool ktr_rtl(const char *lang)
{
    static const char *const rtl[] = {"ar", "he", "fa", "ur"};
    for (size_t i = 0; lang && i < sizeof rtl / sizeof rtl[0]; i++)
        if (!strcmp(lang, rtl[i]))
            return true;
    return false;
}

const char *ktr_in(const char *lang, const char *msgid)
{
    if (!ready || !lang || !lang[0] || !strcmp(lang, "en") || !ktr_known(lang))
        return msgid;
    if (strcmp(current, lang) != 0) {
        setenv("LANGUAGE", lang, 1);
        ++_nl_msg_cat_cntr;
        text_copy(current, sizeof current, lang);
    }
    return dgettext(KTR_DOMAIN, msgid);
}
