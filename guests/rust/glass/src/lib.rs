//! The Rust guest SDK over the host's `glass` imports (docs/adr/0002-guest-abi.md).
//!
//! Build a guest as a `cdylib` for `wasm32-wasi` (Debian's rustc 1.63) or `wasm32-wasip1`
//! (rustup) and export functions with `#[no_mangle] pub extern "C" fn`. Every call made during
//! one invocation is part of that invocation's state transaction.

mod raw {
    #[link(wasm_import_module = "glass")]
    extern "C" {
        pub fn state_get(key: *const u8, key_len: i32, value: *mut u8, value_cap: i32) -> i32;
        pub fn state_set(key: *const u8, key_len: i32, value: *const u8, value_len: i32);
        pub fn state_delete(key: *const u8, key_len: i32) -> i32;
        pub fn state_increment(key: *const u8, key_len: i32, delta: i64) -> i64;
        pub fn state_append(key: *const u8, key_len: i32, value: *const u8, value_len: i32) -> i32;
        pub fn input_len() -> i32;
        pub fn input_read(buf: *mut u8, cap: i32) -> i32;
        pub fn output_write(buf: *const u8, len: i32);
        pub fn log(level: i32, message: *const u8, len: i32);
    }
}

// The host reads and writes these pointers during the call only, so borrowing is enough.
fn len(bytes: &[u8]) -> i32 {
    bytes.len() as i32
}

/// The value of `key`, or `None` when it is absent.
pub fn get(key: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 64];
    // SAFETY: the host copies at most `buf.len()` bytes into `buf` during the call.
    let n = unsafe { raw::state_get(key.as_ptr(), len(key.as_bytes()), buf.as_mut_ptr(), len(&buf)) };
    if n < 0 {
        return None;
    }
    if n as usize > buf.len() {
        // Too small: the host answered the length without copying; read again with room.
        buf = vec![0u8; n as usize];
        // SAFETY: as above.
        unsafe { raw::state_get(key.as_ptr(), len(key.as_bytes()), buf.as_mut_ptr(), len(&buf)) };
    }
    buf.truncate(n as usize);
    Some(buf)
}

/// Stores `value` under `key`.
pub fn set(key: &str, value: &[u8]) {
    // SAFETY: the host only reads both slices during the call.
    unsafe { raw::state_set(key.as_ptr(), len(key.as_bytes()), value.as_ptr(), len(value)) }
}

/// Removes `key`, answering whether it existed.
pub fn delete(key: &str) -> bool {
    // SAFETY: the host only reads the key during the call.
    unsafe { raw::state_delete(key.as_ptr(), len(key.as_bytes())) == 1 }
}

/// Adds `delta` to the decimal integer under `key` on the host (absent is 0); the new value.
pub fn increment(key: &str, delta: i64) -> i64 {
    // SAFETY: the host only reads the key during the call.
    unsafe { raw::state_increment(key.as_ptr(), len(key.as_bytes()), delta) }
}

/// Appends `value` to the value of `key`; answers its new length.
pub fn append(key: &str, value: &[u8]) -> i32 {
    // SAFETY: the host only reads both slices during the call.
    unsafe { raw::state_append(key.as_ptr(), len(key.as_bytes()), value.as_ptr(), len(value)) }
}

/// The decimal integer under `key`: 0 when absent or not a number (as the other SDKs read it).
pub fn get_int(key: &str) -> i64 {
    get(key)
        .and_then(|bytes| std::str::from_utf8(&bytes).ok()?.parse().ok())
        .unwrap_or(0)
}

/// Stores `n` as the decimal text `increment` uses, so both share values.
pub fn set_int(key: &str, n: i64) {
    set(key, n.to_string().as_bytes())
}

/// The request body of a bytes export (`extern "C" fn name()`).
pub fn input() -> Vec<u8> {
    // SAFETY: no arguments.
    let mut buf = vec![0u8; unsafe { raw::input_len() } as usize];
    // SAFETY: the host copies at most `buf.len()` bytes into `buf`.
    unsafe { raw::input_read(buf.as_mut_ptr(), len(&buf)) };
    buf
}

/// Appends to the response body of a bytes export.
pub fn output(bytes: &[u8]) {
    // SAFETY: the host only reads the slice during the call.
    unsafe { raw::output_write(bytes.as_ptr(), len(bytes)) }
}

/// Log levels of `log`.
#[derive(Clone, Copy)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// One line in the pod's log (capped per invocation).
pub fn log(level: Level, message: &str) {
    // SAFETY: the host only reads the message during the call.
    unsafe { raw::log(level as i32, message.as_ptr(), len(message.as_bytes())) }
}
