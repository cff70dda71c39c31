/* b2d_metrics — Bench2Drive's Driving Score, Success Rate, Efficiency, Comfortness and abilities.
 * Definitions and the deliberate reproductions of Bench2Drive's bugs are documented in
 * include/craft/b2d_metrics.h. */
#include "craft/b2d_metrics.h"
#include <math.h>
#include <string.h>
#include "craft/savgol.h"

/* ---- Comfortness ---------------------------------------------------------------------------- */
/* Bench2Drive's _phase_unwrap: out = h - 2π · cumsum(round(Δh / 2π)), numpy rounding (half to even,
 * which is rint's default mode). */
static void phase_unwrap(double *h, int n) {
    const double two_pi = 2.0 * M_PI;
    double adj = 0.0, prev = h[0];
    for (int i = 1; i < n; i++) {
        adj += rint((h[i] - prev) / two_pi);
        prev = h[i];
        h[i] -= two_pi * adj;
    }
}

static int all_within(const double *x, int n, double lo, double hi) {
    for (int i = 0; i < n; i++)
        if (!(x[i] > lo && x[i] < hi)) return 0;
    return 1;
}

/* One comfort test over m <= COMFORT_CHUNK samples: 1 when every sample is within all bounds. */
static int comfort_window_ok(const EgoSample *s, int m, ComfortVariant v) {
    double lon[COMFORT_CHUNK], lat[COMFORT_CHUNK], mag[COMFORT_CHUNK], yaw[COMFORT_CHUNK];
    double lon_s[COMFORT_CHUNK], lat_s[COMFORT_CHUNK], mag_s[COMFORT_CHUNK], yaw_s[COMFORT_CHUNK];
    double jerk[COMFORT_CHUNK], lon_jerk[COMFORT_CHUNK], yaw_acc[COMFORT_CHUNK];
    int w = m < COMFORT_WINDOW ? m : COMFORT_WINDOW;
    for (int i = 0; i < m; i++) {
        lon[i] = s[i].lon_acc;
        lat[i] = s[i].lat_acc;
        mag[i] = hypot(lon[i], lat[i]);
        yaw[i] = (v == COMFORT_B2D) ? s[i].yaw_rate * (180.0 / M_PI) : s[i].yaw_rate;
    }
    if (v == COMFORT_B2D) phase_unwrap(yaw, m);
    /* parameters are valid by construction (3 <= m, order 2 < w <= m); no error to report */
    savgol_filter(lon, m, w, COMFORT_ORDER, 0, COMFORT_DT, lon_s, NULL);
    savgol_filter(lat, m, w, COMFORT_ORDER, 0, COMFORT_DT, lat_s, NULL);
    savgol_filter(mag, m, w, COMFORT_ORDER, 0, COMFORT_DT, mag_s, NULL);
    savgol_filter(yaw, m, w, COMFORT_ORDER, 0, COMFORT_DT, yaw_s, NULL);
    savgol_filter(mag_s, m, w, COMFORT_ORDER, 1, COMFORT_DT, jerk, NULL);
    savgol_filter(lon_s, m, w, COMFORT_ORDER, 1, COMFORT_DT, lon_jerk, NULL);
    if (v == COMFORT_B2D)
        memcpy(yaw_acc, yaw_s, sizeof(double) * (size_t)m); /* the tool's bug: smoothed rate as "accel" */
    else
        savgol_filter(yaw_s, m, w, COMFORT_ORDER, 1, COMFORT_DT, yaw_acc, NULL);
    return all_within(lon_s, m, COMFORT_MIN_LON_ACC, COMFORT_MAX_LON_ACC) &&
           all_within(lat_s, m, -COMFORT_MAX_LAT_ACC, COMFORT_MAX_LAT_ACC) &&
           all_within(jerk, m, -COMFORT_MAX_JERK, COMFORT_MAX_JERK) &&
           all_within(lon_jerk, m, -COMFORT_MAX_LON_JERK, COMFORT_MAX_LON_JERK) &&
           all_within(yaw_acc, m, -COMFORT_MAX_YAW_ACC, COMFORT_MAX_YAW_ACC) &&
           all_within(yaw_s, m, -COMFORT_MAX_YAW_RATE, COMFORT_MAX_YAW_RATE);
}

double comfort_route(const EgoSample *s, int n, ComfortVariant v) {
    if (!s || n < COMFORT_ORDER + 1) return NAN;
    if (n <= COMFORT_CHUNK) return comfort_window_ok(s, n, v) ? 1.0 : 0.0;
    int chunks = n / COMFORT_CHUNK, ok = 0;
    for (int c = 0; c < chunks; c++) ok += comfort_window_ok(s + c * COMFORT_CHUNK, COMFORT_CHUNK, v);
    return (double)ok / chunks;
}

/* ---- Abilities ------------------------------------------------------------------------------ */
static const char *const ABILITY_NAMES[ABILITY_COUNT] = {
    "Overtaking", "Merging", "Emergency_Brake", "Give_Way", "Traffic_Signs"};

static const char *const OVERTAKING[] = {
    "Accident", "AccidentTwoWays", "ConstructionObstacle", "ConstructionObstacleTwoWays",
    "HazardAtSideLaneTwoWays", "HazardAtSideLane", "ParkedObstacleTwoWays", "ParkedObstacle",
    "VehicleOpensDoorTwoWays", NULL};
static const char *const MERGING[] = {
    "CrossingBicycleFlow", "EnterActorFlow", "HighwayExit", "InterurbanActorFlow", "HighwayCutIn",
    "InterurbanAdvancedActorFlow", "MergerIntoSlowTrafficV2", "MergerIntoSlowTraffic",
    "NonSignalizedJunctionLeftTurn", "NonSignalizedJunctionRightTurn",
    "NonSignalizedJunctionLeftTurnEnterFlow", "ParkingExit", "SequentialLaneChange",
    "SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn", "SignalizedJunctionLeftTurnEnterFlow", NULL};
static const char *const EMERGENCY_BRAKE[] = {
    "BlockedIntersection", "DynamicObjectCrossing", "HardBreakRoute", "OppositeVehicleTakingPriority",
    "OppositeVehicleRunningRedLight", "ParkingCutIn", "PedestrianCrossing", "ParkingCrossingPedestrian",
    "StaticCutIn", "VehicleTurningRoute", "VehicleTurningRoutePedestrian", "ControlLoss", NULL};
static const char *const GIVE_WAY[] = {"InvadingTurn", "YieldToEmergencyVehicle", NULL};
static const char *const TRAFFIC_SIGNS[] = {
    "BlockedIntersection", "OppositeVehicleTakingPriority", "OppositeVehicleRunningRedLight",
    "PedestrianCrossing", "VehicleTurningRoute", "VehicleTurningRoutePedestrian", "EnterActorFlow",
    "CrossingBicycleFlow", "NonSignalizedJunctionLeftTurn", "NonSignalizedJunctionRightTurn",
    "NonSignalizedJunctionLeftTurnEnterFlow", "SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn",
    "SignalizedJunctionLeftTurnEnterFlow", "T_Junction", "VanillaNonSignalizedTurn",
    "VanillaSignalizedTurnEncounterGreenLight", "VanillaSignalizedTurnEncounterRedLight",
    "VanillaNonSignalizedTurnEncounterStopsign", NULL};
static const char *const *const ABILITY_TYPES[ABILITY_COUNT] = {
    OVERTAKING, MERGING, EMERGENCY_BRAKE, GIVE_WAY, TRAFFIC_SIGNS};

const char *ability_name(Ability a) { return (a >= 0 && a < ABILITY_COUNT) ? ABILITY_NAMES[a] : "unknown"; }

int ability_has_type(Ability a, const char *scenario_type) {
    if (a < 0 || a >= ABILITY_COUNT || !scenario_type) return 0;
    for (const char *const *t = ABILITY_TYPES[a]; *t; t++)
        if (strcmp(*t, scenario_type) == 0) return 1;
    return 0;
}

/* ---- Per-route rules ------------------------------------------------------------------------ */
int route_is_success(const RouteResult *r) {
    if (r->status != ROUTE_COMPLETED && r->status != ROUTE_PERFECT) return 0;
    for (int k = 0; k < INF_KIND_COUNT; k++)
        if (k != INF_MIN_SPEED && r->count[k] > 0) return 0;
    return 1;
}

int route_traffic_signs_credit(const RouteResult *r) {
    if (isnan(r->junction_entry_frac)) return route_is_success(r);
    return r->route_completion / 100.0 > r->junction_entry_frac && r->count[INF_RED_LIGHT] == 0 &&
           r->count[INF_STOP] == 0;
}

double route_efficiency(const RouteResult *r) {
    double sum = 0.0;
    int n = 0;
    for (int i = 0; i < r->n_infractions; i++) {
        const Infraction *f = &r->infractions[i];
        if (f->kind != INF_MIN_SPEED || f->value > EFFICIENCY_MAX_PCT) continue;
        sum += f->value;
        n++;
    }
    return n > 0 ? sum / n : NAN;
}

double route_junction_entry_frac(const Route *route, const Map *map) {
    if (!route || !map || route->n < 1) return NAN;
    for (int i = 0; i < route->n; i++) {
        int lane = route->pts[i].lane;
        if (lane < 0 || lane >= map->n_lanes || map->lanes[lane].junction < 0) continue;
        double s = route->pts[i].s - route->pts[0].s;
        return (s + 1.0 + TRAFFIC_SIGNS_MARGIN_M) / ((double)route->length + 1.0);
    }
    return NAN;
}

/* ---- Summary -------------------------------------------------------------------------------- */
static double mean_or_nan(double sum, int n) { return n > 0 ? sum / n : NAN; }

void b2d_summarize(const RouteResult *routes, int n, B2dSummary *out) {
    memset(out, 0, sizeof *out);
    out->n_routes = n;
    double ds = 0, rc = 0, pen = 0, eff = 0, comf = 0, comf_si = 0;
    for (int i = 0; i < n; i++) {
        const RouteResult *r = &routes[i];
        ds += r->driving_score;
        rc += r->route_completion;
        pen += r->penalty;
        int ok = route_is_success(r);
        out->n_success += ok;
        double e = route_efficiency(r);
        if (!isnan(e)) {
            eff += e;
            out->n_efficiency_routes++;
        }
        if (!isnan(r->comfort) && !isnan(r->comfort_si)) {
            comf += r->comfort;
            comf_si += r->comfort_si;
            out->n_comfort_routes++;
        }
        for (int a = 0; a < ABILITY_COUNT; a++) {
            if (!ability_has_type((Ability)a, r->scenario_type)) continue;
            out->ability_total[a]++;
            out->ability_success[a] += ok;
            if (a == ABILITY_TRAFFIC_SIGNS) { /* the tool's second entry per Traffic_Signs route */
                out->ability_total[a]++;
                out->ability_success[a] += route_traffic_signs_credit(r);
            }
        }
    }
    out->driving_score = mean_or_nan(ds, n);
    out->route_completion = mean_or_nan(rc, n);
    out->penalty = mean_or_nan(pen, n);
    out->success_rate = mean_or_nan(100.0 * out->n_success, n);
    out->efficiency = mean_or_nan(eff, out->n_efficiency_routes);
    out->comfortness = mean_or_nan(100.0 * comf, out->n_comfort_routes);
    out->comfortness_si = mean_or_nan(100.0 * comf_si, out->n_comfort_routes);
    double amean = 0.0;
    int na = 0;
    for (int a = 0; a < ABILITY_COUNT; a++) {
        out->ability[a] = mean_or_nan(100.0 * out->ability_success[a], out->ability_total[a]);
        if (!isnan(out->ability[a])) {
            amean += out->ability[a];
            na++;
        }
    }
    out->ability_mean = mean_or_nan(amean, na);
}
