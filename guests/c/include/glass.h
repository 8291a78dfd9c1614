/*
 * glass.h: the C guest SDK over the host's `glass` imports (docs/adr/0002-guest-abi.md).
 *
 * Header only, so a guest is one `clang` line with Debian's clang, lld, wasi-libc and
 * libclang-rt-14-dev-wasm32 (the builtins every wasm32 link pulls in):
 *
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *     -I guests/c/include -o counter.wasm guests/c/counter/counter.c
 *
 * -mexec-model=reactor gives `_initialize` instead of `_start`: the host runs libc's start-up
 * once per pooled instance, then calls exports (ADR 0090). Export functions with GLASS_EXPORT.
 * Every call made during one invocation is part of that invocation's state transaction.
 */
#ifndef GLASS_H
#define GLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GLASS_IMPORT(name) __attribute__((import_module("glass"), import_name(#name)))
/* Exports `fn` under `name`; numeric signatures answer `?value=N`, `void f(void)` reads bytes. */
#define GLASS_EXPORT(name) __attribute__((export_name(#name)))

/* The raw imports, exactly as ADR 0002 names them: (pointer, length) pairs in this memory. */
GLASS_IMPORT(state_get)
int32_t glass_state_get(const void *key, int32_t key_len, void *value, int32_t value_cap);
GLASS_IMPORT(state_set)
void glass_state_set(const void *key, int32_t key_len, const void *value, int32_t value_len);
GLASS_IMPORT(state_delete)
int32_t glass_state_delete(const void *key, int32_t key_len);
GLASS_IMPORT(state_increment)
int64_t glass_state_increment(const void *key, int32_t key_len, int64_t delta);
GLASS_IMPORT(state_append)
int32_t glass_state_append(const void *key, int32_t key_len, const void *value, int32_t value_len);
GLASS_IMPORT(input_len)
int32_t glass_input_len(void);
GLASS_IMPORT(input_read)
int32_t glass_input_read(void *buf, int32_t cap);
GLASS_IMPORT(output_write)
void glass_output_write(const void *buf, int32_t len);
GLASS_IMPORT(log)
void glass_log_write(int32_t level, const void *message, int32_t len);
GLASS_IMPORT(call)
int32_t glass_call(const void *faaslet, int32_t faaslet_len, const void *export_name,
                   int32_t export_len, const void *input, int32_t input_len);
GLASS_IMPORT(call_result)
int32_t glass_call_result(void *buf, int32_t cap);

enum glass_log_level { GLASS_DEBUG = 0, GLASS_INFO = 1, GLASS_WARN = 2, GLASS_ERROR = 3 };

/* The wrappers below take NUL-terminated keys, which is what C guests have at hand. */

/*
 * Copies the value of `key` into `buf` (at most `cap` bytes) and answers its full length, or
 * -1 when absent. A length over `cap` means the copy was cut short: call again with room.
 */
static inline int32_t glass_get(const char *key, void *buf, int32_t cap) {
  return glass_state_get(key, (int32_t)strlen(key), buf, cap);
}

static inline void glass_set(const char *key, const void *value, int32_t len) {
  glass_state_set(key, (int32_t)strlen(key), value, len);
}

static inline void glass_set_string(const char *key, const char *value) {
  glass_set(key, value, (int32_t)strlen(value));
}

/* True if the key existed. */
static inline bool glass_delete(const char *key) {
  return glass_state_delete(key, (int32_t)strlen(key)) == 1;
}

/* Adds `delta` to the decimal integer under `key` on the host (absent is 0); the new value. */
static inline int64_t glass_increment(const char *key, int64_t delta) {
  return glass_state_increment(key, (int32_t)strlen(key), delta);
}

/* Appends bytes to the value of `key`; answers its new length. */
static inline int32_t glass_append(const char *key, const void *value, int32_t len) {
  return glass_state_append(key, (int32_t)strlen(key), value, len);
}

/* The decimal integer under `key`: 0 when absent or not a number (as the other SDKs read it). */
static inline int64_t glass_get_int(const char *key) {
  char text[24]; /* "-9223372036854775808" is 20 characters */
  int32_t len = glass_get(key, text, (int32_t)sizeof text);
  if (len <= 0 || len > (int32_t)sizeof text) return 0;
  bool negative = text[0] == '-';
  int32_t i = negative ? 1 : 0;
  if (i == len) return 0;
  uint64_t magnitude = 0;
  for (; i < len; i++) {
    if (text[i] < '0' || text[i] > '9') return 0;
    magnitude = magnitude * 10 + (uint64_t)(text[i] - '0');
  }
  return negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
}

/* Stores `n` as the decimal text glass_increment uses, so both share values. */
static inline void glass_set_int(const char *key, int64_t n) {
  char text[24];
  int32_t at = (int32_t)sizeof text;
  uint64_t magnitude = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
  do {
    text[--at] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude > 0);
  if (n < 0) text[--at] = '-';
  glass_set(key, text + at, (int32_t)sizeof text - at);
}

/* The request body of a bytes export: its length, copying at most `cap` bytes into `buf`. */
static inline int32_t glass_input(void *buf, int32_t cap) {
  return glass_input_read(buf, cap);
}

/* Appends to the response body of a bytes export. */
static inline void glass_output(const void *buf, int32_t len) {
  glass_output_write(buf, len);
}

static inline void glass_output_string(const char *s) {
  glass_output_write(s, (int32_t)strlen(s));
}

/* One line in the pod's log (capped per invocation). */
static inline void glass_log(enum glass_log_level level, const char *message) {
  glass_log_write((int32_t)level, message, (int32_t)strlen(message));
}

#endif /* GLASS_H */
