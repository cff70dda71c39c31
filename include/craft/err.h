/* err — how craft reports failures that a user can act on.
 * Functions that can fail on bad input return int (0 = ok, -1 = error) and write one line into
 * a caller-owned Err; the CLI prints it and exits non-zero. Nothing aborts on user input. */
#ifndef CRAFT_ERR_H
#define CRAFT_ERR_H

typedef struct { char msg[512]; } Err;

/* printf-style; always returns -1 so callers can `return err_set(e, ...)`. e may be NULL. */
int err_set(Err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
