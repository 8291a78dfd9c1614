// misbehave: a Go reactor that misbehaves on purpose, for the tests that prove deadlines and
// memory caps hold for Go guests too (the Go runtime's scheduler, GC and WASI calls included).
package main

import "glass.dev/guests/glass"

var hoard [][]byte

// spin loops forever; the Faaslet's timeout must stop it (504).
//
//go:wasmexport spin
func spin() {
	n := 0
	for {
		n++
		if n%1_000_000 == 0 {
			glass.SetInt("spins", int64(n))
		}
	}
}

// bomb allocates until the memory limit refuses memory.grow (500).
//
//go:wasmexport bomb
func bomb() {
	for {
		chunk := make([]byte, 1<<20)
		chunk[0] = 1
		hoard = append(hoard, chunk)
	}
}

// ok answers 1, so a test sees the Faaslet still serves after the others.
//
//go:wasmexport ok
func ok() int32 { return 1 }

func main() {}
