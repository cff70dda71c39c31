/* nn_safetensors — checkpoints of a parameter store in the safetensors format (Hugging Face):
 * u64 little-endian header length N, N bytes of JSON {"name": {"dtype":"F32","shape":[..],
 * "data_offsets":[b,e]}, "__metadata__": {str: str}} padded with spaces to 8-byte alignment, then the
 * raw little-endian tensors back to back. Saving is atomic (temp file + fsync + rename); loading
 * checks every name, dtype, shape and offset against the store and changes nothing on error.
 *
 *     NnMeta meta = {0};  nn_meta_set(&meta, "step", "1200");
 *     if (nn_safetensors_save("ckpt/policy.safetensors", &params, &meta, &err)) fail(err.msg);
 *     if (nn_safetensors_load("ckpt/policy.safetensors", &params, &meta, &err)) fail(err.msg); */
#ifndef CRAFT_NN_SAFETENSORS_H
#define CRAFT_NN_SAFETENSORS_H
#include "craft/err.h"
#include "craft/nn.h"

#define NN_META_MAX 32
#define NN_META_KEY 64
#define NN_META_VAL 256

/* String-to-string metadata ("__metadata__"): step counts, config hashes, the policy family. */
typedef struct {
    int n;
    char key[NN_META_MAX][NN_META_KEY];
    char val[NN_META_MAX][NN_META_VAL];
} NnMeta;

/* Sets (or replaces) key; -1 when full or too long. */
int nn_meta_set(NnMeta *m, const char *key, const char *val);
const char *nn_meta_get(const NnMeta *m, const char *key); /* NULL if absent */

/* Tensors are written in name order (as the Python package does for equal dtypes). meta may be NULL. */
int nn_safetensors_save(const char *path, const NnParams *p, const NnMeta *meta, Err *e);
/* Loads values into an allocated store with exactly the same tensor names and shapes. On any
 * problem returns -1 with every mismatch listed in e (as many as fit, then a count) and leaves the
 * store untouched. meta_out (may be NULL) receives the file's metadata. */
int nn_safetensors_load(const char *path, NnParams *p, NnMeta *meta_out, Err *e);

/* Reads only the header's metadata (e.g. to learn a checkpoint's config before building the store). */
int nn_safetensors_read_meta(const char *path, NnMeta *meta_out, Err *e);
#endif
