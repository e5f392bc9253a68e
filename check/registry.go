package check

// Check is one named check: it looks at one app and returns its findings.
type Check struct {
	// ID names the check in findings, JSON and SARIF rules.
	ID string
	// Doc says what the check looks for, in one sentence.
	Doc string
	Run func(a *App) []Finding
}

// Checks is the registry, in report order. The Service selector comes first:
// when it selects no pod, nothing else matters.
var Checks = []Check{
	{"service-selector", "The Service's selector matches the Deployment's pod template labels.", checkServiceSelector},
	{"ingress-backend", "Every Ingress backend and TargetGroupBinding names a Service that exists.", checkIngressBackend},
	{"readiness-probe", "A readiness probe exists, on its own endpoint, distinct from liveness.", checkReadinessProbe},
	{"startup-budget", "A startup probe covers the worst-case boot (no initialDelaySeconds guess).", checkStartupBudget},
	{"prestop", "A native preStop sleep keeps the pod serving until in-cluster and ALB routing stop.", checkPreStop},
	{"grace-period", "terminationGracePeriodSeconds covers preStop, the drain and a margin.", checkGracePeriod},
	{"strategy", "The rolling update removes an old pod only once a new one is ready.", checkStrategy},
	{"min-ready", "A one-batch rollout keeps old pods until every ALB node has checked a new one.", checkMinReady},
	{"readiness-gate", "Pods behind an ip-target ALB get the LBC's readiness gate (namespace label).", checkReadinessGate},
	{"target-type", "The ALB targets pods (ip), where readiness gates apply.", checkTargetType},
	{"alb-health-check", "The ALB health check uses the readiness path, and its timing follows the model.", checkALBHealthCheck},
	{"deregistration-delay", "The target group's deregistration delay lets in-flight requests finish.", checkDeregistrationDelay},
	{"pdb", "A PodDisruptionBudget exists and allows a disruption.", checkPDB},
	{"hpa", "An HPA does not fight a fixed replica count.", checkHPA},
}

// Report is the result of a check run.
type Report struct {
	Apps []AppReport `json:"apps"`
	// Objects is the number of objects read.
	Objects int     `json:"objects"`
	Summary Summary `json:"summary"`
}

// Summary counts findings by severity.
type Summary struct {
	Apps     int `json:"apps"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// AppReport is one app's findings and what they predict.
type AppReport struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Objects   []string `json:"objects"`
	// Inputs are the timing inputs used, in seconds, and their sources.
	Inputs   []Input   `json:"inputs"`
	Findings []Finding `json:"findings"`
	// Predicted are the failure classes the findings predict during a
	// rolling update, per path (sorted, unique): what the lab measures.
	Predicted map[Path][]Class `json:"predicted"`
}

// Input is one timing input and where it came from.
type Input struct {
	Name    string `json:"name"`
	Seconds int    `json:"seconds"`
	Source  string `json:"source"`
}

// Run groups objects into apps and runs every registered check on each.
func Run(objs []Object, opts Options) Report {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	rep := Report{Objects: len(objs)}
	for _, a := range groupApps(newIndex(objs, opts.DefaultNamespace)) {
		rep.Apps = append(rep.Apps, runApp(a, opts))
	}
	rep.Summary = summarize(rep.Apps)
	return rep
}

func runApp(a *App, opts Options) AppReport {
	ar := AppReport{Name: a.Name, Namespace: a.Namespace, Objects: a.Objects()}
	if err := resolveInputs(a, opts); err != nil {
		ar.Findings = append(ar.Findings, inputFinding(a, err))
	}
	for _, in := range timingInputs(opts) {
		ar.Inputs = append(ar.Inputs, Input{Name: in.name, Seconds: in.derived(a.Timing), Source: a.InputSources[in.name]})
	}
	for _, c := range Checks {
		for _, f := range c.Run(a) {
			f.Check = c.ID
			ar.Findings = append(ar.Findings, f)
		}
	}
	ar.Predicted = predicted(ar.Findings, PhaseRollout)
	return ar
}

func inputFinding(a *App, err error) Finding {
	return Finding{Check: "inputs", Severity: SeverityError, Object: a.DeployObj.Ref(), Field: "metadata.annotations",
		Location: a.DeployObj.Location, Why: err.Error() + "; the model's defaults were used instead",
		Fix: "set the zdt.dev/... annotations to whole seconds above 0"}
}

// predicted collects the classes of a phase per path, sorted and unique.
func predicted(fs []Finding, phase Phase) map[Path][]Class {
	sets := map[Path]map[Class]bool{PathInternal: {}, PathExternal: {}}
	for _, f := range fs {
		for _, p := range f.Predicts {
			if p.Phase == phase || p.Phase == PhaseAlways {
				sets[p.Path][p.Class] = true
			}
		}
	}
	out := map[Path][]Class{}
	for path, set := range sets {
		out[path] = []Class{}
		for c := range set {
			out[path] = append(out[path], c)
		}
		sortClasses(out[path])
	}
	return out
}

func summarize(apps []AppReport) Summary {
	s := Summary{Apps: len(apps)}
	for _, a := range apps {
		for _, f := range a.Findings {
			switch f.Severity {
			case SeverityError:
				s.Errors++
			case SeverityWarning:
				s.Warnings++
			case SeverityInfo:
				s.Infos++
			}
		}
	}
	return s
}

// Max is the highest severity among the findings (0 when none).
func (r Report) Max() Severity {
	var m Severity
	for _, a := range r.Apps {
		for _, f := range a.Findings {
			m = max(m, f.Severity)
		}
	}
	return m
}
