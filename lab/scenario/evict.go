package scenario

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// EvictionRetryDelay is how long kubectl drain waits before retrying an
// eviction the PodDisruptionBudget refused (429 Too Many Requests): its
// drain command sets EvictErrorRetryDelay to 5 s (k8s.io/kubectl v0.35.4,
// pkg/cmd/drain). kubectl's drain package (pkg/drain) is not used itself:
// it pulls in cli-runtime and kubectl's command utilities for two API calls.
const EvictionRetryDelay = 5 * time.Second

// podGonePoll is how often a drain checks whether an evicted pod is gone
// (kubectl drain: every second).
const podGonePoll = time.Second

// Evicted measures a node drain's evictions of the app running version,
// under load, as a rollout is measured (Evict, UnderLoad); Result.Fault
// counts the evictions and the refusals.
func Evicted(ctx context.Context, env Env, name string, d Deployer, version string, alreadyDeployed bool) (Result, error) {
	fault := &Fault{}
	res, err := UnderLoad(ctx, env, name, d, version, alreadyDeployed, Evict(env, name, d, version, EvictionRetryDelay, fault))
	res.Fault = fault
	return res, err
}

// Evict is the Action of a node drain, measured like a rollout: every pod of
// d's Deployment running when it starts is evicted through the policy/v1
// Eviction API with the pod's own grace period, all at once as kubectl drain
// does, each retried every retryDelay while the PodDisruptionBudget refuses
// it; the drain ends when every one of them is gone (DeploySeconds and
// RolloutSeconds), and the action when the Deployment is complete again with
// their replacements (CompleteSeconds: first seen after the drain). The lab
// has one node, so nothing is cordoned: the replacements start where the
// evicted pods ran. The version does not change and must go on answering
// alone. The evictions and refusals are counted in fault.
func Evict(env Env, name string, d Deployer, version string, retryDelay time.Duration, fault *Fault) Action {
	return Action{What: "evicting every pod (a node drain)", Run: func(ctx context.Context, res *Result) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, env.RolloutTimeout)
		defer cancel()
		start := time.Now()
		pods, err := runningPods(ctx, env.Client, d.Namespace(), d.Deployment())
		if err != nil {
			return "", err
		}
		logf(env, "[%s] evicting %d pods through the Eviction API, retrying every %s while the PodDisruptionBudget refuses", name, len(pods), retryDelay)
		err = evictAll(ctx, env.Client, pods, retryDelay, fault)
		res.DeploySeconds = time.Since(start).Seconds()
		res.RolloutSeconds = res.DeploySeconds
		if err != nil {
			return "", err
		}
		logf(env, "[%s] drain done after %.1fs: %d pods evicted and gone, %d evictions refused (429) and retried",
			name, res.DeploySeconds, fault.Evicted, fault.EvictionsRefused)
		st, err := waitRolledOut(ctx, env.Client, d.Namespace(), d.Deployment(), env.RolloutTimeout)
		if err != nil {
			return "", fmt.Errorf("after the evictions: %w", err)
		}
		res.CompleteSeconds = st.Complete.Sub(start).Seconds()
		return version, nil
	}}
}

// runningPods lists the Deployment's pods that are not terminating already.
func runningPods(ctx context.Context, cs kubernetes.Interface, ns, name string) ([]corev1.Pod, error) {
	sel, err := deploymentSelector(ctx, cs, ns, name)
	if err != nil {
		return nil, err
	}
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of %s/%s: %w", ns, name, err)
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			pods = append(pods, p)
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("deployment %s/%s has no running pod to evict", ns, name)
	}
	return pods, nil
}

// evictAll evicts every pod concurrently, each retried while refused, and
// waits until each is gone; it counts evictions and refusals in fault.
func evictAll(ctx context.Context, cs kubernetes.Interface, pods []corev1.Pod, retryDelay time.Duration, fault *Fault) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, p := range pods {
		wg.Go(func() {
			refused, err := evictOne(ctx, cs, p, retryDelay)
			if err == nil {
				err = waitPodGone(ctx, cs, p)
			}
			mu.Lock()
			defer mu.Unlock()
			fault.EvictionsRefused += refused
			if err != nil {
				errs = append(errs, err)
				return
			}
			fault.Evicted++
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// evictOne posts a policy/v1 Eviction for the pod until the apiserver
// accepts it (or the pod is gone), waiting retryDelay after each 429; it
// returns how many times it was refused.
func evictOne(ctx context.Context, cs kubernetes.Interface, p corev1.Pod, retryDelay time.Duration) (int, error) {
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name}}
	for refused := 0; ; refused++ {
		err := cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return refused, nil
		case !apierrors.IsTooManyRequests(err):
			return refused, fmt.Errorf("evicting pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		select {
		case <-ctx.Done():
			return refused + 1, fmt.Errorf("evicting pod %s/%s: still refused (%v): %w", p.Namespace, p.Name, err, context.Cause(ctx))
		case <-time.After(retryDelay):
		}
	}
}

// waitPodGone waits until the pod, by UID, no longer exists.
func waitPodGone(ctx context.Context, cs kubernetes.Interface, p corev1.Pod) error {
	err := wait.PollUntilContextCancel(ctx, podGonePoll, true, func(ctx context.Context) (bool, error) {
		cur, err := cs.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, nil
		}
		return cur.UID != p.UID, nil
	})
	if err != nil {
		return fmt.Errorf("evicted pod %s/%s is not gone: %w", p.Namespace, p.Name, err)
	}
	return nil
}
