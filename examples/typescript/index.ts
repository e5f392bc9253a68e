// A ZeroDowntimeApp from TypeScript: the SDK generated from the zdt package
// (`pulumi package add`, see the README); `make sdk-check` type-checks it.
import * as pulumi from "@pulumi/pulumi";
import * as zdt from "@zdt-eks/zdt";

const config = new pulumi.Config();

const app = new zdt.components.ZeroDowntimeApp("orders", {
    namespace: config.require("namespace"), // labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled
    image: config.require("image"),         // by digest: a new build rolls, an unchanged one does not
    timing: {
        bootSeconds: 20,       // worst-case boot, measured
        maxRequestSeconds: 10, // longest request
        appDrainSeconds: 2,    // the app's own drain after SIGTERM
    },
    shutdownTimeoutEnv: "SHUTDOWN_TIMEOUT",
    keepAliveTimeoutEnv: "IDLE_TIMEOUT",
    autoscaling: { minReplicas: 3, maxReplicas: 12 },
    pod: {
        serviceAccountName: "orders",
        secretEnv: { DB_PASSWORD: { name: "orders-db", key: "password" } },
        writableDirs: [{ mountPath: "/tmp" }],
        sidecars: [{ name: "proxy", image: "registry.example/proxy:1.2.3" }],
    },
    ingress: {
        host: "orders.example.com",
        scheme: "internet-facing",
        tls: { certificateArns: [config.require("certificateArn")] },
    },
});

export const url = app.url;
