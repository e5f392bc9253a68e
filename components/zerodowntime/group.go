package zerodowntime

import (
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// An IngressGroup's members share one ALB, so the LBC merges their
// group-wide settings. Members with different schemes or different values
// of one load balancer attribute make the LBC refuse to build the group's
// model ("conflicting scheme", "conflicting load balancer attributes" in
// pkg/ingress of the LBC, v2.x and v3): no ALB change for any member, so one
// team's `pulumi up` blocks every other's. An idle timeout set by one member
// applies to all: a member whose model assumed another one gets its
// keep-alive rule wrong (502). The HTTPS redirect is group-wide too: a
// member without TLS has its HTTP requests redirected. And one group is
// served by one controller, so one IngressClass. The component refuses the
// second, disagreeing member of a group in the same program at preview,
// naming both; members in other programs cannot be seen from here (zdt
// check on the cluster's Ingresses can).

// groupSettings are one member's group-wide settings.
type groupSettings struct {
	app         string
	scheme      string
	className   string
	idleTimeout int
	tls         bool
}

// groupsByProgram holds each program's (pulumi.Context's) groups.
var groupsByProgram sync.Map // *pulumi.Context -> *groupRegistry

type groupRegistry struct {
	mu      sync.Mutex
	members map[string]groupSettings
}

// checkGroupMember refuses a in its IngressGroup when a member registered
// earlier in the same program has other group-wide settings, and records a
// otherwise.
func checkGroupMember(ctx *pulumi.Context, a Args, t Timing) error {
	if a.Ingress.GroupName == "" {
		return nil
	}
	v, _ := groupsByProgram.LoadOrStore(ctx, &groupRegistry{members: map[string]groupSettings{}})
	reg := v.(*groupRegistry)
	reg.mu.Lock()
	defer reg.mu.Unlock()
	mine := groupSettings{app: a.AppName, scheme: a.Ingress.Scheme, className: a.Ingress.ClassName,
		idleTimeout: t.IdleTimeoutSeconds, tls: a.Ingress.TLS != nil}
	first, ok := reg.members[a.Ingress.GroupName]
	if !ok {
		reg.members[a.Ingress.GroupName] = mine
		return nil
	}
	for _, d := range []struct {
		field, effect string
		theirs, yours any
	}{
		{"Ingress.Scheme", "the LBC refuses to reconcile the group, blocking every member", first.scheme, mine.scheme},
		{"Ingress.ClassName", "one group is served by one controller", first.className, mine.className},
		{"Timing.IdleTimeoutSeconds", "the ALB has one idle timeout: the LBC refuses differing values, and a member relying on the default gets the other's, outliving its keep-alive (502)", first.idleTimeout, mine.idleTimeout},
		{"Ingress.TLS (set)", "the HTTPS redirect is group-wide: the member without TLS gets its HTTP requests redirected", first.tls, mine.tls},
	} {
		if d.theirs != d.yours {
			return fieldErr([]string{"Ingress.GroupName", d.field},
				fmt.Sprintf("use the same %s as %q, or another Ingress.GroupName", d.field, first.app),
				"IngressGroup %q: %q has %v but %q has %v; %s",
				a.Ingress.GroupName, first.app, d.theirs, a.AppName, d.yours, d.effect)
		}
	}
	return nil
}
