/* craft — the command-line tool: dispatches to one subcommand per job. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

typedef struct { const char *name; int (*run)(int, char **); const char *help; } Command;

static const Command COMMANDS[] = {
    {"demo", cmd_demo, "the main job: short CRAFT fine-tuning of the shipped policy, before/after closed-loop table"},
    {"sim", cmd_sim, "simulate a built-in scenario and print a summary"},
    {"score-bias", cmd_score_bias, "rank correlation and MAD of the constant-velocity proxy score vs the oracle"},
    {"eval", cmd_eval, "run an agent on a route set in closed loop; Bench2Drive-style results JSON"},
    {"routes", cmd_routes, "list route selections; write / check the canonical eval220 and val220 files"},
    {"collect", cmd_collect, "record expert demonstrations on training routes into a dataset file"},
    {"pretrain", cmd_pretrain, "imitation pre-training of a policy family on demonstrations"},
    {"finetune", cmd_finetune, "closed-loop fine-tuning with CRAFT or a baseline (ppo, grpo-cl, cf)"},
    {"render", cmd_render, "draw the demo scene top-down: animated GIF/MP4, PNG, or a PNG per frame"},
    {"sweep", cmd_sweep, "train + evaluate every family × method × seed cell of a plan (resumable)"},
    {"report", cmd_report, "markdown tables (mean ± 95% CI, paired bootstrap vs CRAFT) and learning curves"},
    {"plot", cmd_plot, "line chart (PNG) of chosen keys of a JSONL log against an x key"},
    {"bench", cmd_bench, "throughput benchmarks (sim, nn, ...); --json for machine-readable figures"},
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f, "usage: craft <command> [options]   (craft <command> --help for its options)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].help);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) { usage(stdout); return 0; }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 2, argv + 2);
    fprintf(stderr, "craft: unknown command '%s' (see craft --help)\n", argv[1]);
    return 2;
}
