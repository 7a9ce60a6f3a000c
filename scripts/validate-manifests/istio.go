package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	mesh "istio.io/api/mesh/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// strictProto decodes a JSON-shaped value into msg: protojson with unknown fields rejected, and every field name in
// its camelCase (JSON) spelling. protojson also accepts the snake_case proto names, but Istio's CRD schemas and
// its mesh-config loader do not, so a snake_case key would be dropped or refused by the cluster.
func strictProto(value any, msg proto.Message, path string) error {
	js, err := json.Marshal(value)
	if err != nil {
		return err
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, msg); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return errors.Join(camelCase(value, msg.ProtoReflect().Descriptor(), path)...)
}

// Well-known types have their own JSON forms (strings, free-form objects).
var wellKnown = map[protoreflect.FullName]bool{
	"google.protobuf.Struct": true, "google.protobuf.Value": true, "google.protobuf.ListValue": true,
	"google.protobuf.Any": true, "google.protobuf.Duration": true, "google.protobuf.Timestamp": true,
	"google.protobuf.FieldMask": true, "google.protobuf.BoolValue": true, "google.protobuf.StringValue": true,
	"google.protobuf.UInt32Value": true, "google.protobuf.Int32Value": true, "google.protobuf.UInt64Value": true,
	"google.protobuf.Int64Value": true, "google.protobuf.DoubleValue": true, "google.protobuf.FloatValue": true,
	"google.protobuf.BytesValue": true,
}

func camelCase(value any, md protoreflect.MessageDescriptor, path string) []error {
	obj, ok := value.(map[string]any)
	if !ok || wellKnown[md.FullName()] {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, key := range keys {
		fields := md.Fields()
		fd := fields.ByJSONName(key)
		if fd == nil {
			if alt := fields.ByTextName(key); alt != nil {
				errs = append(errs, fmt.Errorf("%s.%s: write %q (Istio only accepts the camelCase field names)", path, key, alt.JSONName()))
			}
			continue // unknown fields were reported by protojson
		}
		sub := path + "." + key
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				if m, ok := obj[key].(map[string]any); ok {
					for mk, mv := range m {
						errs = append(errs, camelCase(mv, fd.MapValue().Message(), sub+"."+mk)...)
					}
				}
			}
		case fd.IsList():
			if fd.Kind() == protoreflect.MessageKind {
				if list, ok := obj[key].([]any); ok {
					for i, item := range list {
						errs = append(errs, camelCase(item, fd.Message(), fmt.Sprintf("%s[%d]", sub, i))...)
					}
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			errs = append(errs, camelCase(obj[key], fd.Message(), sub)...)
		}
	}
	return errs
}

// meshPatch is one file of a mesh-config directory: the same MeshConfig fragment for one way of installing Istio.
type meshPatch struct {
	file, dir, format string
	mesh              *mesh.MeshConfig
}

// loadMeshPatches reads every YAML file of a mesh-config directory. Recognised shapes:
//
//	IstioOperator            apiVersion install.istio.io/v1alpha1, kind IstioOperator, spec.meshConfig
//	Sail Istio merge patch   spec.values.meshConfig          (kubectl patch istio default --type merge)
//	istiod Helm values       meshConfig                      (helm upgrade istiod ... -f)
//
// All files of one directory must decode to the same MeshConfig.
func loadMeshPatches(dir string, r *report) []*meshPatch {
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.add("%s: %v", dir, err)
		return nil
	}
	var out []*meshPatch
	for _, e := range entries {
		if e.IsDir() || !yamlFile(e.Name()) {
			continue
		}
		file := filepath.Join(dir, e.Name())
		p, err := loadMeshPatch(file)
		if err != nil {
			r.add("%s: %v", file, err)
			continue
		}
		p.dir = dir
		out = append(out, p)
	}
	if len(out) == 0 {
		r.add("%s: no mesh-config patch in this directory", dir)
	}
	for _, p := range out[min(1, len(out)):] {
		if !proto.Equal(out[0].mesh, p.mesh) {
			r.add("%s and %s declare different mesh config:\n      %s\n      %s", out[0].file, p.file, compact(out[0].mesh), compact(p.mesh))
		}
	}
	return out
}

func loadMeshPatch(file string) (*meshPatch, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if strictErrs, err := kjson.UnmarshalStrict(js, &doc, kjson.DisallowDuplicateFields); err != nil || len(strictErrs) > 0 {
		return nil, errors.Join(append(strictErrs, err)...)
	}
	p := &meshPatch{file: file, mesh: &mesh.MeshConfig{}}
	var meshConfig any
	switch {
	case doc["kind"] != nil:
		var op struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Metadata   metav1.ObjectMeta `json:"metadata"`
			Spec       map[string]any    `json:"spec"`
		}
		if err := strictKube(raw, &op); err != nil {
			return nil, err
		}
		if op.APIVersion != "install.istio.io/v1alpha1" || op.Kind != "IstioOperator" {
			return nil, fmt.Errorf("%s %s: only IstioOperator (install.istio.io/v1alpha1) is a mesh-config patch", op.APIVersion, op.Kind)
		}
		p.format = "IstioOperator"
		meshConfig, err = only(op.Spec, "spec", "meshConfig")
	case doc["spec"] != nil:
		p.format = "Sail Istio patch"
		var spec, values any
		if spec, err = only(doc, "", "spec"); err == nil {
			if values, err = only(spec, "spec", "values"); err == nil {
				meshConfig, err = only(values, "spec.values", "meshConfig")
			}
		}
	default:
		p.format = "Helm values"
		meshConfig, err = only(doc, "", "meshConfig")
	}
	if err != nil {
		return nil, err
	}
	return p, strictProto(meshConfig, p.mesh, "meshConfig")
}

// only returns m[key] and fails when m holds any other key: a patch carries the mesh config and nothing else.
func only(m any, path, key string) (any, error) {
	obj, ok := m.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected an object with %q", orTop(path), key)
	}
	for k := range obj {
		if k != key {
			return nil, fmt.Errorf("%s: unexpected key %q (a mesh-config patch holds only %s)", orTop(path), k, strings.TrimPrefix(path+"."+key, "."))
		}
	}
	v, ok := obj[key]
	if !ok {
		return nil, fmt.Errorf("%s: %q is missing", orTop(path), key)
	}
	return v, nil
}

func orTop(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func compact(m proto.Message) string {
	b, _ := protojson.MarshalOptions{}.Marshal(m)
	return string(b)
}

// providers indexes every extension provider declared by the mesh-config patches, by name.
func providers(patches []*meshPatch) map[string][]*mesh.MeshConfig_ExtensionProvider {
	out := map[string][]*mesh.MeshConfig_ExtensionProvider{}
	for _, p := range patches {
		for _, ep := range p.mesh.GetExtensionProviders() {
			if !slices.ContainsFunc(out[ep.GetName()], func(x *mesh.MeshConfig_ExtensionProvider) bool { return proto.Equal(x, ep) }) {
				out[ep.GetName()] = append(out[ep.GetName()], ep)
			}
		}
	}
	return out
}
