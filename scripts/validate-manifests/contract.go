package main

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	mesh "istio.io/api/mesh/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// The part of mcp-authz's configuration file that the Deployment must agree with (defaults as in
// src/config/schema.ts). The file itself is validated against the real schema by test/deploy/manifests.test.ts.
type serverConfig struct {
	GrpcAddr string `json:"grpc_addr"`
	HTTPAddr string `json:"http_addr"`
	Policy   struct {
		Data       []string `json:"data"`
		BundlePoll struct {
			BearerTokenFile string `json:"bearer_token_file"`
		} `json:"bundle_poll"`
	} `json:"policy"`
	Shutdown struct {
		GraceSeconds *float64 `json:"grace_seconds"`
	} `json:"shutdown"`
}

// checkMcpAuthz checks an mcp-authz container against its configuration file (read from the ConfigMap that the
// --config path is mounted from) and against the server's contract: gRPC on the `grpc` port, /readyz and
// /healthz on the `http-admin` port, uid 65532 with a read-only root filesystem, and a termination grace period
// that covers the preStop pause and the drain.
func checkMcpAuthz(ix *index, where string, d *appsv1.Deployment, c *corev1.Container, volumes map[string]*corev1.Volume, r *report) {
	where += " container " + c.Name
	cfgPath := argValue(c.Args, "--config")
	text, ok := mountedFile(ix, d, c, volumes, cfgPath)
	if !ok {
		r.add("%s: --config %s is not a key of a ConfigMap mounted into the container", where, cfgPath)
		return
	}
	var cfg serverConfig
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		r.add("%s: %s: %v", where, cfgPath, err)
		return
	}
	grpcPort, httpPort := addrPort(cfg.GrpcAddr, 9191, where, r), addrPort(cfg.HTTPAddr, 8181, where, r)
	for name, want := range map[string]int32{"grpc": grpcPort, "http-admin": httpPort} {
		if got, ok := resolvePort(c, intstr.FromString(name)); !ok || got != want {
			r.add("%s: container port %q must be %d (the config binds it there), found %d", where, name, want, got)
		}
	}
	for name, want := range map[string]*corev1.Probe{"/readyz": c.ReadinessProbe, "/healthz": c.LivenessProbe} {
		if want == nil || want.HTTPGet == nil || want.HTTPGet.Path != name {
			r.add("%s: the %s probe must GET %s", where, map[string]string{"/readyz": "readiness", "/healthz": "liveness"}[name], name)
			continue
		}
		if got, _ := resolvePort(c, want.HTTPGet.Port); got != httpPort {
			r.add("%s: probe %s must hit the admin HTTP port %d, not %s", where, name, httpPort, want.HTTPGet.Port.String())
		}
	}
	for _, file := range append(append([]string{}, cfg.Policy.Data...), cfg.Policy.BundlePoll.BearerTokenFile) {
		if file == "" {
			continue
		}
		if _, ok := mountedFile(ix, d, c, volumes, file); !ok && !underMount(c, file) {
			r.add("%s: %s (from %s) is not in a volume mounted into the container", where, file, cfgPath)
		}
	}
	pod := &d.Spec.Template.Spec
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		r.add("%s: automountServiceAccountToken must be false (mcp-authz never calls the Kubernetes API)", where)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		r.add("%s: readOnlyRootFilesystem must be true", where)
	}
	var podUID *int64
	if pod.SecurityContext != nil {
		podUID = pod.SecurityContext.RunAsUser
	}
	if uid := firstInt(containerUID(sc), podUID); uid == nil || *uid != 65532 {
		r.add("%s: runAsUser must be 65532 (the image's user)", where)
	}
	grace := 10.0
	if cfg.Shutdown.GraceSeconds != nil {
		grace = *cfg.Shutdown.GraceSeconds
	}
	pause := preStopSleep(c)
	period := int64(30)
	if pod.TerminationGracePeriodSeconds != nil {
		period = *pod.TerminationGracePeriodSeconds
	}
	if float64(period) <= float64(pause)+grace {
		r.add("%s: terminationGracePeriodSeconds %d must exceed the preStop pause (%ds) + shutdown.grace_seconds (%gs), or the kubelet kills the drain", where, period, pause, grace)
	}
	if cfgText, ok := d.Spec.Template.Annotations["proxy.istio.io/config"]; ok {
		var value any
		pc := &mesh.ProxyConfig{}
		if yaml.Unmarshal([]byte(cfgText), &value) == nil && strictProto(value, pc, "proxy") == nil && pc.GetTerminationDrainDuration() != nil {
			if drain := pc.GetTerminationDrainDuration().AsDuration(); drain < time.Duration(float64(pause)+grace)*time.Second {
				r.add("%s: the sidecar's terminationDrainDuration %s ends before the app's drain (%ds + %gs)", where, drain, pause, grace)
			}
		}
	}
	fmt.Printf("linked  %-44s %-32s %s\n", "config "+cfgPath, fmt.Sprintf("grpc %d, admin %d", grpcPort, httpPort), ix.dir)
}

// mountedFile returns the content of file when it is a key of a ConfigMap volume mounted into the container.
func mountedFile(ix *index, d *appsv1.Deployment, c *corev1.Container, volumes map[string]*corev1.Volume, file string) (string, bool) {
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/")
		if !ok || volumes[m.Name] == nil {
			continue
		}
		if m.SubPath != "" {
			continue
		}
		for _, cmName := range volumeConfigMaps(volumes[m.Name]) {
			if cm := ix.configMaps[key(d.Namespace, cmName)]; cm != nil {
				if text, ok := cm.Data[rel]; ok {
					return text, true
				}
			}
		}
	}
	return "", false
}

// underMount: file lies in a mounted volume that is not a ConfigMap (a projected token, an emptyDir).
func underMount(c *corev1.Container, file string) bool {
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(path.Clean(file), strings.TrimSuffix(m.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}

func addrPort(addr string, def int32, where string, r *report) int32 {
	if addr == "" {
		return def
	}
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		r.add("%s: %q is not host:port", where, addr)
		return def
	}
	return int32(n)
}

func preStopSleep(c *corev1.Container) int {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0
	}
	if s := c.Lifecycle.PreStop.Sleep; s != nil {
		return int(s.Seconds)
	}
	if e := c.Lifecycle.PreStop.Exec; e != nil && len(e.Command) == 2 && path.Base(e.Command[0]) == "sleep" {
		n, _ := strconv.Atoi(e.Command[1])
		return n
	}
	return 0
}

func probePort(p *corev1.Probe) (intstr.IntOrString, bool) {
	switch {
	case p == nil:
		return intstr.IntOrString{}, false
	case p.HTTPGet != nil:
		return p.HTTPGet.Port, true
	case p.TCPSocket != nil:
		return p.TCPSocket.Port, true
	case p.GRPC != nil:
		return intstr.FromInt32(p.GRPC.Port), true
	}
	return intstr.IntOrString{}, false
}

// resolvePort finds a container port by name or number.
func resolvePort(c *corev1.Container, port intstr.IntOrString) (int32, bool) {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

func podPort(d *appsv1.Deployment, port intstr.IntOrString) (int32, bool) {
	for _, c := range d.Spec.Template.Spec.Containers {
		if n, ok := resolvePort(&c, port); ok {
			return n, true
		}
	}
	return 0, false
}

func pinned(image string) bool {
	last := image[strings.LastIndex(image, "/")+1:]
	if strings.Contains(last, "@sha256:") {
		return true
	}
	_, tag, ok := strings.Cut(last, ":")
	return ok && tag != "" && tag != "latest"
}

// Istio's protocol selection by port name: <protocol>[-<suffix>].
func istioProtocolName(name string) bool {
	prefix, _, _ := strings.Cut(name, "-")
	for _, p := range []string{"http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "mongo", "mysql", "redis"} {
		if prefix == p || name == p {
			return true
		}
	}
	return false
}

func hasArg(args []string, flag string) bool { return argValue(args, flag) != "" }

func argValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

func hasCapability(list []corev1.Capability, c corev1.Capability) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

func firstBool(vs ...*bool) *bool {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func firstInt(vs ...*int64) *int64 {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

func containerUID(sc *corev1.SecurityContext) *int64 {
	if sc == nil {
		return nil
	}
	return sc.RunAsUser
}
