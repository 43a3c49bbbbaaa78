package workflows

import (
	"flag"
	"fmt"
	"regexp"
)

// Config configures the workflow service and its Temporal worker.
type Config struct {
	// TemporalAddress is host:port of a Temporal frontend. Empty starts a
	// Temporal dev server from the temporal binary (next to manifold, in
	// .cache/bin or on PATH), persisted under the data directory, on a free
	// loopback port, stopped with the process.
	TemporalAddress string
	// Namespace is the Temporal namespace runs live in.
	Namespace string
	// TaskQueue is the task queue the worker polls.
	TaskQueue string
	// DataDir is where the dev server's database and the run key file live;
	// set from --data-dir.
	DataDir string
	// KeysRequired says the router refuses model calls without a virtual
	// key; set from --auth.required. StartRun then refuses a run that would
	// call models without a run key, instead of starting one bound to fail.
	KeysRequired bool
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Namespace: "default", TaskQueue: "manifold-chains"}
}

// RegisterFlags registers the flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.TemporalAddress, "temporal.address", c.TemporalAddress, "Temporal frontend host:port; empty starts an embedded Temporal dev server persisted under --data-dir")
	fs.StringVar(&c.Namespace, "temporal.namespace", c.Namespace, "Temporal namespace for chain runs")
	fs.StringVar(&c.TaskQueue, "temporal.task-queue", c.TaskQueue, "Temporal task queue the workflow worker polls")
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$`)

// Validate checks the settings.
func (c Config) Validate() error {
	if !nameRE.MatchString(c.Namespace) {
		return fmt.Errorf("invalid temporal.namespace %q", c.Namespace)
	}
	if !nameRE.MatchString(c.TaskQueue) {
		return fmt.Errorf("invalid temporal.task-queue %q", c.TaskQueue)
	}
	return nil
}
