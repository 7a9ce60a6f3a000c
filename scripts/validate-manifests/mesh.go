package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	mesh "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkMesh checks the Istio objects and the mesh config against each other and against every deployable build.
func checkMesh(all []*object, variants []*variant, patches []*meshPatch, r *report) {
	provs := providers(patches)
	names := make([]string, 0, len(provs))
	for name := range provs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if len(provs[name]) > 1 {
			r.add("extension provider %s is declared differently in different mesh-config directories", name)
		}
		if g := provs[name][0].GetEnvoyExtAuthzGrpc(); g != nil {
			checkProvider(name, g, variants, r)
		}
	}
	customProviders := map[string]string{} // workload selection → provider
	for _, o := range all {
		if o.istio == nil {
			continue
		}
		switch spec := o.istio.spec.(type) {
		case *security.AuthorizationPolicy:
			checkAuthorizationPolicy(o, spec, provs, customProviders, r)
		case *security.PeerAuthentication:
			checkPeerAuthentication(o, spec, variants, r)
		case *networking.DestinationRule:
			if svc := findService(spec.GetHost(), variants); strings.HasSuffix(spec.GetHost(), ".svc.cluster.local") && svc == nil {
				r.add("%s: host %s is not a Service of any build", o, spec.GetHost())
			}
		case *networking.Sidecar:
			for _, e := range spec.GetEgress() {
				for _, h := range e.GetHosts() {
					if !strings.Contains(h, "/") {
						r.add("%s: egress host %q must be namespace/dnsName", o, h)
					}
				}
			}
		case *networking.ServiceEntry:
			if len(spec.GetHosts()) == 0 || len(spec.GetPorts()) == 0 {
				r.add("%s: a ServiceEntry needs hosts and ports", o)
			}
		}
	}
}

// splitService parses a provider's service, "[<namespace>/]<name>.<namespace>.svc.cluster.local".
func splitService(s string) (name, ns string, ok bool) {
	if _, host, found := strings.Cut(s, "/"); found {
		s = host
	}
	parts := strings.Split(s, ".")
	if len(parts) != 5 || strings.Join(parts[2:], ".") != "svc.cluster.local" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func findService(host string, variants []*variant) *corev1.Service {
	name, ns, ok := splitService(host)
	if !ok {
		return nil
	}
	for _, v := range variants {
		for _, s := range v.services {
			if s.Name == name && s.Namespace == ns {
				return s
			}
		}
	}
	return nil
}

// checkProvider: the provider's service and port must be the mcp-authz Service's gRPC port in every build that
// defines that Service, and the provider must fail closed and forward the body.
func checkProvider(name string, g *mesh.MeshConfig_ExtensionProvider_EnvoyExternalAuthorizationGrpcProvider, variants []*variant, r *report) {
	where := "extension provider " + name
	svcName, ns, ok := splitService(g.GetService())
	if !ok {
		r.add("%s: service %q must be a Service FQDN, <name>.<namespace>.svc.cluster.local", where, g.GetService())
		return
	}
	found := 0
	for _, v := range variants {
		for _, s := range v.services {
			if s.Name != svcName || s.Namespace != ns {
				continue
			}
			found++
			var port *corev1.ServicePort
			for i := range s.Spec.Ports {
				if uint32(s.Spec.Ports[i].Port) == g.GetPort() {
					port = &s.Spec.Ports[i]
				}
			}
			switch {
			case port == nil:
				r.add("%s: port %d is not a port of Service %s in %s", where, g.GetPort(), key(ns, svcName), v.dir)
			case !(port.AppProtocol != nil && *port.AppProtocol == "grpc") && !strings.HasPrefix(port.Name, "grpc"):
				r.add("%s: port %d of Service %s in %s is not declared gRPC (appProtocol: grpc), so Istio would not speak HTTP/2 to it", where, g.GetPort(), svcName, v.dir)
			default:
				fmt.Printf("linked  %-44s %-32s %s\n", "provider "+name+" → Service", fmt.Sprintf("%s:%d (%s)", key(ns, svcName), g.GetPort(), port.Name), v.dir)
			}
		}
	}
	if found == 0 {
		r.add("%s: service %s is not a Service of any build", where, g.GetService())
	}
	if g.GetFailOpen() {
		r.add("%s: failOpen must be false: an unreachable mcp-authz would let every request through", where)
	}
	if code, err := strconv.Atoi(g.GetStatusOnError()); err != nil || code < 400 || code > 599 {
		r.add("%s: statusOnError %q must be an HTTP error status such as \"503\"", where, g.GetStatusOnError())
	}
	if t := g.GetTimeout(); t == nil || t.AsDuration() <= 0 || t.AsDuration() > 10*time.Second {
		r.add("%s: set a timeout of at most 10s (Istio's default is 600s: a stuck check would hold the request for 10 minutes)", where)
	}
	body := g.GetIncludeRequestBodyInCheck()
	switch {
	case body == nil:
		r.add("%s: includeRequestBodyInCheck is required: without the body the policy cannot see the tool arguments", where)
	case body.GetMaxRequestBytes() == 0 || body.GetMaxRequestBytes() > 1<<20:
		r.add("%s: includeRequestBodyInCheck.maxRequestBytes must be between 1 and 1 MiB (the gateway cannot buffer more: larger bodies get 413)", where)
	}
}

func checkAuthorizationPolicy(o *object, ap *security.AuthorizationPolicy, provs map[string][]*mesh.MeshConfig_ExtensionProvider, byWorkload map[string]string, r *report) {
	if ap.GetAction() != security.AuthorizationPolicy_CUSTOM {
		return
	}
	name := ap.GetProvider().GetName()
	if _, ok := provs[name]; !ok {
		r.add("%s: CUSTOM provider %q is not declared in any mesh-config extensionProviders: Istio would deny what it matches (deny-due-to-bad-CUSTOM-action)", o, name)
	}
	if len(ap.GetRules()) == 0 {
		r.add("%s: a CUSTOM policy without rules matches no request, so %s would never be asked", o, name)
	}
	selection := ""
	switch {
	case len(ap.GetSelector().GetMatchLabels()) > 0:
		selection = labels.Set(ap.GetSelector().GetMatchLabels()).String()
	case ap.GetTargetRef() != nil || len(ap.GetTargetRefs()) > 0:
		selection = fmt.Sprint(ap.GetTargetRef(), ap.GetTargetRefs())
	default:
		r.add("%s: select the gateway workload (selector.matchLabels or targetRefs), not the whole namespace", o)
	}
	workload := o.namespace + " " + selection
	if other, ok := byWorkload[workload]; ok && other != name {
		r.add("%s: the same workload already uses CUSTOM provider %q; Istio allows one CUSTOM provider per workload", o, other)
	}
	byWorkload[workload] = name
	exemptions, ok := customCoverage(ap)
	if !ok {
		r.add("%s: a rule must cover every request to the gateway (no paths, hosts, methods or ports; notPaths for documented exemptions only): a policy on some paths (/mcp) leaves the others (/sse, /messages) unchecked", o)
	}
	for _, p := range exemptions {
		if strings.Contains(p, "*") {
			r.add("%s: exemption %q must be an exact path, not a pattern", o, p)
		}
		for _, mcp := range []string{"/mcp", "/sse", "/messages"} {
			if pathMatches([]string{p}, mcp) {
				r.add("%s: exemption %q would let %s through unchecked", o, p, mcp)
			}
		}
	}
	if len(exemptions) > 0 {
		fmt.Printf("linked  %-44s %-32s %s\n", "AuthorizationPolicy CUSTOM exemptions", o.nsName()+" "+strings.Join(exemptions, ","), o.dir)
	}
	fmt.Printf("linked  %-44s %-32s %s\n", "AuthorizationPolicy CUSTOM → provider", o.nsName()+" → "+name, o.dir)
}

// customCoverage: the CUSTOM policy covers the whole gateway when one rule has no destination, or an operation
// restricted by nothing but notPaths (the exemptions, returned). Other rules may only narrow the exemptions.
func customCoverage(ap *security.AuthorizationPolicy) (exemptions []string, ok bool) {
	for _, rule := range ap.GetRules() {
		if len(rule.GetTo()) == 0 && len(rule.GetWhen()) == 0 && len(rule.GetFrom()) == 0 {
			return nil, true
		}
		if len(rule.GetFrom()) > 0 || len(rule.GetWhen()) > 0 {
			continue
		}
		for _, to := range rule.GetTo() {
			op := to.GetOperation()
			if len(op.GetPaths()) == 0 && len(op.GetHosts()) == 0 && len(op.GetNotHosts()) == 0 && len(op.GetMethods()) == 0 &&
				len(op.GetNotMethods()) == 0 && len(op.GetPorts()) == 0 && len(op.GetNotPorts()) == 0 {
				return op.GetNotPaths(), true
			}
		}
	}
	return nil, false
}

// pathMatches follows Istio's path syntax: exact, prefix "x*", suffix "*x" or "*".
func pathMatches(patterns []string, p string) bool {
	for _, pat := range patterns {
		switch {
		case pat == "*" || pat == p:
			return true
		case strings.HasSuffix(pat, "*") && strings.HasPrefix(p, strings.TrimSuffix(pat, "*")):
			return true
		case strings.HasPrefix(pat, "*") && strings.HasSuffix(p, strings.TrimPrefix(pat, "*")):
			return true
		}
	}
	return false
}

func checkPeerAuthentication(o *object, pa *security.PeerAuthentication, variants []*variant, r *report) {
	sel := pa.GetSelector().GetMatchLabels()
	var selected []*appsv1.Deployment
	for _, v := range variants {
		for _, d := range v.deployments {
			if d.Namespace == o.namespace && (len(sel) == 0 || labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels))) {
				selected = append(selected, d)
			}
		}
	}
	if len(selected) == 0 {
		r.add("%s: selector %v selects no Deployment's pods in namespace %s", o, sel, o.namespace)
		return
	}
	for port := range pa.GetPortLevelMtls() {
		for _, d := range selected {
			if _, ok := podPort(d, intstr.FromInt32(int32(port))); !ok {
				r.add("%s: portLevelMtls port %d is not a container port of Deployment %s", o, port, d.Name)
			}
		}
	}
}
