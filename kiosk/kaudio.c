/* kaudio.c - verdict sounds through SDL_OpenAudioDevice and SDL_QueueAudio. */
#include "kaudio.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>

#include "ktone.h"

struct kaudio {
    SDL_AudioDeviceID dev;
    int rate;
    int volume;
    int16_t *buf; /* room for the longest tone */
    size_t cap;
};

kaudio *kaudio_open(int volume)
{
    if (volume <= 0)
        return NULL;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        fprintf(stderr, "usher-kiosk: no sound (%s); verdicts stay silent\n", SDL_GetError());
        return NULL;
    }
    SDL_AudioSpec want = {.freq = 48000, .format = AUDIO_S16SYS, .channels = 1, .samples = 1024};
    SDL_AudioSpec have;
    SDL_AudioDeviceID dev =
        SDL_OpenAudioDevice(NULL, 0, &want, &have, SDL_AUDIO_ALLOW_FREQUENCY_CHANGE);
    kaudio *a = dev ? calloc(1, sizeof *a) : NULL;
    if (a) {
        a->dev = dev;
        a->rate = have.freq;
        a->volume = volume;
        a->cap = (size_t)have.freq * KTONE_MAX_MS / 1000;
        a->buf = malloc(a->cap * sizeof *a->buf);
    }
    if (!a || !a->buf) {
        fprintf(stderr, "usher-kiosk: no sound (%s); verdicts stay silent\n",
                dev ? "out of memory" : SDL_GetError());
        if (dev)
            SDL_CloseAudioDevice(dev);
        if (a)
            free(a->buf);
        free(a);
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return NULL;
    }
    SDL_PauseAudioDevice(dev, 0);
    return a;
}

void kaudio_play(kaudio *a, ktone t)
{
    if (!a || t == KTONE_NONE)
        return;
    size_t n = ktone_render(t, a->volume, a->rate, a->buf, a->cap);
    SDL_ClearQueuedAudio(a->dev);
    if (n && SDL_QueueAudio(a->dev, a->buf, (Uint32)(n * sizeof *a->buf)) != 0)
        fprintf(stderr, "usher-kiosk: cannot play a tone: %s\n", SDL_GetError());
}

void kaudio_free(kaudio *a)
{
    if (!a)
        return;
    SDL_CloseAudioDevice(a->dev);
    free(a->buf);
    free(a);
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
}
