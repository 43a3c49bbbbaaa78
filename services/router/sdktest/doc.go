// Package sdktest drives a real gateway with the official OpenAI and
// Anthropic SDKs for Node (versions pinned in package-lock.json) against
// every provider emulator. The Go test starts the emulators and `manifold
// serve`, then runs the *.test.mjs files with Node's test runner; the
// JavaScript scripts upstream faults through a small control endpoint of the
// Go test. Node and npm are required: the test fails without them.
package sdktest
