/* domain.h - Usher's small value types: sizes, roles, seat and ticket states.
 *
 * Every *_SIZE is a buffer size including the terminating NUL; the longest
 * valid text is one less. An empty string means "none" (no ticket, no seat).
 */
#ifndef USHER_DOMAIN_H
#define USHER_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#define USHER_SEAT_ID_SIZE 17 /* "T07-03", "A-12": [A-Za-z0-9_.-]{1,16} */
#define USHER_CODE_SIZE 33    /* ticket code: [A-Z0-9-]{1,32}, stored upper case */
#define USHER_CLASS_SIZE 17   /* "VIP", "Regular"; "" = no class */
#define USHER_NAME_SIZE 257   /* holder name, UTF-8, up to 256 bytes */
#define USHER_LABEL_SIZE 33   /* seat or section label shown to people */
#define USHER_DEVICE_SIZE 65  /* device id: [A-Za-z0-9_.-]{1,64} */
#define USHER_OPID_SIZE 37    /* UUID text, 36 chars */
#define USHER_EVENT_NAME_SIZE 129
#define USHER_NOTE_SIZE 41         /* a refused scan's first characters, printable ASCII */
#define USHER_TICKET_NOTE_SIZE 201 /* a ticket's note for door staff, UTF-8, up to 200 bytes */

#define USHER_MAX_SEATS 250000 /* absurd-size guard for layouts: a big stadium */
#define USHER_MAX_TICKETS 500000
#define USHER_MAX_BATCH 1000 /* ops in one sync request */
#define USHER_DEFAULT_HOLD_TTL_MS 120000
#define USHER_MAX_HOLD_TTL_MS (3600 * 1000)         /* 1 h */
#define USHER_DEFAULT_LEASE_TTL_MS (30 * 60 * 1000) /* 30 min */
/* A device clock further than this from the coordinator's is worth a person's
 * look (an alert on the dashboard, a line on the kiosk's maintenance screen);
 * Usher itself judges time by the coordinator's clock whatever the offset. */
#define USHER_CLOCK_SKEW_ALERT_MS (60 * 1000)
#define USHER_MAX_LEASE_TTL_MS (4 * 3600 * 1000) /* 4 h */

typedef enum {
    ROLE_NONE = 0,
    ROLE_KIOSK = 1, /* hold, release, assign, unassign, lease, unlease */
    ROLE_DOOR = 2,  /* checkin */
    ROLE_ADMIN = 3, /* everything, including revoke, block, unblock */
} usher_role;

/* "kiosk", "door", "admin"; NULL for ROLE_NONE or strays. */
const char *role_name(usher_role role);
/* Parses a role name; ROLE_NONE when unknown. */
usher_role role_parse(const char *name);

/* What one seat holds, as the coordinator (or a replica) believes.
 *
 * A lease (offline policy `lease`, shared/README.md "Conflict rules" 8) reserves a free seat for
 * one device until lease_until by the coordinator's clock, so that the device
 * can seat guests there while offline without any conflict. Like a hold, a
 * lease with lease_until <= now is gone; a seat that gets a ticket or is
 * blocked loses its lease. */
typedef struct seat_state {
    char ticket[USHER_CODE_SIZE];         /* "" when free */
    bool blocked;                         /* taken out of use by an organiser */
    char hold_device[USHER_DEVICE_SIZE];  /* "" when not held */
    int64_t hold_until;                   /* ms; a hold with hold_until <= now is gone */
    char lease_device[USHER_DEVICE_SIZE]; /* "" when not leased */
    int64_t lease_until;                  /* ms; a lease with lease_until <= now is gone */
} seat_state;

/* One ticket and what happened to it. One ticket = one seat. */
typedef struct ticket_state {
    char code[USHER_CODE_SIZE];
    char name[USHER_NAME_SIZE];
    char klass[USHER_CLASS_SIZE];
    char seat[USHER_SEAT_ID_SIZE];          /* "" when unseated */
    char party[USHER_OPID_SIZE];            /* who it was seated with, may be "" */
    int64_t checked_in_at;                  /* ms, 0 when not checked in */
    char checkin_device[USHER_DEVICE_SIZE]; /* the door that admitted it */
    int64_t checked_out_at; /* ms, 0 when not out: inside = checked in and not out since */
    char checkout_device[USHER_DEVICE_SIZE]; /* the door it left by, "" when not out */
    bool revoked;
    char note[USHER_TICKET_NOTE_SIZE]; /* for door staff ("wheelchair, escort to table 4"), may be
                                          "" */
    bool attention;                    /* requires special attention at the door */
} ticket_state;

/* True when a ticket of class tclass may sit in a seat of class sclass: a seat
 * without a class is open to all; a classed seat needs the same class
 * (compared without regard to ASCII case). */
bool domain_class_allows(const char *sclass, const char *tclass);

/* True when the ticket's guest is inside now: checked in and not checked out
 * since (the door's count, the dashboard's "Inside", /metrics). */
bool domain_ticket_inside(const ticket_state *t);

#endif
