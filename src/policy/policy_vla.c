/* policy_vla.c — PLACEHOLDER until the vla family lands (this session's work in progress):
 * creating a vla policy fails with a clear error. Replaced wholesale by the family's implementation. */
#include "policy_internal.h"

static int declare_unbuilt(Policy *p, Err *e) {
    (void)p;
    return err_set(e, "policy family 'vla' is not built yet");
}

const PolicyOps policy_vla_ops = {.declare = declare_unbuilt};
