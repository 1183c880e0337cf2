/* kmodel.h - the kiosk's screen state machine: a pure update(model, world,
 * input, now) -> effects. The model is what the kiosk remembers between
 * inputs (screen, typed text, the party and its seats, the map's zoom); the
 * world is what the journal says now (layout, replica + pending ops, sync
 * status); effects are what the shell must do (append ops durably, wake
 * syncd, quit). No SDL and no I/O here: the same code serves a finger, a
 * scanner and a test script (README.md "Working on the code"). */
#ifndef USHER_KMODEL_H
#define USHER_KMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "kinput.h"
#include "kcard.h"
#include "klayout.h"
#include "kprintq.h"
#include "ktr.h"
#include "layout.h"
#include "qrsig.h"
#include "seatmap.h"
#include "state.h"

typedef enum { KMODE_GUEST = 0, KMODE_DOOR = 1 } kmode;

#define KSCREEN_MAP(X)                                                                             \
    X(WAITING, "waiting")                                                                          \
    X(ATTRACT, "attract")                                                                          \
    X(ENTRY, "entry")                                                                              \
    X(SEATMAP, "seatmap")                                                                          \
    X(CONFIRM, "confirm")                                                                          \
    X(DONE, "confirmation")                                                                        \
    X(DOOR, "door")                                                                                \
    X(VERDICT, "verdict")                                                                          \
    X(PIN, "pin")                                                                                  \
    X(MAINT, "maintenance")                                                                        \
    X(FIND, "find")                                                                                \
    X(STORAGE, "storage")

typedef enum {
#define KSCREEN_ENUM(e, s) SCR_##e,
    KSCREEN_MAP(KSCREEN_ENUM)
#undef KSCREEN_ENUM
} kscreen;

/* "seatmap" etc. (the script language's names); kscreen_parse: -1 if unknown. */
const char *kscreen_name(kscreen s);
int kscreen_parse(const char *name);

#define KPARTY_MAX 8
#define KREPRINT_MAX 2    /* a party's cards printed again at most this often */
#define KFIND_MAX 6       /* staff search: matches kept for the screen */
#define KFIND_MIN_CHARS 2 /* ...and the characters typed before it searches */

/* The coordinator's answer to an op the model waits on (a party's assigns),
 * as the journal's outbox has it (kmodel_watched_ops). */
typedef struct kop_state {
    char op_id[USHER_OPID_SIZE];
    outbox_state state;
    verdict_reason reason; /* when rejected */
} kop_state;

/* What the journal says now; the shell refreshes it when PRAGMA data_version
 * moves or after its own appends. l and view are NULL before bootstrap. */
typedef struct kworld {
    const layout *l;
    const state *view; /* replica + this device's pending ops */
    journal_identity id;
    journal_status st;
    int64_t pending;
    journal_policy policy;
    bool have_pk;
    uint8_t pk[QRSIG_PK_BYTES];
    kop_state ops[KPARTY_MAX]; /* the watched ops found in the outbox */
    int nops;
    int64_t unsaved;         /* ops the shell keeps in memory: the journal refused them */
    kprinter_status printer; /* the seat-card printer (--printer); state OFF without one */
    /* The journal cannot even be opened: its disk is full (no layout, nothing
     * can be saved). With st.storage_full (usher-syncd found the disk full)
     * the kiosk shows "cannot save" instead of taking the next guest. */
    bool storage_full;
    /* The entrances and this door's own (entrance.h); NULL or none defined:
     * every ticket is at the right entrance. */
    const entrance_set *entrances;
    /* The tickets inside by this door's entrance (entrance_count_inside),
     * counted by the shell when the view changes rather than at every
     * frame (100,000 tickets: about 5 ms); known false: the view counts it. */
    bool entrance_inside_known;
    int64_t entrance_inside;
} kworld;

/* How a seat looks to the guest at the kiosk (colour and legend). */
#define KLOOK_MAP(X)                                                                               \
    X(FREE, "free")                                                                                \
    X(HELD, "held")                                                                                \
    X(TAKEN, "taken")                                                                              \
    X(MINE, "mine")                                                                                \
    X(BLOCKED, "blocked")                                                                          \
    X(CLASS, "class")                                                                              \
    X(UNAVAILABLE, "unavailable")

typedef enum {
#define KLOOK_ENUM(e, s) LOOK_##e,
    KLOOK_MAP(KLOOK_ENUM)
#undef KLOOK_ENUM
        LOOK_COUNT
} klook;

const char *klook_name(klook k);
int klook_parse(const char *name); /* -1 if unknown */

typedef struct kconfig {
    kmode mode;
    bool mode_auto;           /* no --mode: the device's role decides (door -> door mode) */
    int w, h;                 /* screen pixels */
    double ppmm;              /* pixels per millimetre of the screen */
    int64_t idle_ms;          /* back to attract after this long untouched */
    int64_t verdict_ms;       /* door verdict shown this long */
    int64_t longpress_ms;     /* staff gesture: top-left corner held this long */
    int64_t still_ms;         /* the "Still there?" countdown before the idle release */
    char pin[16];             /* --pin: this device's own staff PIN; "" = the event's (hashed) */
    char lang[KTR_LANG_SIZE]; /* the default language ("en"); guests may pick another */
    bool lang_fixed;          /* --lang given: it wins over the event's language */
    bool exit_door;           /* --mode exit: a door that starts in exit mode */
} kconfig;

/* One ticket of the party at the kiosk. */
typedef struct kguest {
    char code[USHER_CODE_SIZE];
    char name[USHER_NAME_SIZE];
    char klass[USHER_CLASS_SIZE];
    char had_seat[USHER_SEAT_ID_SIZE]; /* its seat when entered (a change), "" */
    char seat[USHER_SEAT_ID_SIZE];     /* held for it now, "" = none yet */
    int64_t hold_until;                /* by this kiosk's clock */
    char assigned[USHER_SEAT_ID_SIZE]; /* the seat confirmed (assign op) */
    char assign_op[USHER_OPID_SIZE];   /* that assign op's id */
} kguest;

/* MSG_STILL_THERE: the idle countdown; any tap keeps the guest's seats. */
typedef enum { MSG_NONE = 0, MSG_INFO, MSG_REFUSAL, MSG_STILL_THERE } kmsg_kind;

/* A message box over the screen; buttons "ok", or "keep" + "change". */
typedef struct kmsg {
    kmsg_kind kind;
    char title[96];
    char body[320];
    bool offer_change; /* an already-seated ticket: keep or change */
    char change_code[USHER_CODE_SIZE];
} kmsg;

/* VERDICT_SHOW_QR: a weak code typed or scanned alone; not an admission, not
 * recorded ("Please show the QR code of your ticket, or ask staff"). */
typedef enum {
    VERDICT_ADMITTED = 1,
    VERDICT_ALREADY,
    VERDICT_REFUSED,
    VERDICT_SHOW_QR
} kverdict_kind;

/* The sound a door makes for a verdict, so that staff need not look: the
 * shell plays it (kiosk/ktone.h), silent at volume 0 and in headless runs. */
typedef enum ktone {
    KTONE_NONE = 0,
    KTONE_ADMITTED,  /* green: a rising two-note chime */
    KTONE_ALREADY,   /* amber: two flat beeps */
    KTONE_REFUSED,   /* red: a low buzz */
    KTONE_ATTENTION, /* a note or special attention: three quick high-low calls */
} ktone;

/* "none", "admitted", "already", "refused", "attention". */
const char *ktone_name(ktone t);

typedef struct kverdict {
    kverdict_kind kind;
    char code[USHER_CODE_SIZE];
    char title[64];
    char name[USHER_NAME_SIZE];
    char seat[USHER_SEAT_ID_SIZE];
    char detail[160];
    char note[USHER_TICKET_NOTE_SIZE]; /* the ticket's note for door staff, "" = none */
    bool attention;                    /* the ticket requires special attention */
    int64_t at;
    char op_id[USHER_OPID_SIZE]; /* the checkin (or checkout) op recording it, "" = none */
    bool saved;                  /* nothing to record, or its op is durable */
    bool checkout;               /* exit mode: GOODBYE, the op is a checkout */
    bool reprinted;              /* its seat card was printed again (once per verdict) */
    /* WRONG ENTRANCE (amber, not recorded): "Entrance B, please" in the
     * verdict's language, the entrances that admit the ticket named; staff
     * may admit it here behind the PIN ("override") */
    bool wrong_entrance;
    char go_to[160];
} kverdict;

typedef struct kmodel {
    kconfig cfg;
    kscreen screen;
    kmode mode;
    int64_t last_input_at;
    /* entry: what was typed or scanned, and how fast (a scanner types fast) */
    char entry[QRSIG_PAYLOAD_SIZE];
    int64_t entry_at;     /* last character */
    int entry_fast;       /* characters that came fast after the previous */
    int wrong;            /* wrong codes in a row */
    int64_t locked_until; /* keypad slowed down until then */
    kmsg msg;
    int64_t still_until;      /* MSG_STILL_THERE: the guest's holds go then */
    char lang[KTR_LANG_SIZE]; /* the language on screen now */
    bool lang_picked;         /* this guest tapped a language: kept until they leave */
    /* a weak typed code waits for its holder's last name before it joins
     * the party (proof_seated: it is seated, and the guest asked to change) */
    char proof_code[USHER_CODE_SIZE];
    bool proof_seated;
    /* the party */
    kguest party[KPARTY_MAX];
    int nparty;
    int reprints; /* "Print my card again" taps for this party (at most KREPRINT_MAX) */
    char party_id[USHER_OPID_SIZE];
    /* the map */
    seatmap map;
    bool map_ready;
    bool down; /* finger 0 is down */
    float down_x, down_y, last_x, last_y;
    int64_t down_at;
    bool dragged;
    /* door */
    kverdict verdict;
    int64_t verdict_until;
    unsigned verdict_seq; /* counts verdicts put on screen (and turned amber): a tone each */
    int admitted;         /* scans admitted at this kiosk since it started (and saved) */
    bool exit_mode;       /* door: a scan records a checkout (the guest leaves) */
    /* staff */
    char pin[16];
    kscreen pin_back; /* where PIN / maintenance return to */
    /* a wrong-entrance ticket staff chose to admit here: the PIN first */
    char override_code[USHER_CODE_SIZE];
    /* staff search at a door (behind the PIN): the query and what it finds */
    char find[64];
    char find_hits[KFIND_MAX][USHER_CODE_SIZE];
    int nfind;         /* hits kept, at most KFIND_MAX */
    size_t find_total; /* every match of the query */
    bool quit_asked;
    char save_error[160]; /* the last failed save, for staff (maintenance) */
} kmodel;

#define KEFFECT_MAX_OPS (2 * KPARTY_MAX + 2)

/* What the shell must do after an update. */
typedef struct keffects {
    usher_op ops[KEFFECT_MAX_OPS]; /* append in one transaction, in order, then wake syncd */
    int nops;
    int admitted; /* door admissions these ops record: counted once saved */
    ktone tone;   /* the sound of a verdict just shown, KTONE_NONE = silence */
    /* seat cards to print (a printer is set): once the ops are saved, or at
     * once when there are none (a reprint) */
    kcard cards[KPARTY_MAX];
    int ncards;
    bool quit;
} keffects;

/* Sets m up (cfg copied). The first screen depends on the world: waiting
 * until the journal is bootstrapped. */
void kmodel_init(kmodel *m, const kconfig *cfg, const kworld *w, int64_t now);

/* The one transition: applies input at now, filling fx (cleared first).
 * KIN_TICK lets timers run (countdowns, idle timeout, lockouts) and picks up
 * world changes (a seat taken meanwhile, a reseat). */
void kmodel_update(kmodel *m, const kworld *w, const kiosk_input *in, int64_t now, keffects *fx);

/* The shell saved fx's ops durably (at once, or later on a retry): a door
 * verdict recording one of them turns final (its timer starts now) and its
 * admissions count. */
void kmodel_saved(kmodel *m, const kworld *w, const keffects *fx, int64_t now);

/* The shell could not save fx's ops (the journal refused them; nothing was
 * written). The model undoes what it assumed and removes those ops from fx:
 * a hold is let go and an assign goes back to the confirm screen, with a
 * plain "could not save" message for the guest. What stays in fx (releases,
 * check-ins: what happened at the kiosk) the shell keeps and retries, in
 * order, until saved; a door verdict shows NOT RECORDED until then. `why`
 * (the journal's words) is for staff only: the maintenance screen. */
void kmodel_save_failed(kmodel *m, const kworld *w, keffects *fx, const char *why, int64_t now);

/* The op ids whose outbox state the shell copies into w->ops (the party's
 * assigns, for the confirmation). Returns how many were written to ids. */
int kmodel_watched_ops(const kmodel *m, const char *ids[], int max);

/* True when party member i's assign was rejected and the world has no seat
 * for the ticket (revoked, or the seat was taken with none free instead). */
bool kmodel_guest_refused(const kmodel *m, const kworld *w, int i);

/* How seat si looks to the guest now (party's seats, class of the ticket
 * choosing, offline lease policy). */
klook kmodel_seat_look(const kmodel *m, const kworld *w, int si, int64_t now);

/* The party member choosing a seat now: the first without one; -1 when all
 * have one. */
int kmodel_choosing(const kmodel *m);

/* The tone of a verdict: attention for an admitted or already-in ticket that
 * carries a note or the attention flag (staff must look), else admitted,
 * already (already checked in, or a weak code that needs its QR) or refused. */
ktone kmodel_verdict_tone(const kverdict *v);

/* True when the door's verdict on screen offers its seat card again: a
 * printer is set, the ticket is checked in (WELCOME once saved, or ALREADY
 * CHECKED IN: a guest whose card did not come out or got lost) and it has
 * not been printed again for this verdict. */
bool kmodel_door_reprint_ok(const kmodel *m, const kworld *w);

/* True when a seated guest of the party holds a ticket with a note or the
 * attention flag: the confirmation asks them to see a member of staff (never
 * showing the note itself, which is for staff). */
bool kmodel_party_needs_staff(const kmodel *m, const kworld *w);

/* True when the device should be treated as offline: syncd says so, or it
 * has not tried for a while (it tries every 10 s while alive). */
bool kmodel_offline(const kworld *w, int64_t now);

/* Where the seat map goes on the screen (klayout.h), and the finger size in pixels. */
krect kmodel_map_area(const kconfig *cfg, const char *lang);
double kmodel_finger_px(const kconfig *cfg);

/* The confirmation QR code's text: the event's name, then "CODE SEAT (WORDS)"
 * a line per ticket seated (at most 32 + 1 + 16 + 2 + 95 + 2 bytes each). */
#define KMODEL_QR_TEXT_SIZE (USHER_EVENT_NAME_SIZE + KPARTY_MAX * 160)

/* Writes the confirmation QR text into out (size bytes, KMODEL_QR_TEXT_SIZE
 * is always enough); a refused ticket has no line. Returns the number of
 * tickets written. */
int kmodel_confirmation_text(const kmodel *m, const kworld *w, char *out, size_t size);

/* The seat a party member sits in now as the world says (a reseat shows
 * here), "" when its assign was refused (kmodel_guest_refused), else what
 * the kiosk assigned or holds. */
const char *kmodel_guest_seat(const kmodel *m, const kworld *w, int i);

/* True when a guest's answer proves they hold the ticket of `holder`: the
 * answer is the holder's last name (the last word of the name, or all after
 * the first word: "de Vries"), compared without case and accents
 * ("angstrom" = "Ångström"; shared/fold.h). */
bool kmodel_name_proof_ok(const char *holder, const char *answer);

/* True when a typed (not signed) code must be proven with the holder's last
 * name (guest kiosk) or a signed QR code (door): the event's codes are weak
 * and the code is not one Usher generated (a right check character: those
 * are random whatever the rest of the event's codes are). */
bool kmodel_typed_needs_proof(const kworld *w, const char *code);

/* Human words for a seat in lang: "Table 7, seat 3" / "Row A, seat 12" (the
 * section's label is the layout's own). */
void kmodel_seat_words(const layout *l, const char *lang, const char *seat_id, char *out,
                       size_t size);

#endif
