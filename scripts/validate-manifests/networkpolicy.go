package main

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkNetworkPolicy: a NetworkPolicy must select the pods of a Deployment of its own build and namespace (an
// empty or mistyped selector protects nothing, or everything), and every port it names must be a container port
// of those pods. Numeric ports are not checked: they may be the sidecar's (15020).
func checkNetworkPolicy(np *networkingv1.NetworkPolicy, deployments []*appsv1.Deployment, dir string, r *report) {
	where := fmt.Sprintf("%s: NetworkPolicy %s", dir, key(np.Namespace, np.Name))
	if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 {
		r.add("%s: an empty podSelector selects every pod of the namespace; select the workload it protects", where)
		return
	}
	var selected []*appsv1.Deployment
	for _, d := range deployments {
		if d.Namespace == np.Namespace && selects(&np.Spec.PodSelector, d.Spec.Template.Labels) {
			selected = append(selected, d)
		}
	}
	if len(selected) == 0 {
		r.add("%s: podSelector %v selects no Deployment's pods in namespace %s", where, np.Spec.PodSelector.MatchLabels, np.Namespace)
		return
	}
	for i, rule := range np.Spec.Ingress {
		if len(rule.From) == 0 {
			r.add("%s: ingress[%d] has no from: it admits every source", where, i)
		}
		for _, p := range rule.Ports {
			if p.Port == nil || p.Port.Type != intstr.String {
				continue
			}
			for _, d := range selected {
				if _, ok := podPort(d, *p.Port); !ok {
					r.add("%s: ingress[%d] port %s is not a container port of Deployment %s", where, i, p.Port.StrVal, d.Name)
				}
			}
		}
	}
	names := make([]string, 0, len(selected))
	for _, d := range selected {
		names = append(names, d.Name)
	}
	fmt.Printf("linked  %-44s %-32s %s\n", "NetworkPolicy → Deployment", key(np.Namespace, np.Name)+" → "+strings.Join(names, ","), dir)
}
