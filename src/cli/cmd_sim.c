#include <stdio.h>
#include "commands.h"
int cmd_sim(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "craft sim: under construction\n"); return 1; }
int bench_sim_main(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "craft bench sim: under construction\n"); return 1; }
