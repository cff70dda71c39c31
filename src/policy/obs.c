/* obs.c — PLACEHOLDER until the observation encoder lands (this session's work in progress). */
#include "craft/obs.h"

ObsConfig obs_default_config(void) { return (ObsConfig){.with_bev = 0, .agent_radius = 60.0f, .map_radius = 50.0f}; }

int obs_encode(const World *w, const ObsConfig *cfg, Obs *out, Err *e) {
    (void)w, (void)cfg, (void)out;
    return err_set(e, "obs_encode is not built yet");
}
