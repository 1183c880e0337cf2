/* sdlin.c - SDL_Event -> kiosk_input (see sdlin.h). Touch, mouse, wheel, pinch,
 * text and the few keys the kiosk knows; touch does not also arrive as mouse
 * (main.c sets SDL_HINT_TOUCH_MOUSE_EVENTS to 0, and synthetic mouse events
 * are skipped here). */
#include "sdlin.h"

#include <string.h>

#include "text.h"

int sdlin_convert(sdlin_state *st, const SDL_Event *e, int w, int h, kiosk_input *out)
{
    memset(out, 0, sizeof *out);
    switch (e->type) {
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        if (e->button.which == SDL_TOUCH_MOUSEID || e->button.button != SDL_BUTTON_LEFT)
            return 0;
        out->kind = e->type == SDL_MOUSEBUTTONDOWN ? KIN_DOWN : KIN_UP;
        out->x = (float)e->button.x;
        out->y = (float)e->button.y;
        return 1;
    case SDL_MOUSEMOTION:
        if (e->motion.which == SDL_TOUCH_MOUSEID || !(e->motion.state & SDL_BUTTON_LMASK))
            return 0;
        out->kind = KIN_MOVE;
        out->x = (float)e->motion.x;
        out->y = (float)e->motion.y;
        return 1;
    case SDL_MOUSEWHEEL:
        if (e->wheel.y == 0)
            return 0;
        out->kind = KIN_ZOOM;
        out->factor = e->wheel.y > 0 ? 1.25f : 0.8f;
        out->x = (float)e->wheel.mouseX;
        out->y = (float)e->wheel.mouseY;
        return 1;
    case SDL_FINGERDOWN:
    case SDL_FINGERMOTION:
    case SDL_FINGERUP: {
        if (e->type == SDL_FINGERDOWN && !st->finger_down) {
            st->finger_down = true;
            st->first = e->tfinger.fingerId;
        }
        bool first = st->finger_down && e->tfinger.fingerId == st->first;
        if (e->type == SDL_FINGERUP && first)
            st->finger_down = false;
        out->kind = e->type == SDL_FINGERDOWN ? KIN_DOWN
                    : e->type == SDL_FINGERUP ? KIN_UP
                                              : KIN_MOVE;
        out->finger = first ? 0 : 1;
        out->x = e->tfinger.x * (float)w;
        out->y = e->tfinger.y * (float)h;
        return 1;
    }
    case SDL_MULTIGESTURE:
        if (e->mgesture.numFingers < 2 || e->mgesture.dDist == 0)
            return 0;
        out->kind = KIN_ZOOM;
        out->factor = 1.0f + e->mgesture.dDist * 3.0f;
        out->x = e->mgesture.x * (float)w;
        out->y = e->mgesture.y * (float)h;
        return 1;
    case SDL_TEXTINPUT:
        out->kind = KIN_TEXT;
        text_copy(out->text, sizeof out->text, e->text.text);
        return 1;
    case SDL_KEYDOWN:
        switch (e->key.keysym.sym) {
        case SDLK_RETURN:
        case SDLK_KP_ENTER:
            out->key = KKEY_RETURN;
            break;
        case SDLK_TAB:
            out->key = KKEY_TAB;
            break;
        case SDLK_BACKSPACE:
            out->key = KKEY_BACKSPACE;
            break;
        case SDLK_ESCAPE:
            out->key = KKEY_ESCAPE;
            break;
        default:
            return 0;
        }
        out->kind = KIN_KEY;
        return 1;
    default:
        return 0;
    }
}
