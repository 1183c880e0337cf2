/* kfind.c - staff search at a door: when a QR code will not scan (sunlight,
 * a cracked phone, a forgotten ticket), staff open it from the maintenance
 * screen (so behind the PIN: guests in the queue never read the guest list),
 * type part of a name or code (case and accents ignored, guest_find.h), see
 * the matches with seat and state, and admit one with a tap. Pure. */
#include <string.h>

#include "guest_find.h"
#include "kdoor.h"
#include "kfind.h"
#include "text.h"

/* Runs the query over the view again. */
static void refresh(kmodel *m, const kworld *w)
{
    m->nfind = 0;
    m->find_total = 0;
    size_t chars = 0;
    for (const char *p = m->find; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80 && *p != ' ';
    if (!w->view || chars < KFIND_MIN_CHARS)
        return;
    int idx[KFIND_MAX];
    m->find_total = guest_find(w->view, m->find, GUEST_ALL, idx, KFIND_MAX);
    for (size_t i = 0; i < m->find_total && i < KFIND_MAX; i++)
        text_copy(m->find_hits[m->nfind++], USHER_CODE_SIZE, state_ticket(w->view, idx[i])->code);
}

void kfind__open(kmodel *m, const kworld *w)
{
    m->find[0] = '\0';
    refresh(m, w);
    m->screen = SCR_FIND;
}

void kfind__text(kmodel *m, const kworld *w, const char *text)
{
    size_t len = strlen(m->find);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            continue;
        if (len + 1 >= sizeof m->find)
            break;
        m->find[len++] = (char)*p;
    }
    m->find[len] = '\0';
    refresh(m, w); /* a character still being typed matches nothing yet */
}

void kfind__backspace(kmodel *m, const kworld *w)
{
    size_t len = strlen(m->find);
    while (len && ((unsigned char)m->find[len - 1] & 0xC0) == 0x80)
        len--; /* continuation bytes of the last character */
    if (len)
        len--;
    m->find[len] = '\0';
    refresh(m, w);
}

bool kfind__button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx)
{
    if (!strncmp(name, "key_", 4) && name[4] && !name[5]) {
        kfind__text(m, w, name + 4);
    } else if (!strcmp(name, "key_space")) {
        kfind__text(m, w, " ");
    } else if (!strcmp(name, "del")) {
        kfind__backspace(m, w);
    } else if (!strcmp(name, "back")) {
        m->find[0] = '\0';
        m->nfind = 0;
        m->screen = SCR_MAINT;
    } else if (!strncmp(name, "find_", 5) && name[5] >= '0' && name[5] < '0' + KFIND_MAX &&
               !name[6]) {
        int i = name[5] - '0';
        if (i >= m->nfind)
            return true;
        char code[USHER_CODE_SIZE];
        text_copy(code, sizeof code, m->find_hits[i]);
        m->find[0] = '\0';
        m->nfind = 0;
        kdoor__admit_manual(m, w, code, now, fx);
    } else {
        return false;
    }
    return true;
}
