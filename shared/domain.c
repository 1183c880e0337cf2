/* domain.c - role names and the seat-class rule. */
#include "domain.h"

#include <string.h>
#include <strings.h>

const char *role_name(usher_role role)
{
    switch (role) {
    case ROLE_KIOSK:
        return "kiosk";
    case ROLE_DOOR:
        return "door";
    case ROLE_ADMIN:
        return "admin";
    case ROLE_NONE:
        break;
    }
    return NULL;
}

usher_role role_parse(const char *name)
{
    if (!name)
        return ROLE_NONE;
    for (usher_role r = ROLE_KIOSK; r <= ROLE_ADMIN; r++)
        if (!strcmp(name, role_name(r)))
            return r;
    return ROLE_NONE;
}

bool domain_class_allows(const char *sclass, const char *tclass)
{
    if (!sclass || !*sclass)
        return true;
    return tclass && strcasecmp(sclass, tclass) == 0;
}

bool domain_ticket_inside(const ticket_state *t)
{
    return t->checked_in_at != 0 && t->checked_out_at == 0;
}
