//! counter: the classic Glass demo guest in Rust, a WASI reactor (cdylib). Same exports and
//! state key as guests/counter (AssemblyScript), guests/go/counter and guests/c/counter, so
//! Faaslets of all of them naming one namespace share the counter.

const KEY: &str = "counter";

/// Adds `value` and returns the new total, in one host-side increment.
#[no_mangle]
pub extern "C" fn add(value: i32) -> i32 {
    glass::increment(KEY, value as i64) as i32
}

/// Multiplies the counter by `value`. The read-modify-write is safe because the invocation is
/// a serializable transaction.
#[no_mangle]
pub extern "C" fn multiply(value: i32) -> i32 {
    let next = glass::get_int(KEY) * value as i64;
    glass::set_int(KEY, next);
    next as i32
}

/// The current total (0 before the first write).
#[no_mangle]
pub extern "C" fn get() -> i32 {
    glass::get_int(KEY) as i32
}
