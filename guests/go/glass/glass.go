// Package glass is the Go guest SDK over the host's `glass` imports (docs/adr/0002-guest-abi.md).
// Build guests with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared; export functions
// with //go:wasmexport. Every call runs inside one state transaction of its invocation.
package glass

import (
	"strconv"
	"unsafe"
)

//go:wasmimport glass state_get
func stateGet(keyPtr unsafe.Pointer, keyLen int32, valuePtr unsafe.Pointer, valueCap int32) int32

//go:wasmimport glass state_set
func stateSet(keyPtr unsafe.Pointer, keyLen int32, valuePtr unsafe.Pointer, valueLen int32)

//go:wasmimport glass state_delete
func stateDelete(keyPtr unsafe.Pointer, keyLen int32) int32

//go:wasmimport glass state_increment
func stateIncrement(keyPtr unsafe.Pointer, keyLen int32, delta int64) int64

//go:wasmimport glass input_len
func inputLen() int32

//go:wasmimport glass input_read
func inputRead(ptr unsafe.Pointer, cap int32) int32

//go:wasmimport glass output_write
func outputWrite(ptr unsafe.Pointer, len int32)

//go:wasmimport glass log
func logWrite(level int32, ptr unsafe.Pointer, len int32)

// The host reads these pointers during the call only, so Go memory is safe to pass.
func strPtr(s string) (unsafe.Pointer, int32) {
	return unsafe.Pointer(unsafe.StringData(s)), int32(len(s))
}

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// Get returns the value of key, and false when it is absent.
func Get(key string) ([]byte, bool) {
	kp, kl := strPtr(key)
	buf := make([]byte, 64)
	n := stateGet(kp, kl, bytesPtr(buf), int32(len(buf)))
	if n < 0 {
		return nil, false
	}
	if int(n) > len(buf) {
		// Too small: the host answered the length without copying; read again with room.
		buf = make([]byte, n)
		n = stateGet(kp, kl, bytesPtr(buf), int32(len(buf)))
	}
	return buf[:n], true
}

// Set stores value under key.
func Set(key string, value []byte) {
	kp, kl := strPtr(key)
	stateSet(kp, kl, bytesPtr(value), int32(len(value)))
}

// Delete removes key, answering whether it existed.
func Delete(key string) bool {
	kp, kl := strPtr(key)
	return stateDelete(kp, kl) == 1
}

// Increment adds delta to the decimal integer under key (absent counts as 0) on the host.
func Increment(key string, delta int64) int64 {
	kp, kl := strPtr(key)
	return stateIncrement(kp, kl, delta)
}

// GetInt reads the decimal integer under key; absent or not a number reads 0.
func GetInt(key string) int64 {
	value, ok := Get(key)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// SetInt stores n as the decimal text Increment uses, so both share values.
func SetInt(key string, n int64) {
	Set(key, []byte(strconv.FormatInt(n, 10)))
}

// Input is the request body of a bytes export.
func Input() []byte {
	buf := make([]byte, inputLen())
	inputRead(bytesPtr(buf), int32(len(buf)))
	return buf
}

// Output appends to the response body of a bytes export.
func Output(b []byte) {
	outputWrite(bytesPtr(b), int32(len(b)))
}

// Log writes one line to the pod's log at level 0 debug, 1 info, 2 warn, 3 error.
func Log(level int32, message string) {
	p, l := strPtr(message)
	logWrite(level, p, l)
}
