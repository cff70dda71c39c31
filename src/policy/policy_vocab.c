/* policy_vocab.c — PLACEHOLDER until the vocab family lands (this session's work in progress):
 * creating a vocab policy fails with a clear error. Replaced wholesale by the family's implementation. */
#include "policy_internal.h"

static int declare_unbuilt(Policy *p, Err *e) {
    (void)p;
    return err_set(e, "policy family 'vocab' is not built yet");
}

const PolicyOps policy_vocab_ops = {.declare = declare_unbuilt};
