/* `craft bench <what>`: throughput figures per subsystem. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

typedef struct { const char *name; int (*run)(int, char **); const char *help; } BenchEntry;

static const BenchEntry BENCHES[] = {
    {"sim", bench_sim_main, "simulator agent-steps per second per core"},
    {"score", bench_score_main, "counterfactual scorer candidate evaluations per second per core"},
    {"nn", bench_nn_main, "GEMM efficiency vs cblas_sgemm, MLP and transformer training samples/s"},
    {"policy", bench_policy_main, "observation encoding and vocab-policy forward / training states per second"},
    {"train", bench_train_main, "fine-tuning updates/s, sim steps/s, gradient bytes per update (also under mpirun)"},
};
#define N_BENCHES (int)(sizeof BENCHES / sizeof BENCHES[0])

int cmd_bench(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        FILE *f = argc < 1 ? stderr : stdout;
        fprintf(f, "usage: craft bench <what> [--json] [options]\n\nbenchmarks:\n");
        for (int i = 0; i < N_BENCHES; i++) fprintf(f, "  %-8s %s\n", BENCHES[i].name, BENCHES[i].help);
        return argc < 1 ? 2 : 0;
    }
    for (int i = 0; i < N_BENCHES; i++)
        if (!strcmp(argv[0], BENCHES[i].name)) return BENCHES[i].run(argc - 1, argv + 1);
    fprintf(stderr, "craft bench: unknown benchmark '%s' (see craft bench --help)\n", argv[0]);
    return 2;
}
