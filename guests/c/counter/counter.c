/*
 * counter: the classic Glass demo guest in C, a WASI reactor. Same exports and state key as
 * guests/counter (AssemblyScript) and guests/go/counter, so Faaslets of all of them naming
 * one namespace share the counter.
 */
#include "glass.h"

static const char KEY[] = "counter";

/* Adds value and returns the new total, in one host-side increment. */
GLASS_EXPORT(add) int32_t add(int32_t value) {
  return (int32_t)glass_increment(KEY, value);
}

/*
 * Multiplies the counter by value. The read-modify-write is safe because the invocation is
 * a serializable transaction.
 */
GLASS_EXPORT(multiply) int32_t multiply(int32_t value) {
  int64_t next = glass_get_int(KEY) * (int64_t)value;
  glass_set_int(KEY, next);
  return (int32_t)next;
}

/* The current total (0 before the first write). */
GLASS_EXPORT(get) int32_t get(void) {
  return (int32_t)glass_get_int(KEY);
}
