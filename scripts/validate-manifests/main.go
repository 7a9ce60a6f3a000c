// validate-manifests checks the deployment manifests offline, with no cluster:
//
//   - every kustomization under the root is built with kustomize's own library (krusty);
//   - every Kubernetes object decodes strictly into its k8s.io/api type: unknown, duplicate and wrongly cased
//     fields are errors, as with the API server's strict field validation;
//   - every Istio object's spec decodes strictly into its istio.io/api protobuf type (protojson, unknown fields
//     rejected), in the camelCase spelling Istio's CRD schemas accept; every mesh-config patch (directories named
//     mesh-config: IstioOperator, Sail Istio merge patch or istiod Helm values) decodes into MeshConfig, and the
//     files of one directory must say the same thing;
//   - references resolve and the deployment's invariants hold (workload.go, mesh.go).
//
// Usage: go run . [manifests dir]. Prints one line per checked object; exits 1 listing every problem.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// report collects problems; nothing stops at the first one.
type report struct{ problems []string }

func (r *report) add(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func main() {
	root := "manifests"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	r := &report{}
	kustomizations, meshDirs := discover(root, r)

	var all []*object
	var variants []*variant
	for _, dir := range kustomizations {
		objs := build(dir, r)
		for _, o := range objs {
			fmt.Printf("ok      %-44s %-32s %s\n", o.apiVersion+" "+o.kind, o.nsName(), o.dir)
		}
		all = append(all, objs...)
		if v := checkWorkloads(dir, objs, r); v != nil {
			variants = append(variants, v...)
		}
	}
	var patches []*meshPatch
	for _, dir := range meshDirs {
		ps := loadMeshPatches(dir, r)
		for _, p := range ps {
			fmt.Printf("ok      %-44s %-32s %s\n", "MeshConfig ("+p.format+")", "-", p.file)
		}
		patches = append(patches, ps...)
	}
	checkMesh(all, variants, patches, r)

	if len(r.problems) > 0 {
		fmt.Fprintf(os.Stderr, "%d problem(s):\n", len(r.problems))
		for _, p := range r.problems {
			fmt.Fprintf(os.Stderr, "  - %s\n", p)
		}
		os.Exit(1)
	}
	fmt.Printf("no problems: %d objects from %d kustomizations, %d mesh-config patches\n", len(all), len(kustomizations), len(patches))
}

// discover lists the kustomization directories and the mesh-config directories under root.
func discover(root string, r *report) (kustomizations, meshDirs []string) {
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "mesh-config" {
			meshDirs = append(meshDirs, path)
		}
		if !d.IsDir() && (d.Name() == "kustomization.yaml" || d.Name() == "kustomization.yml") {
			kustomizations = append(kustomizations, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		r.add("%s: %v", root, err)
	}
	if len(kustomizations) == 0 {
		r.add("%s: no kustomization.yaml found", root)
	}
	sort.Strings(kustomizations)
	sort.Strings(meshDirs)
	return kustomizations, meshDirs
}

func (o *object) nsName() string {
	if o.namespace == "" {
		return o.name
	}
	return o.namespace + "/" + o.name
}

func (o *object) String() string {
	return fmt.Sprintf("%s: %s %s", o.dir, o.kind, o.nsName())
}

func yamlFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}
