package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// object is one resource out of a kustomize build, decoded into its typed API struct (typed) or, for Istio, its
// metadata and protobuf spec (istio).
type object struct {
	dir, apiVersion, kind, name, namespace string
	typed                                  any
	istio                                  *istioObject
}

type istioObject struct {
	meta metav1.ObjectMeta
	spec proto.Message
}

// Kubernetes kinds the manifests use, by apiVersion/kind.
var kubeKinds = map[string]func() any{
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
}

// Istio kinds: the v1 APIs share their protobuf messages with v1beta1 (security) and v1alpha3 (networking).
var istioKinds = map[string]func() proto.Message{
	"security.istio.io/AuthorizationPolicy": func() proto.Message { return &security.AuthorizationPolicy{} },
	"security.istio.io/PeerAuthentication":  func() proto.Message { return &security.PeerAuthentication{} },
	"networking.istio.io/DestinationRule":   func() proto.Message { return &networking.DestinationRule{} },
	"networking.istio.io/ServiceEntry":      func() proto.Message { return &networking.ServiceEntry{} },
	"networking.istio.io/Sidecar":           func() proto.Message { return &networking.Sidecar{} },
}

var istioVersions = map[string][]string{
	"security.istio.io":   {"v1", "v1beta1"},
	"networking.istio.io": {"v1", "v1beta1", "v1alpha3"},
}

// build runs kustomize on dir and decodes every resource strictly.
func build(dir string, r *report) []*object {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		r.add("%s: kustomize build: %v", dir, err)
		return nil
	}
	var out []*object
	for _, res := range resMap.Resources() {
		o := &object{dir: dir, apiVersion: res.GetApiVersion(), kind: res.GetKind(), name: res.GetName(), namespace: res.GetNamespace()}
		raw, err := res.AsYAML()
		if err == nil {
			err = decode(raw, o)
		}
		if err != nil {
			r.add("%s: %v", o, err)
			continue
		}
		out = append(out, o)
	}
	return out
}

func decode(raw []byte, o *object) error {
	if newObj, ok := kubeKinds[o.apiVersion+"/"+o.kind]; ok {
		o.typed = newObj()
		return strictKube(raw, o.typed)
	}
	group, version, _ := strings.Cut(o.apiVersion, "/")
	if newSpec, ok := istioKinds[group+"/"+o.kind]; ok {
		if !slices.Contains(istioVersions[group], version) {
			return fmt.Errorf("apiVersion %s: Istio serves %s only as %v", o.apiVersion, o.kind, istioVersions[group])
		}
		o.istio = &istioObject{spec: newSpec()}
		return strictIstio(raw, o.istio)
	}
	return fmt.Errorf("apiVersion %s kind %s: no schema known to the validator (add it to build.go)", o.apiVersion, o.kind)
}

// strictKube decodes YAML the way the API server's strict field validation does: case-sensitive field names,
// unknown and duplicate fields are errors.
func strictKube(raw []byte, into any) error {
	js, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(js, into, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// Istio objects: apiVersion, kind, metadata (strict ObjectMeta) and spec (strict protobuf); nothing else.
type istioEnvelope struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       map[string]any    `json:"spec"`
}

func strictIstio(raw []byte, into *istioObject) error {
	var e istioEnvelope
	if err := strictKube(raw, &e); err != nil {
		return err
	}
	into.meta = e.Metadata
	return strictProto(e.Spec, into.spec, "spec")
}
