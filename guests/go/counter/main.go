// counter: the classic Glass demo guest in Go, a WASI reactor. Same exports and state key as
// guests/counter (AssemblyScript), so Faaslets of both naming one namespace share the counter.
package main

import "glass.dev/guests/glass"

const key = "counter"

// add adds value and returns the new total, in one host-side increment.
//
//go:wasmexport add
func add(value int32) int32 {
	return int32(glass.Increment(key, int64(value)))
}

// multiply multiplies the counter by value; the read-modify-write is safe because the
// invocation is a serializable transaction.
//
//go:wasmexport multiply
func multiply(value int32) int32 {
	next := glass.GetInt(key) * int64(value)
	glass.SetInt(key, next)
	return int32(next)
}

// get answers the current total (0 before the first write).
//
//go:wasmexport get
func get() int32 {
	return int32(glass.GetInt(key))
}

// A c-shared reactor's main never runs; the Go runtime starts in _initialize.
func main() {}
