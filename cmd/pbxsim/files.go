package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/callwake/callwake/scenario"
)

// parseInterspersed parses flags that may come before, between or after
// the file arguments (`pbxsim run scenarios/ -v`), returning the files.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// scenarioArgs parses a scenario command's flags and FILE|DIR arguments
// and expands the directories. When the command must stop (help asked
// for, or a wrong command line, whose problem and usage it prints) it
// returns ok false and the status to exit with. paths are the arguments as
// given, files the scenario files they stand for.
func scenarioArgs(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (paths, files []string, status int, ok bool) {
	paths, status, ok = parseCommand(fs, usage, args, stdout, stderr)
	if !ok {
		return nil, nil, status, false
	}
	if len(paths) == 0 {
		return nil, nil, usageError(fs, usage, stderr), false
	}
	files, err := expand(paths)
	if err != nil {
		fmt.Fprintln(stderr, "pbxsim:", err)
		return nil, nil, exitUsage, false
	}
	return paths, files, exitOK, true
}

// expand turns the command line's FILE|DIR arguments into scenario files:
// a directory stands for every *.yaml and *.yml file in it, sorted.
func expand(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil || !info.IsDir() {
			files = append(files, arg) // a missing file is reported by the loader
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				found = append(found, filepath.Join(arg, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.yaml or *.yml files", arg)
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

// loaded is one file after loading: the scenario, or why not.
type loaded struct {
	path string
	file *scenario.File
	err  error
}

// loadAll loads every file; a file's problems are all kept.
func loadAll(paths []string) []loaded {
	out := make([]loaded, len(paths))
	for i, p := range paths {
		f, err := scenario.Load(p)
		out[i] = loaded{path: p, file: f, err: err}
	}
	return out
}

// printLoadError prints a load error as FILE:LINE:COL lines, all of them.
func printLoadError(w io.Writer, err error) {
	var problems scenario.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(w, p.Error())
		}
		return
	}
	fmt.Fprintln(w, err)
}

// writeReport writes a report file, creating its folder if needed, so that
// shards can write into a fresh folder of a shared volume.
func writeReport(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// reportArgs expands the arguments of merge: a folder stands for the .xml
// and .json files directly in it, in name order.
func reportArgs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil || !info.IsDir() {
			out = append(out, a) // reading it reports what is wrong
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".xml" || ext == ".json") {
				out = append(out, filepath.Join(a, e.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no .xml or .json report in it", a)
		}
	}
	return out, nil
}

// printWarnings prints each file's warnings (scenario.File.Warnings) and
// warns about scenario files that share a `name:`: JUnit suites, JSON runs
// and coverage rows are told apart by it, so two files with one name read
// as one scenario in CI. Warnings are not errors: each file is still
// valid, and the exit status does not change.
func printWarnings(w io.Writer, files []loaded) {
	first := map[string]*scenario.File{}
	for _, l := range files {
		if l.file == nil {
			continue
		}
		for _, p := range l.file.Warnings {
			fmt.Fprintf(w, "%s: warning: %s\n", p.Pos, p.Message)
		}
		if f, ok := first[l.file.Name]; ok {
			fmt.Fprintf(w, "%s: warning: scenario name %q is also the name of %s; reports (JUnit suites, JSON runs, coverage) will not tell them apart\n",
				l.file.NamePos, l.file.Name, f.NamePos)
			continue
		}
		first[l.file.Name] = l.file
	}
}
