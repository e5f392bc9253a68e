package check

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestFromClusterChecksLiveObjectsLikeFiles(t *testing.T) {
	labels := map[string]string{"app": "web"}
	cs := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "webb"}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}}},
	)
	objs, err := FromCluster(context.Background(), cs, "ns")
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(objs, Options{})
	if len(rep.Apps) != 1 || len(rep.Apps[0].Findings) == 0 || rep.Apps[0].Findings[0].Check != "service-selector" {
		t.Fatalf("report: %+v", rep.Apps)
	}
	if got := rep.Apps[0].Objects; len(got) != 3 || got[2] != "Namespace/ns" {
		t.Errorf("objects %v (the namespace must come from the cluster)", got)
	}
}
