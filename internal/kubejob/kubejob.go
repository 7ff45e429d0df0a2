// Package kubejob reads the part of a Kubernetes Job manifest that the
// tests of deploy/ check: completions, parallelism and the one container's
// image, command, arguments, environment and mounts.
package kubejob

import (
	"bytes"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"
)

// Job is a Job's spec as the checks read it.
type Job struct {
	Kind string `yaml:"kind"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				Containers []Container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// Container is a pod's container.
type Container struct {
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom struct {
			FieldRef struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// Read returns the first Job of a manifest file (documents separated by
// "---") and its one container; a Job with another number of containers
// is an error.
func Read(path string) (Job, Container, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Job{}, Container{}, err
	}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var job Job
		if err := yaml.Unmarshal(doc, &job); err != nil {
			return Job{}, Container{}, fmt.Errorf("%s: %w", path, err)
		}
		if job.Kind == "Job" {
			if n := len(job.Spec.Template.Spec.Containers); n != 1 {
				return Job{}, Container{}, fmt.Errorf("%s: %d containers, want 1", path, n)
			}
			return job, job.Spec.Template.Spec.Containers[0], nil
		}
	}
	return Job{}, Container{}, fmt.Errorf("%s: no Job", path)
}
