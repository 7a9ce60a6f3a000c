package main

import (
	"fmt"
	"strings"

	mesh "istio.io/api/mesh/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// variant is one deployable build (base or an overlay): its Deployments and Services, for the mesh checks.
type variant struct {
	dir         string
	deployments []*appsv1.Deployment
	services    []*corev1.Service
}

// index of one kustomization's objects by kind and namespace/name.
type index struct {
	dir             string
	configMaps      map[string]*corev1.ConfigMap
	serviceAccounts map[string]bool
	pdbs            []*policyv1.PodDisruptionBudget
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	netpols         []*networkingv1.NetworkPolicy
}

func key(ns, name string) string { return ns + "/" + name }

// checkWorkloads checks the references and invariants inside one kustomization. It returns nil when the
// kustomization deploys nothing.
func checkWorkloads(dir string, objs []*object, r *report) []*variant {
	v := &variant{dir: dir}
	ix := &index{dir: dir, configMaps: map[string]*corev1.ConfigMap{}, serviceAccounts: map[string]bool{}}
	for _, o := range objs {
		switch t := o.typed.(type) {
		case *appsv1.Deployment:
			v.deployments = append(v.deployments, t)
		case *corev1.Service:
			v.services = append(v.services, t)
		case *corev1.ConfigMap:
			ix.configMaps[key(t.Namespace, t.Name)] = t
		case *corev1.ServiceAccount:
			ix.serviceAccounts[key(t.Namespace, t.Name)] = true
		case *policyv1.PodDisruptionBudget:
			ix.pdbs = append(ix.pdbs, t)
		case *autoscalingv2.HorizontalPodAutoscaler:
			ix.hpas = append(ix.hpas, t)
		case *networkingv1.NetworkPolicy:
			ix.netpols = append(ix.netpols, t)
		}
	}
	for _, d := range v.deployments {
		checkDeployment(ix, d, r)
	}
	for _, s := range v.services {
		checkService(ix, s, v.deployments, r)
	}
	for _, p := range ix.pdbs {
		checkPDB(ix, p, v.deployments, r)
	}
	for _, h := range ix.hpas {
		checkHPA(ix, h, v.deployments, r)
	}
	for _, np := range ix.netpols {
		checkNetworkPolicy(np, v.deployments, dir, r)
	}
	if len(v.deployments) == 0 {
		return nil
	}
	return []*variant{v}
}

func selects(sel *metav1.LabelSelector, podLabels map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(podLabels))
}

func checkDeployment(ix *index, d *appsv1.Deployment, r *report) {
	where := fmt.Sprintf("%s: Deployment %s", ix.dir, key(d.Namespace, d.Name))
	pod := &d.Spec.Template.Spec
	podLabels := d.Spec.Template.Labels
	if !selects(d.Spec.Selector, podLabels) {
		r.add("%s: spec.selector does not match the pod template's labels", where)
	}
	for i, t := range pod.TopologySpreadConstraints {
		if !selects(t.LabelSelector, podLabels) {
			r.add("%s: topologySpreadConstraints[%d].labelSelector does not select this Deployment's pods", where, i)
		}
	}
	if sa := pod.ServiceAccountName; sa != "" && sa != "default" && !ix.serviceAccounts[key(d.Namespace, sa)] {
		r.add("%s: serviceAccountName %s is not defined in this build", where, sa)
	}
	volumes := map[string]*corev1.Volume{}
	for i := range pod.Volumes {
		vol := &pod.Volumes[i]
		volumes[vol.Name] = vol
		for _, cm := range volumeConfigMaps(vol) {
			if ix.configMaps[key(d.Namespace, cm)] == nil {
				r.add("%s: volume %s refers to ConfigMap %s, which this build does not define", where, vol.Name, cm)
			}
		}
	}
	for _, c := range pod.Containers {
		cw := fmt.Sprintf("%s container %s", where, c.Name)
		checkContainer(cw, pod, &c, volumes, r)
		if pod.RuntimeClassName != nil && strings.HasPrefix(*pod.RuntimeClassName, "kata") {
			checkKataMemory(cw, &c, r)
		}
		if hasArg(c.Args, "--config") {
			checkMcpAuthz(ix, where, d, &c, volumes, r)
		}
	}
	checkAnnotations(where, d.Spec.Template.Annotations, pod, r)
}

func volumeConfigMaps(v *corev1.Volume) []string {
	var out []string
	if v.ConfigMap != nil {
		out = append(out, v.ConfigMap.Name)
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.ConfigMap != nil {
				out = append(out, s.ConfigMap.Name)
			}
		}
	}
	return out
}

func checkContainer(where string, pod *corev1.PodSpec, c *corev1.Container, volumes map[string]*corev1.Volume, r *report) {
	if !pinned(c.Image) {
		r.add("%s: image %q must be pinned to a tag or digest (not latest)", where, c.Image)
	}
	names, numbers := map[string]bool{}, map[int32]bool{}
	for _, p := range c.Ports {
		for _, msg := range validation.IsValidPortName(p.Name) {
			r.add("%s: port name %q: %s", where, p.Name, msg)
		}
		if names[p.Name] || numbers[p.ContainerPort] {
			r.add("%s: port %s/%d is declared twice", where, p.Name, p.ContainerPort)
		}
		names[p.Name], numbers[p.ContainerPort] = true, true
	}
	for name, probe := range map[string]*corev1.Probe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe, "startupProbe": c.StartupProbe} {
		if port, ok := probePort(probe); ok {
			if _, found := resolvePort(c, port); !found {
				r.add("%s: %s port %s is not a port of the container", where, name, port.String())
			}
		}
	}
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
		r.add("%s: set resources.requests.cpu, requests.memory and limits.memory", where)
	}
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if !isTrue(firstBool(sc.RunAsNonRoot, psc.RunAsNonRoot)) {
		r.add("%s: runAsNonRoot must be true", where)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		r.add("%s: allowPrivilegeEscalation must be false", where)
	}
	if sc.Capabilities == nil || !hasCapability(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		r.add("%s: capabilities must drop ALL and add none", where)
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type == corev1.SeccompProfileTypeUnconfined {
		r.add("%s: seccompProfile must be RuntimeDefault (or Localhost)", where)
	}
	for _, m := range c.VolumeMounts {
		if volumes[m.Name] == nil {
			r.add("%s: volumeMount %s names no volume of the pod", where, m.Name)
		}
	}
}

func checkKataMemory(where string, c *corev1.Container, r *report) {
	min := resource.MustParse("2Gi")
	if c.Resources.Requests.Memory().Cmp(min) < 0 || c.Resources.Limits.Memory().Cmp(min) < 0 {
		r.add("%s: runtimeClassName kata needs memory requests and limits of at least 2Gi (QEMU overhead)", where)
	}
}

func checkAnnotations(where string, ann map[string]string, pod *corev1.PodSpec, r *report) {
	if port, ok := ann["prometheus.io/port"]; ok {
		found := false
		for _, c := range pod.Containers {
			if _, ok := resolvePort(&c, intstr.Parse(port)); ok {
				found = true
			}
		}
		if !found {
			r.add("%s: annotation prometheus.io/port %s is not a container port", where, port)
		}
	}
	if p, ok := ann["prometheus.io/path"]; ok && !strings.HasPrefix(p, "/") {
		r.add("%s: annotation prometheus.io/path %q must start with /", where, p)
	}
	if cfg, ok := ann["proxy.istio.io/config"]; ok {
		var value any
		if err := yaml.Unmarshal([]byte(cfg), &value); err != nil {
			r.add("%s: annotation proxy.istio.io/config: %v", where, err)
		} else if err := strictProto(value, &mesh.ProxyConfig{}, "proxy.istio.io/config"); err != nil {
			r.add("%s: annotation %v", where, err)
		}
	}
}

func checkService(ix *index, s *corev1.Service, deployments []*appsv1.Deployment, r *report) {
	where := fmt.Sprintf("%s: Service %s", ix.dir, key(s.Namespace, s.Name))
	var targets []*appsv1.Deployment
	for _, d := range deployments {
		if d.Namespace == s.Namespace && len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			targets = append(targets, d)
		}
	}
	if len(targets) == 0 {
		r.add("%s: selector %v selects no Deployment's pods", where, s.Spec.Selector)
	}
	for _, p := range s.Spec.Ports {
		for _, msg := range validation.IsValidPortName(p.Name) {
			r.add("%s: port name %q: %s", where, p.Name, msg)
		}
		if p.AppProtocol == nil && !istioProtocolName(p.Name) {
			r.add("%s: port %s: set appProtocol (or a protocol-prefixed name) so Istio does not guess the protocol", where, p.Name)
		}
		target := p.TargetPort
		if target.IntVal == 0 && target.StrVal == "" {
			target = intstr.FromInt32(p.Port)
		}
		for _, d := range targets {
			if _, ok := podPort(d, target); !ok {
				r.add("%s: port %s targets %s, which is not a container port of Deployment %s", where, p.Name, target.String(), d.Name)
			}
		}
	}
}

func checkPDB(ix *index, p *policyv1.PodDisruptionBudget, deployments []*appsv1.Deployment, r *report) {
	where := fmt.Sprintf("%s: PodDisruptionBudget %s", ix.dir, key(p.Namespace, p.Name))
	matched := false
	for _, d := range deployments {
		if d.Namespace != p.Namespace || !selects(p.Spec.Selector, d.Spec.Template.Labels) {
			continue
		}
		matched = true
		if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.Type != intstr.Int {
			continue
		}
		min := p.Spec.MinAvailable.IntVal
		if replicas(d) <= min {
			r.add("%s: minAvailable %d >= Deployment %s replicas %d: no pod could ever be evicted (node drains block)", where, min, d.Name, replicas(d))
		}
		for _, h := range ix.hpas {
			if targetsDeployment(h, d) && h.Spec.MinReplicas != nil && *h.Spec.MinReplicas <= min {
				r.add("%s: minAvailable %d >= HorizontalPodAutoscaler %s minReplicas %d: evictions block at the minimum", where, min, h.Name, *h.Spec.MinReplicas)
			}
		}
	}
	if !matched {
		r.add("%s: selects no Deployment's pods", where)
	}
}

func checkHPA(ix *index, h *autoscalingv2.HorizontalPodAutoscaler, deployments []*appsv1.Deployment, r *report) {
	where := fmt.Sprintf("%s: HorizontalPodAutoscaler %s", ix.dir, key(h.Namespace, h.Name))
	var target *appsv1.Deployment
	for _, d := range deployments {
		if targetsDeployment(h, d) {
			target = d
		}
	}
	if target == nil {
		r.add("%s: scaleTargetRef %s %s is not a Deployment of this build", where, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		return
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		r.add("%s: minReplicas > maxReplicas", where)
	}
	for _, m := range h.Spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType {
			continue
		}
		for _, c := range target.Spec.Template.Spec.Containers {
			if q, ok := c.Resources.Requests[m.Resource.Name]; !ok || q.IsZero() {
				r.add("%s: scales on %s utilization, but container %s has no %s request", where, m.Resource.Name, c.Name, m.Resource.Name)
			}
		}
	}
}

func targetsDeployment(h *autoscalingv2.HorizontalPodAutoscaler, d *appsv1.Deployment) bool {
	ref := h.Spec.ScaleTargetRef
	return h.Namespace == d.Namespace && ref.Kind == "Deployment" && ref.APIVersion == "apps/v1" && ref.Name == d.Name
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}
