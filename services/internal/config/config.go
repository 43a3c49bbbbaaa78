// Package config loads settings into a flag.FlagSet from, in increasing
// precedence: an optional YAML file, MANIFOLD_* environment variables and
// command-line flags. Every setting is a flag, so all three sources share one
// set of names, types and validation: `router.demo-token-delay` is
// `router: {demo_token_delay: …}` in YAML and MANIFOLD_ROUTER_DEMO_TOKEN_DELAY
// in the environment.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileFlag is the flag naming the YAML file.
const FileFlag = "config"

// EnvName is the environment variable for a flag name.
func EnvName(flagName string) string {
	return "MANIFOLD_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(flagName))
}

// Section receives a structured part of the YAML file (a top-level key that
// is not a flag, such as `catalog`), re-encoded as JSON.
type Section func(json []byte) error

// Load applies the YAML file (from --config or MANIFOLD_CONFIG), the
// environment and then args to fs. The file is read only when fs defines
// FileFlag: commands without settings ignore MANIFOLD_CONFIG. Top-level keys
// named in sections go to their handlers instead of flags.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string, sections ...map[string]Section) error {
	var path string
	if fs.Lookup(FileFlag) != nil {
		path = getenv(EnvName(FileFlag))
		if p, ok := scanFlag(args, FileFlag); ok {
			path = p
		}
	}
	if path != "" {
		var secs map[string]Section
		if len(sections) > 0 {
			secs = sections[0]
		}
		if err := loadFile(fs, path, secs); err != nil {
			return err
		}
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if envErr != nil || f.Name == FileFlag {
			return
		}
		name := EnvName(f.Name)
		if v := getenv(name); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("invalid %s=%q: %v", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return fs.Parse(args)
}

func loadFile(fs *flag.FlagSet, path string, sections map[string]Section) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	var root map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parse config file %s: %w", path, err)
	}
	for key, handle := range sections {
		sub, ok := root[key]
		if !ok {
			continue
		}
		delete(root, key)
		b, err := json.Marshal(sub)
		if err != nil {
			return fmt.Errorf("config file %s: section %s: %w", path, key, err)
		}
		if err := handle(b); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	flat := map[string]*string{}
	if err := flatten("", root, flat); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ReplaceAll(k, "_", "-")
		v := flat[k]
		// A key without a value ("router:" with every setting commented
		// out) sets nothing, but must still be a setting or a section.
		if name == FileFlag || fs.Lookup(name) == nil && (v != nil || !isSection(fs, name)) {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		if v == nil {
			continue
		}
		if err := fs.Set(name, *v); err != nil {
			return fmt.Errorf("config file %s: invalid %s %q: %v", path, k, *v, err)
		}
	}
	return nil
}

// isSection reports whether name is the part before a dot of some flag.
func isSection(fs *flag.FlagSet, name string) bool {
	found := false
	fs.VisitAll(func(f *flag.Flag) { found = found || strings.HasPrefix(f.Name, name+".") })
	return found
}

// flatten maps nested YAML to flag names joined by dots; a nil value is a
// key given without a value.
func flatten(prefix string, v any, out map[string]*string) error {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 && prefix != "" {
			out[prefix] = nil // "router: {}" is a section given without settings
		}
		for k, child := range t {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if err := flatten(key, child, out); err != nil {
				return err
			}
		}
	case []any:
		parts := make([]string, 0, len(t))
		for _, item := range t {
			switch item.(type) {
			case map[string]any, []any:
				return fmt.Errorf("setting %q: lists may hold only plain values", prefix)
			}
			parts = append(parts, fmt.Sprint(item))
		}
		joined := strings.Join(parts, ",")
		out[prefix] = &joined
	case nil:
		out[prefix] = nil
	default:
		s := fmt.Sprint(t)
		out[prefix] = &s
	}
	return nil
}

// scanFlag finds -name/--name value or -name=value in args before parsing;
// like flag parsing, the last one wins.
func scanFlag(args []string, name string) (value string, found bool) {
	for i, a := range args {
		if a == "--" {
			break
		}
		trimmed := strings.TrimLeft(a, "-")
		if len(a)-len(trimmed) == 0 || len(a)-len(trimmed) > 2 {
			continue
		}
		if v, ok := strings.CutPrefix(trimmed, name+"="); ok {
			value, found = v, true
		}
		if trimmed == name && i+1 < len(args) {
			value, found = args[i+1], true
		}
	}
	return value, found
}
