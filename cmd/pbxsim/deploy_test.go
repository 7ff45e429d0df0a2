package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/callwake/callwake/internal/kubejob"
)

// readJob returns the Job of a manifest file (the first document whose kind is Job).
func readJob(t *testing.T, path string) kubejob.Job {
	t.Helper()
	job, _, err := kubejob.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// TestDeployManifest checks the Kubernetes manifests against the command
// line: the shard Job is Indexed with as many pods as shards, and its pods'
// arguments, with the completion index put in as Kubernetes does and the
// image's paths mapped to this checkout, run every library scenario exactly
// once; the merge Job's arguments then merge what they wrote, and its
// verdict is the library's.
func TestDeployManifest(t *testing.T) {
	deploy := filepath.Join("..", "..", "deploy")
	library := filepath.Join("..", "..", "scenarios")
	results := t.TempDir()
	local := strings.NewReplacer("/callwake/scenarios", library, "/results", results)

	shards := readJob(t, filepath.Join(deploy, "scenario-shards.yaml"))
	if shards.Spec.CompletionMode != "Indexed" || shards.Spec.Completions < 1 || shards.Spec.Parallelism != shards.Spec.Completions {
		t.Fatalf("shard Job: completionMode %q, completions %d, parallelism %d; want Indexed and equal counts",
			shards.Spec.CompletionMode, shards.Spec.Completions, shards.Spec.Parallelism)
	}
	pod := shards.Spec.Template.Spec.Containers[0]
	indexVar := ""
	for _, e := range pod.Env {
		if e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			indexVar = e.Name
		}
	}
	if indexVar == "" {
		t.Fatal("shard Job: no environment variable holds the completion index")
	}
	joined := strings.Join(pod.Args, " ")
	if want := "--shard $(" + indexVar + ")/" + strconv.Itoa(shards.Spec.Completions); !strings.Contains(joined, want) {
		t.Fatalf("shard Job: arguments %q lack %q", joined, want)
	}
	for index := range shards.Spec.Completions {
		args := make([]string, len(pod.Args))
		for i, a := range pod.Args {
			args[i] = local.Replace(strings.ReplaceAll(a, "$("+indexVar+")", strconv.Itoa(index)))
		}
		if status, out, errOut := pbxsim(t, args...); status != exitOK {
			t.Fatalf("pod %d: pbxsim %v: exit %d\n%s%s", index, args, status, out, errOut)
		}
	}

	merge := readJob(t, filepath.Join(deploy, "merge-reports.yaml"))
	mpod := merge.Spec.Template.Spec.Containers[0]
	if mpod.Image != pod.Image {
		t.Errorf("merge Job image %q, shard Job image %q: one image serves both", mpod.Image, pod.Image)
	}
	args := make([]string, len(mpod.Args))
	for i, a := range mpod.Args {
		args[i] = local.Replace(a)
	}
	status, out, errOut := pbxsim(t, args...)
	if status != exitOK {
		t.Fatalf("merge: pbxsim %v: exit %d\n%s%s", args, status, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(library, "*.yaml"))
	want := "JSON: " + strconv.Itoa(shards.Spec.Completions) + " reports, " + strconv.Itoa(len(files)) + " scenarios: " + strconv.Itoa(len(files)) + " passed"
	if !strings.Contains(out, want) {
		t.Errorf("merge summary %q lacks %q", out, want)
	}

	// The image puts the library and the binary where the manifests expect them.
	dockerfile, err := os.ReadFile(filepath.Join(deploy, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"COPY scenarios /callwake/scenarios", `ENTRYPOINT ["/usr/local/bin/pbxsim"]`} {
		if !bytes.Contains(dockerfile, []byte(line)) {
			t.Errorf("Dockerfile lacks %q", line)
		}
	}
}
