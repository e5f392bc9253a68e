package zerodowntime

import "strconv"

// What `pulumi up` waits for on the Deployment.
//
// pulumi-kubernetes' default Deployment awaiter (provider/pkg/await/
// deployment.go, provider v4 at the commit the repository builds, see
// tools/pulumi-kubernetes/go.mod) declares a rollout done when, after
// status.observedGeneration caught up, three things hold: the Available
// condition is True, the Progressing condition is True with reason
// NewReplicaSetAvailable, and the ReplicaSet whose revision annotation
// matches the Deployment's has readyReplicas >= its own spec.replicas.
//
// A return to an earlier pod template (a rollback, or v1 -> v2 -> v1) breaks
// all three: the Deployment controller (pkg/controller/deployment, sync.go
// getNewReplicaSet) REUSES the old ReplicaSet instead of creating one; it
// bumps that ReplicaSet's revision annotation first (an update with
// spec.replicas still 0) and scales it up in a second write. Reusing a
// ReplicaSet does not reset the Progressing condition, so reason
// NewReplicaSetAvailable and Available=True carry over from the previous
// rollout (progress.go only changes the reason once progress is seen), and a
// ReplicaSet with spec.replicas 0 counts as ready. When the awaiter's watch
// sees the first write before the second, `pulumi up` returns at once while
// the rollout has not started: a race, seen in 2 of 5 lab rollbacks (issue
// 15) and reproduced deterministically by the cluster test
// TestRollbackStaleStatus (lab/cluster).
//
// The guard replaces that awaiter with pulumi-kubernetes' `pulumi.com/waitFor`
// annotation and one JSONPath (RFC 9535) condition that stale status cannot
// satisfy. The provider evaluates it only once status.observedGeneration has
// reached metadata.generation (provider/pkg/await/condition/jsonpath.go), and
// the condition repeats that comparison itself. It then requires, relative to
// the current spec.replicas (so it stays right when an autoscaler or a
// `kubectl scale` changes the count):
//   - updatedReplicas == spec.replicas: every replica runs the new template;
//   - replicas == spec.replicas: no replica of an older template is left
//     (terminating pods are not counted; they are still in preStop, serving);
//   - availableReplicas == spec.replicas: every replica is Ready, readiness
//     gates included, for minReadySeconds.
//
// After a reused ReplicaSet's first write, updatedReplicas is 0, so the
// condition cannot hold before the rollout completes. A rollout that never
// completes fails `pulumi up` when pulumi.com/timeoutSeconds (batches x
// progress deadline, from the timing model) runs out, naming the Deployment.
//
// The provider's waitFor parser splits the annotation on "=" (keeping "=="),
// so the expression uses only "==" comparisons; status fields that are 0 are
// omitted by the API server, and a missing field compares unequal.
const (
	// pulumiWaitForAnnotation replaces the provider's readiness logic for
	// the object with the given condition.
	pulumiWaitForAnnotation = "pulumi.com/waitFor"
	// pulumiSkipAwaitAnnotation turns pulumi-kubernetes' await off.
	pulumiSkipAwaitAnnotation = "pulumi.com/skipAwait"
	// pulumiAnnotationPrefix is where pulumi-kubernetes' await controls
	// live; user annotations may not set any (see checkAnnotations).
	pulumiAnnotationPrefix = "pulumi.com/"
	// pulumiTimeoutAnnotation bounds how long pulumi-kubernetes awaits the
	// Deployment's rollout (its default is 10 minutes whatever the app).
	pulumiTimeoutAnnotation = "pulumi.com/timeoutSeconds"
)

// rolloutCompleteFields are the status counters that must all equal
// spec.replicas for a rollout to be complete.
var rolloutCompleteFields = []string{"updatedReplicas", "replicas", "availableReplicas"}

// RolloutCompleteJSONPath is the JSONPath (RFC 9535) the component puts in
// the Deployment's pulumi.com/waitFor annotation: it selects the status
// object only when the Deployment controller has observed the current
// generation and every replica is updated, available, and no old one is left.
func RolloutCompleteJSONPath() string {
	terms := []string{"@.observedGeneration == $.metadata.generation"}
	for _, f := range rolloutCompleteFields {
		terms = append(terms, "@."+f+" == $.spec.replicas")
	}
	return "{$[?" + conjunction(terms) + "]}"
}

// conjunction joins terms with && as a && (b && (c && d)): the provider's
// JSONPath library (github.com/theory/jsonpath v0.9.0) rejects a flat chain
// of three or more && terms ("unexpected '&'").
func conjunction(terms []string) string {
	if len(terms) == 1 {
		return terms[0]
	}
	return terms[0] + " && (" + conjunction(terms[1:]) + ")"
}

// waitForAnnotation is the annotation value: a single condition in the
// provider's `jsonpath=` syntax (no expected value: the path must select
// something).
func waitForAnnotation() string {
	return "jsonpath=" + RolloutCompleteJSONPath()
}

// awaitSeconds bounds `pulumi up` on the Deployment: each rollout batch is
// bounded by the progress deadline, after which Kubernetes gives up.
func awaitSeconds(replicas, surge int, t Timing) string {
	return strconv.Itoa(Batches(replicas, surge) * t.ProgressDeadlineSeconds)
}
