package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/callwake/callwake/internal/kubejob"
	"github.com/callwake/callwake/internal/shard"
)

// readLoadJob returns the Job of a manifest file and its one container.
func readLoadJob(t *testing.T, path string) (kubejob.Job, kubejob.Container) {
	t.Helper()
	job, c, err := kubejob.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return job, c
}

// flagValue is the value of --name in args ("" when absent).
func flagValue(args []string, name string) string {
	if i := slices.Index(args, "--"+name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// setFlag returns args with the value of --name replaced.
func setFlag(t *testing.T, args []string, name, value string) []string {
	t.Helper()
	i := slices.Index(args, "--"+name)
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("arguments %q lack --%s", args, name)
	}
	out := slices.Clone(args)
	out[i+1] = value
	return out
}

// TestLoadDeployManifest checks deploy/load-shards.yaml and load-merge.yaml
// against the command line: the load Job is Indexed with as many pods as
// shards; its pods' arguments, with the completion index put in as
// Kubernetes does, take every endpoint of the population exactly once
// when internal/shard splits it; run (on a population the test
// gatekeeper knows) they register it all, and the merge Job's arguments
// then merge their reports into the whole population's.
func TestLoadDeployManifest(t *testing.T) {
	deploy := filepath.Join("..", "..", "deploy")
	results := t.TempDir()
	job, pod := readLoadJob(t, filepath.Join(deploy, "load-shards.yaml"))
	n := job.Spec.Completions
	if job.Spec.CompletionMode != "Indexed" || n < 1 || job.Spec.Parallelism != n {
		t.Fatalf("load Job: completionMode %q, completions %d, parallelism %d; want Indexed and equal counts",
			job.Spec.CompletionMode, n, job.Spec.Parallelism)
	}
	if !slices.Equal(pod.Command, []string{"/usr/local/bin/phonesim"}) || len(pod.Args) == 0 || pod.Args[0] != "load" {
		t.Fatalf("load Job: command %q, arguments %q; want phonesim load", pod.Command, pod.Args)
	}
	indexVar := ""
	for _, e := range pod.Env {
		if e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			indexVar = e.Name
		}
	}
	if indexVar == "" {
		t.Fatal("load Job: no environment variable holds the completion index")
	}
	if want := "--shard $(" + indexVar + ")/" + strconv.Itoa(n); !strings.Contains(strings.Join(pod.Args, " "), want) {
		t.Fatalf("load Job: arguments %q lack %q", pod.Args, want)
	}
	// podArgs are the arguments of pod index as Kubernetes expands them,
	// the results volume mapped to the test's.
	podArgs := func(index int) []string {
		args := make([]string, len(pod.Args)-1)
		for i, a := range pod.Args[1:] {
			a = strings.ReplaceAll(a, "$("+indexVar+")", strconv.Itoa(index))
			args[i] = strings.ReplaceAll(a, "/results", results)
		}
		return args
	}

	// Split as the pods split it, the population is taken once.
	count, err := strconv.Atoi(flagValue(pod.Args, "count"))
	if err != nil || count < n {
		t.Fatalf("load Job: --count %q: want at least one endpoint per pod", flagValue(pod.Args, "count"))
	}
	population := make([]int, count)
	for k := range population {
		population[k] = k
	}
	taken := make([]int, count)
	reports := map[string]bool{}
	for index := range n {
		args := podArgs(index)
		part, err := shard.Parse(flagValue(args, "shard"))
		if err != nil || part.Index != index {
			t.Fatalf("pod %d: --shard %q: %v", index, flagValue(args, "shard"), err)
		}
		for _, k := range shard.Pick(part, population) {
			taken[k]++
		}
		report := flagValue(args, "json")
		if report == "" || reports[report] {
			t.Fatalf("pod %d: --json %q: want a report of its own", index, report)
		}
		reports[report] = true
	}
	for k, times := range taken {
		if times != 1 {
			t.Fatalf("endpoint %d taken by %d pods, want 1", k, times)
		}
	}

	// The pods' command lines run, against the test gatekeeper, for a
	// population it has users for, briefly, bound to a loopback address
	// rather than the pod's every address.
	gk := startGatekeeper(t).String()
	const small = 30
	for index := range n {
		args := setFlag(t, setFlag(t, setFlag(t, podArgs(index), "gk", gk), "count", strconv.Itoa(small)), "duration", "1s")
		if flagValue(args, "ip") != "" {
			args = setFlag(t, args, "ip", nextLoopback().String())
		}
		if err := os.MkdirAll(filepath.Dir(flagValue(args, "json")), 0o755); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr strings.Builder
		if status := run(context.Background(), append([]string{"load"}, args...), &stdout, &stderr); status != exitOK {
			t.Fatalf("pod %d: phonesim load %q: exit %d\n%s%s", index, args, status, stdout.String(), stderr.String())
		}
	}

	_, merge := readLoadJob(t, filepath.Join(deploy, "load-merge.yaml"))
	if merge.Image != pod.Image || !slices.Equal(merge.Command, pod.Command) {
		t.Errorf("merge Job image %q %q, load Job image %q %q: one image and command serve both", merge.Image, merge.Command, pod.Image, pod.Command)
	}
	args := make([]string, len(merge.Args))
	for i, a := range merge.Args {
		args[i] = strings.ReplaceAll(a, "/results", results)
	}
	var stdout, stderr strings.Builder
	if status := run(context.Background(), args, &stdout, &stderr); status != exitOK {
		t.Fatalf("merge: phonesim %q: exit %d\n%s%s", args, status, stdout.String(), stderr.String())
	}
	want := strconv.Itoa(n) + " shards of " + strconv.Itoa(small) + " endpoints"
	if !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "registrations "+strconv.Itoa(small)) {
		t.Errorf("merge summary %q lacks %q", stdout.String(), want)
	}
	if rep := readLoadReport(t, flagValue(args, "json")); rep.RegistrationTimes.Count() != small {
		t.Errorf("merged report: %d registration times, want %d", rep.RegistrationTimes.Count(), small)
	}

	// The image has phonesim where the manifests' command expects it.
	dockerfile, err := os.ReadFile(filepath.Join(deploy, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if line := "COPY --from=build /out/phonesim " + pod.Command[0]; !bytes.Contains(dockerfile, []byte(line)) {
		t.Errorf("Dockerfile lacks %q", line)
	}
}
