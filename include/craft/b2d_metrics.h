/* b2d_metrics — Bench2Drive's benchmark numbers from per-route results: Driving Score, Success
 * Rate, Efficiency, Comfortness (both Bench2Drive's exact computation and an SI-correct one) and
 * the five Multi-Ability rates. RouteResult[] in (from criteria or results_json) → B2dSummary out.
 *
 * Definitions (shared/spec/SCENARIOS.md A4–A5, Bench2Drive tools/ability_benchmark.py and
 * tools/efficiency_smoothness_benchmark.py); every rate is reported in percent:
 *  - Driving Score = mean over routes of route_completion × penalty.
 *  - Success: status Completed/Perfect AND no infraction of any kind except min_speed_infractions
 *    (any outside-lanes percentage, route timeout, scenario timeout, ... fails it).
 *  - Efficiency: per route, the mean of its min-speed checkpoint percentages after dropping values
 *    > 1000 %; then the mean over the routes that have at least one kept value (routes without
 *    checkpoints are skipped, not counted as 0 or 100).
 *  - Comfortness (`comfort_route`, per route; the summary averages routes that have >= 3 samples):
 *    per-tick signals lon_acc, lat_acc, |a|, yaw rate; each smoothed by Savitzky–Golay (window 7,
 *    order 2, mode 'interp'); jerk = SG first derivative (delta 0.1 s) of the smoothed |a|,
 *    lon_jerk = same of the smoothed lon_acc. A window of samples is comfortable iff EVERY sample
 *    satisfies, strictly, lon_acc ∈ (-4.05, 2.40), |lat_acc| < 4.89, |jerk| < 8.37,
 *    |lon_jerk| < 4.13, |yaw_acc| < 1.93, |yaw_rate| < 0.95. The samples are cut into
 *    consecutive chunks of 20 (an incomplete last chunk is dropped), each chunk filtered on its
 *    own; route comfort = share of comfortable chunks. A route of <= 20 samples is one test
 *    (window min(7, n)); under 3 samples it has no comfort value (Bench2Drive's tool would raise).
 *    COMFORT_B2D reproduces Bench2Drive's tool, bugs included, for comparability with published
 *    numbers: the yaw rate is converted to deg/s (CARLA's get_angular_velocity unit) and passed
 *    through a phase unwrap meant for angles (round-half-even of Δ/2π) before being tested
 *    against the rad/s bounds, and "yaw acceleration" is the smoothed yaw RATE, not its
 *    derivative. COMFORT_SI is what the tool means: yaw rate in rad/s (no unwrap) and yaw
 *    acceleration = SG first derivative of the smoothed yaw rate, in rad/s².
 *  - Abilities: successes / routes of the group's scenario types (membership as in Bench2Drive's
 *    tool but with the route file's spellings: ParkingCrossingPedestrian, VehicleOpensDoorTwoWays,
 *    MergerIntoSlowTraffic, VanillaNonSignalizedTurnEncounterStopsign, which the tool misspells
 *    and so drops). Traffic_Signs counts each of its routes TWICE, as the tool does: once with
 *    the success rule, and once more as a success iff route_completion / 100 >
 *    junction_entry_frac and the route has no red-light and no stop infraction (partial credit
 *    for passing the junction). This second entry is made for every Traffic_Signs route, failed
 *    or not, so the group's denominator is 2 × its routes. A route without a junction
 *    (junction_entry_frac NaN; the tool would raise) repeats its success-rule outcome.
 *    An ability with no routes is NaN (null in JSON) and the mean is taken over the abilities
 *    that have routes (the tool divides by 5 and would fail on an empty group). */
#ifndef CRAFT_B2D_METRICS_H
#define CRAFT_B2D_METRICS_H
#include "craft/criteria.h"
#include "craft/map.h"
#include "craft/route.h"

/* Comfort constants of efficiency_smoothness_benchmark.py. */
#define COMFORT_CHUNK 20
#define COMFORT_WINDOW 7
#define COMFORT_ORDER 2
#define COMFORT_DT 0.1
#define COMFORT_MIN_LON_ACC -4.05
#define COMFORT_MAX_LON_ACC 2.40
#define COMFORT_MAX_LAT_ACC 4.89
#define COMFORT_MAX_JERK 8.37
#define COMFORT_MAX_LON_JERK 4.13
#define COMFORT_MAX_YAW_ACC 1.93
#define COMFORT_MAX_YAW_RATE 0.95
#define EFFICIENCY_MAX_PCT 1000.0
#define TRAFFIC_SIGNS_MARGIN_M 8.0

typedef enum { COMFORT_B2D, COMFORT_SI } ComfortVariant;

/* Share of comfortable chunks in [0, 1] of n per-tick samples (0.1 s apart); NaN if n < 3. */
double comfort_route(const EgoSample *s, int n, ComfortVariant v);

typedef enum {
    ABILITY_OVERTAKING, ABILITY_MERGING, ABILITY_EMERGENCY_BRAKE, ABILITY_GIVE_WAY, ABILITY_TRAFFIC_SIGNS,
    ABILITY_COUNT
} Ability;

const char *ability_name(Ability a);   /* "Overtaking", "Merging", "Emergency_Brake", "Give_Way", "Traffic_Signs" */
int ability_has_type(Ability a, const char *scenario_type);

/* Bench2Drive's success rule. */
int route_is_success(const RouteResult *r);
/* Traffic_Signs second entry (see above). */
int route_traffic_signs_credit(const RouteResult *r);
/* Mean of the route's min-speed percentages <= 1000 %; NaN when it has none. */
double route_efficiency(const RouteResult *r);

/* Where the route first enters a junction, as ability_benchmark.py measures it on its 1 m
 * resampled route: (1-based index of the first junction point + 8) / number of points, i.e.
 * (s_first_junction + 1 + 8) / (route length + 1) in metres. NaN when the route has no junction. */
double route_junction_entry_frac(const Route *route, const Map *map);

typedef struct {
    int n_routes;
    double driving_score;        /* mean of per-route driving scores (0–100) */
    double route_completion;     /* mean route completion, % */
    double penalty;              /* mean infraction penalty */
    double success_rate;         /* % */
    double efficiency;           /* %, NaN when no route has checkpoints */
    double comfortness;          /* %, Bench2Drive's computation; NaN when no route has samples */
    double comfortness_si;       /* %, intended units and derivative */
    int n_success, n_efficiency_routes, n_comfort_routes;
    int ability_success[ABILITY_COUNT], ability_total[ABILITY_COUNT];
    double ability[ABILITY_COUNT];   /* %, NaN for an ability without routes */
    double ability_mean;             /* %, mean over abilities with routes */
} B2dSummary;

void b2d_summarize(const RouteResult *routes, int n, B2dSummary *out);

#endif
