/* scn_merging_util — helpers shared by the merging-group types (types_merging.c, SCENARIOS.md B2):
 * junction routes and junction flows picked by approach side, routes with lane changes at chosen
 * places, highway lane lookup, and background clearing of lanes. Build/populate-time helpers read
 * s->map / s->route and write s->route or s->st.flows; script-time helpers only touch the World. */
#ifndef CRAFT_SCN_MERGING_UTIL_H
#define CRAFT_SCN_MERGING_UTIL_H
#include "scenario/scn_internal.h"

/* ---- junctions -------------------------------------------------------------------------------- */
/* A 4-way junction (arms of 90 m, `lanes` per direction, given control); the ego approaches from
 * the south (bearing 270°) and takes `turn`, from the leftmost lane for left turns, else the
 * rightmost. Draws "trigger" (2-12 m) and "approach" (25-45 m from the trigger to the stop line);
 * the route ends `after` m beyond the junction exit. Returns the ego's approach lane or -1. */
int mg_junction_route(Scenario *s, uint8_t control, int lanes, TurnKind turn, float after, Err *e);

/* A flow through junction 0: from an entry on `side` of the ego's approach (its lane `rank` counted
 * from the leftmost = 0, clamped; rank < 0: the rightmost), taking `move`, starting `back` m before that entry's stop line and sunk
 * `sink_after` m beyond the junction exit. Returns the flow index or -1. */
typedef struct {
    ApproachSide side;
    TurnKind move;
    int rank;
    FlowKind kind;
    ActorType type;
    float back, sink_after, speed, gap_lo, gap_hi;
} JunctionFlowSpec;
int mg_junction_flow(Scenario *s, int ego_approach, const JunctionFlowSpec *fs);

/* ---- routes ----------------------------------------------------------------------------------- */
/* Route along lanes[0..n) (successors, or same-direction neighbours); the change onto a neighbour
 * lanes[k+1] is blended over [centres[k] - half, centres[k] + half] of lanes[k] (route_build's
 * blend: min(30, 1.6 half) m in the middle of it); entries of successor steps are ignored. s0 on
 * lanes[0], s_end on lanes[n-1]. Built piecewise with route_build and joined. */
int mg_route_changes(Scenario *s, const int *lanes, int n, float s0, const float *centres, float half, float s_end,
                     Err *e);

/* ---- highway piece (map_build_highway.c) ------------------------------------------------------- */
typedef struct {
    int up[6], acc_road[6], mid[6], down[6]; /* main lanes per section, 0 = leftmost */
    int n;                                   /* main lanes */
    int on, acc, taper, off;                 /* entry ramp, acceleration lane, its merge connector, exit ramp */
    int merge_conn;                          /* connector of the rightmost main lane through the merge zone */
} HighwayLanes;
/* Builds the default highway piece (3 lanes, 600 m, 25 m/s) into s and finds its lanes. */
int mg_highway(Scenario *s, HighwayLanes *h, Err *e);

/* ---- run time ----------------------------------------------------------------------------------- */
/* RemoveRoadLane: hides visible background vehicles whose current lane is one of lanes[0..n). */
void mg_clear_lanes(Scenario *s, const int *lanes, int n);
/* Route arc length of the first route point on `lane`, -1 if the route never uses it. */
float mg_route_s_on(const Scenario *s, int lane);
/* 1 if the ego is within `radius` m (along the lane) of (lane, ls) and inside that lane's width. */
int mg_ego_at(const Scenario *s, int lane, float ls, float radius);

#endif
