/* policy_hier.c — PLACEHOLDER until the hier family lands (this session's work in progress):
 * creating a hier policy fails with a clear error. Replaced wholesale by the family's implementation. */
#include "policy_internal.h"

static int declare_unbuilt(Policy *p, Err *e) {
    (void)p;
    return err_set(e, "policy family 'hier' is not built yet");
}

const PolicyOps policy_hier_ops = {.declare = declare_unbuilt};
