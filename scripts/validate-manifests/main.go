// validate-manifests builds every kustomization under manifests/ with kustomize (krusty) and checks, offline:
//   - every Kubernetes object decodes strictly (unknown fields are errors) into its typed k8s.io/api struct;
//   - every Istio object's spec decodes strictly (protojson, unknown fields are errors) into istio.io/api types,
//     and IstioOperator meshConfig fragments into istio.io/api/mesh/v1alpha1.MeshConfig;
//   - references resolve: Service selectors match pod labels, target ports and probe ports exist, PDB and HPA
//     target the Deployment, the AuthorizationPolicy's CUSTOM provider is a declared extension provider, and the
//     provider's service host and port are the mcp-authz Service's.
// Usage: go run . <manifests dir>. Prints one line per object; exits 1 listing every problem.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

type object struct {
	source string
	kind   string
	name   string
	ns     string
	raw    []byte
}

var problems []string

func problem(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

func main() {
	root := "manifests"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	dirs := kustomizations(root)
	if len(dirs) == 0 {
		problem("no kustomization.yaml under %s", root)
	}
	var all []object
	for _, dir := range dirs {
		objs := build(dir)
		all = append(all, objs...)
		checkReferences(dir, objs)
	}
	checkProvider(all)
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "%d problem(s):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "  - %s\n", p)
		}
		os.Exit(1)
	}
	fmt.Printf("ok: %d objects in %d kustomizations\n", len(all), len(dirs))
}

func kustomizations(root string) []string {
	var dirs []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "kustomization.yaml" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs
}

func build(dir string) []object {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		problem("%s: kustomize build: %v", dir, err)
		return nil
	}
	var out []object
	for _, r := range resMap.Resources() {
		raw, err := r.AsYAML()
		if err != nil {
			problem("%s: %s: %v", dir, r.CurId(), err)
			continue
		}
		o := object{source: dir, kind: r.GetKind(), name: r.GetName(), ns: r.GetNamespace(), raw: raw}
		apiVersion := r.GetApiVersion()
		if err := decode(apiVersion, o); err != nil {
			problem("%s: %s %s/%s: %v", dir, apiVersion, o.kind, o.name, err)
		} else {
			fmt.Printf("valid  %-40s %-24s %s/%s\n", apiVersion+" "+o.kind, dir, o.ns, o.name)
		}
		out = append(out, o)
	}
	return out
}

// decode strictly into the typed API object for the kind.
func decode(apiVersion string, o object) error {
	switch apiVersion + "/" + o.kind {
	case "v1/Namespace":
		return strict(o.raw, &corev1.Namespace{})
	case "v1/ServiceAccount":
		return strict(o.raw, &corev1.ServiceAccount{})
	case "v1/ConfigMap":
		return strict(o.raw, &corev1.ConfigMap{})
	case "v1/Service":
		return strict(o.raw, &corev1.Service{})
	case "apps/v1/Deployment":
		return strict(o.raw, &appsv1.Deployment{})
	case "policy/v1/PodDisruptionBudget":
		return strict(o.raw, &policyv1.PodDisruptionBudget{})
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return strict(o.raw, &autoscalingv2.HorizontalPodAutoscaler{})
	case "security.istio.io/v1/AuthorizationPolicy", "security.istio.io/v1beta1/AuthorizationPolicy":
		return istioSpec(o.raw, &securityv1beta1.AuthorizationPolicy{})
	case "security.istio.io/v1/PeerAuthentication", "security.istio.io/v1beta1/PeerAuthentication":
		return istioSpec(o.raw, &securityv1beta1.PeerAuthentication{})
	case "networking.istio.io/v1/DestinationRule", "networking.istio.io/v1beta1/DestinationRule":
		return istioSpec(o.raw, &networkingv1alpha3.DestinationRule{})
	case "networking.istio.io/v1/ServiceEntry", "networking.istio.io/v1beta1/ServiceEntry":
		return istioSpec(o.raw, &networkingv1alpha3.ServiceEntry{})
	case "install.istio.io/v1alpha1/IstioOperator":
		return meshConfig(o.raw, &meshv1alpha1.MeshConfig{})
	}
	return fmt.Errorf("no schema known for this kind: add it to the validator")
}

func strict(raw []byte, into any) error { return yaml.UnmarshalStrict(raw, into) }

type envelope struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   json.RawMessage `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
}

func istioSpec(raw []byte, msg proto.Message) error {
	var e envelope
	if err := yaml.UnmarshalStrict(raw, &e); err != nil {
		return err
	}
	return protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(e.Spec, msg)
}

// meshConfig validates spec.meshConfig of an IstioOperator fragment; other spec keys are not allowed here.
func meshConfig(raw []byte, msg proto.Message) error {
	var e envelope
	if err := yaml.UnmarshalStrict(raw, &e); err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(e.Spec, &spec); err != nil {
		return err
	}
	for k := range spec {
		if k != "meshConfig" {
			return fmt.Errorf("spec.%s: only spec.meshConfig is expected in these fragments", k)
		}
	}
	return protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(spec["meshConfig"], msg)
}

func checkReferences(dir string, objs []object) {
	var deployments []appsv1.Deployment
	var services []corev1.Service
	for _, o := range objs {
		switch o.kind {
		case "Deployment":
			var d appsv1.Deployment
			if yaml.Unmarshal(o.raw, &d) == nil {
				deployments = append(deployments, d)
			}
		case "Service":
			var s corev1.Service
			if yaml.Unmarshal(o.raw, &s) == nil {
				services = append(services, s)
			}
		}
	}
	for _, d := range deployments {
		podLabels := labels.Set(d.Spec.Template.Labels)
		if sel := d.Spec.Selector; sel == nil || !labels.SelectorFromSet(sel.MatchLabels).Matches(podLabels) {
			problem("%s: Deployment %s: selector does not match its pod labels", dir, d.Name)
		}
		ports := map[string]int32{}
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
				if probe == nil {
					continue
				}
				if h := probe.HTTPGet; h != nil && h.Port.StrVal != "" {
					if _, ok := ports[h.Port.StrVal]; !ok {
						problem("%s: Deployment %s: probe port %q is not a container port", dir, d.Name, h.Port.StrVal)
					}
				}
			}
		}
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.ConfigMap != nil && !hasObject(objs, "ConfigMap", v.ConfigMap.Name) {
				problem("%s: Deployment %s: volume %s refers to missing ConfigMap %s", dir, d.Name, v.Name, v.ConfigMap.Name)
			}
		}
		if sa := d.Spec.Template.Spec.ServiceAccountName; sa != "" && !hasObject(objs, "ServiceAccount", sa) {
			problem("%s: Deployment %s: ServiceAccount %s is not defined", dir, d.Name, sa)
		}
		for _, s := range services {
			if s.Namespace != d.Namespace || !labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
				continue
			}
			for _, sp := range s.Spec.Ports {
				if name := sp.TargetPort.StrVal; name != "" {
					if _, ok := ports[name]; !ok {
						problem("%s: Service %s: targetPort %q is not a port of Deployment %s", dir, s.Name, name, d.Name)
					}
				}
			}
		}
		for _, o := range objs {
			switch o.kind {
			case "PodDisruptionBudget":
				var p policyv1.PodDisruptionBudget
				if yaml.Unmarshal(o.raw, &p) == nil && p.Spec.Selector != nil && !labels.SelectorFromSet(p.Spec.Selector.MatchLabels).Matches(podLabels) {
					problem("%s: PodDisruptionBudget %s selects no pod of Deployment %s", dir, p.Name, d.Name)
				}
			case "HorizontalPodAutoscaler":
				var h autoscalingv2.HorizontalPodAutoscaler
				if yaml.Unmarshal(o.raw, &h) == nil && (h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name) {
					problem("%s: HorizontalPodAutoscaler %s does not target Deployment %s", dir, h.Name, d.Name)
				}
			}
		}
	}
	for _, s := range services {
		matched := false
		for _, d := range deployments {
			if s.Namespace == d.Namespace && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = true
			}
		}
		if len(deployments) > 0 && !matched {
			problem("%s: Service %s selects no Deployment", dir, s.Name)
		}
	}
}

func hasObject(objs []object, kind, name string) bool {
	for _, o := range objs {
		if o.kind == kind && o.name == name {
			return true
		}
	}
	return false
}

// checkProvider: the CUSTOM AuthorizationPolicy names a declared extension provider whose service and port are
// the mcp-authz Service's gRPC port.
func checkProvider(all []object) {
	providers := map[string]*meshv1alpha1.MeshConfig_ExtensionProvider{}
	for _, o := range all {
		if o.kind != "IstioOperator" {
			continue
		}
		var e envelope
		if yaml.Unmarshal(o.raw, &e) != nil {
			continue
		}
		var spec map[string]json.RawMessage
		_ = json.Unmarshal(e.Spec, &spec)
		var mc meshv1alpha1.MeshConfig
		if protojson.Unmarshal(spec["meshConfig"], &mc) != nil {
			continue
		}
		for _, p := range mc.GetExtensionProviders() {
			providers[p.GetName()] = p
		}
	}
	services := map[string]corev1.Service{}
	for _, o := range all {
		if o.kind == "Service" {
			var s corev1.Service
			if yaml.Unmarshal(o.raw, &s) == nil {
				services[s.Name+"."+s.Namespace+".svc.cluster.local"] = s
			}
		}
	}
	for _, o := range all {
		if o.kind != "AuthorizationPolicy" {
			continue
		}
		var ap securityv1beta1.AuthorizationPolicy
		if istioSpec(o.raw, &ap) != nil || ap.GetAction() != securityv1beta1.AuthorizationPolicy_CUSTOM {
			continue
		}
		name := ap.GetProvider().GetName()
		p, ok := providers[name]
		if !ok {
			problem("AuthorizationPolicy %s: CUSTOM provider %q is not declared in meshConfig.extensionProviders (Istio would deny all: deny-due-to-bad-CUSTOM-action)", o.name, name)
			continue
		}
		grpc := p.GetEnvoyExtAuthzGrpc()
		if grpc == nil {
			problem("extension provider %s: not an envoyExtAuthzGrpc provider", name)
			continue
		}
		svc, ok := services[grpc.GetService()]
		if !ok {
			problem("extension provider %s: service %s is not a Service in these manifests", name, grpc.GetService())
			continue
		}
		portOK := false
		for _, sp := range svc.Spec.Ports {
			if uint32(sp.Port) == grpc.GetPort() && sp.Name == "grpc" {
				portOK = true
			}
		}
		if !portOK {
			problem("extension provider %s: port %d is not the grpc port of Service %s", name, grpc.GetPort(), svc.Name)
		}
		if grpc.GetFailOpen() {
			problem("extension provider %s: failOpen must be false (fail closed)", name)
		}
		body := grpc.GetIncludeRequestBodyInCheck()
		if body == nil || body.GetMaxRequestBytes() == 0 || body.GetMaxRequestBytes() > 1<<20 {
			problem("extension provider %s: includeRequestBodyInCheck.maxRequestBytes must be set and at most 1 MiB", name)
		}
		if !strings.HasSuffix(grpc.GetService(), ".svc.cluster.local") {
			problem("extension provider %s: use the Service's FQDN", name)
		}
		fmt.Printf("linked AuthorizationPolicy %s → provider %s → Service %s:%d\n", o.name, name, svc.Name, grpc.GetPort())
	}
}
