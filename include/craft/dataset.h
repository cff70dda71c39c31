/* dataset — demonstration files for imitation pre-training (POLICIES.md, "Demonstration collection").
 * The collector appends one DatasetRecord per planning step (observation, the expert's trajectory,
 * behaviour label, command, route id/step) to a DatasetWriter, which streams them through zstd into
 * a temporary file and, on close, writes the final header and renames it into place; trainers read
 * the records back all at once (dataset_load) or one by one (DatasetReader).
 *
 * File layout (host byte order; the endianness marker rejects files from the other order):
 *   off  size  field
 *     0     8  magic "CRAFTDS1"
 *     8     4  u32 version (DATASET_VERSION)
 *    12     4  u32 endianness marker 0x01020304
 *    16     4  u32 header_len (bytes before the payload: 128 + meta_len + 8)
 *    20     4  u32 record_size (sizeof(DatasetRecord) of the writer)
 *    24     8  u64 count (records)
 *    32     8  u64 payload_size (uncompressed bytes = count · record_size)
 *    40     8  u64 compressed_size (bytes of the zstd frame after the header)
 *    48     8  u64 payload_xxh64 (XXH64, seed 0, of the uncompressed payload)
 *    56     4  u32 n_layout (DATASET_N_LAYOUT)
 *    60    64  u32 layout[16]: the Obs/Traj/label constants the writer was built with, in the order
 *              of dataset_layout_names() (OBS_EGO_DIM ... sizeof(Obs))
 *   124     4  u32 meta_len
 *   128  meta  free-form JSON metadata (not NUL-terminated)
 *   ...     8  u64 header_xxh64 (XXH64, seed 0, of every header byte before it)
 *   header_len ...  one zstd frame holding the count records back to back.
 * Every inconsistency (magic, version, endianness, header checksum, layout, record size, truncation,
 * trailing bytes, a corrupt frame, payload checksum) is a one-line error naming the file. */
#ifndef CRAFT_DATASET_H
#define CRAFT_DATASET_H
#include <stddef.h>
#include <stdint.h>
#include "craft/err.h"
#include "craft/obs.h"
#include "craft/traj.h"

#define DATASET_MAGIC "CRAFTDS1"
#define DATASET_VERSION 1u
#define DATASET_N_LAYOUT 16
#define DATASET_FIXED_HEADER 128   /* header bytes before the metadata */

/* One planning step of the expert. Plain data without padding: its bytes are the record. */
typedef struct {
    Obs obs;
    Traj expert;              /* the expert's planned trajectory (ego frame) */
    int32_t behaviour;        /* behaviour_id(lateral, style) of policy.h */
    int32_t command;          /* NavCommand */
    int32_t route_id;
    int32_t step;             /* planning step within the route */
} DatasetRecord;

/* Names of the layout constants, in file order (for messages and tools). */
const char *const *dataset_layout_names(void);
/* This build's values of them. */
void dataset_layout_current(uint32_t layout[DATASET_N_LAYOUT]);

typedef struct DatasetWriter DatasetWriter;

/* Opens <path>.tmp.XXXXXX next to path. meta_json: a JSON value describing the collection (expert
 * config, seeds, routes), NULL = "{}"; it must parse. zstd_level 0 = default (3). */
DatasetWriter *dataset_writer_create(const char *path, const char *meta_json, int zstd_level, Err *e);
int dataset_writer_append(DatasetWriter *w, const DatasetRecord *r, Err *e);
uint64_t dataset_writer_count(const DatasetWriter *w);
/* Finishes the frame, writes the header, fsyncs and renames over path. Frees w in every case; on
 * failure (including an earlier failed append) the temporary is removed and path is untouched. */
int dataset_writer_close(DatasetWriter *w, Err *e);
/* Discards everything written; frees w. */
void dataset_writer_abort(DatasetWriter *w);

typedef struct {
    uint32_t version, record_size;
    uint64_t count, payload_size, compressed_size, payload_xxh64;
    char *meta;               /* NUL-terminated copy of the metadata, owned by the reader */
} DatasetInfo;

typedef struct DatasetReader DatasetReader;

/* Opens and validates the header (everything except the payload checksum, which is known only after
 * the last record). */
DatasetReader *dataset_reader_open(const char *path, Err *e);
const DatasetInfo *dataset_reader_info(const DatasetReader *r);
/* 1: *out holds the next record; 0: end of data, after the payload checksum and the frame's end were
 * verified; -1: corrupt or truncated (records already returned must then be discarded). */
int dataset_reader_next(DatasetReader *r, DatasetRecord *out, Err *e);
void dataset_reader_close(DatasetReader *r);

typedef struct {
    DatasetRecord *records;
    size_t count;
    char *meta;
} Dataset;

/* Loads every record (verified) into memory. dataset_free releases it. */
int dataset_load(const char *path, Dataset *out, Err *e);
void dataset_free(Dataset *d);

#endif
