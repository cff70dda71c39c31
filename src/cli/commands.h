/* commands — the table of `craft` subcommands. Each takes the arguments after its name and
 * returns the process exit code (0 ok, 1 error already reported on stderr, 2 usage error). */
#ifndef CRAFT_CLI_COMMANDS_H
#define CRAFT_CLI_COMMANDS_H

int cmd_sim(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_score_bias(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_pretrain(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* `craft bench <what>` entries; each prints figures (one JSON object with --json). */
int bench_sim_main(int argc, char **argv);
int bench_score_main(int argc, char **argv);
int bench_nn_main(int argc, char **argv);
int bench_policy_main(int argc, char **argv);
int bench_train_main(int argc, char **argv);

#endif
