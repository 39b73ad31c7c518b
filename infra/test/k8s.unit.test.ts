// Every kustomization renders, every rendered object validates against the Kubernetes
// schemas offline (custom resources against crd-schemas/), and the workloads have the
// shape production needs. Tools: bash infra/tools/install.sh.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { find, PORTS, render, SERVICES, validate, type K8sObject, type Validated } from "./lib/k8s.ts";
import { INFRA, parseYaml, runOk } from "./lib/tools.ts";

const OVERLAYS = ["overlays/local", "overlays/staging", "overlays/production"] as const;
const TARGETS = ["k8s/base", ...OVERLAYS.map((o) => `k8s/${o}`), "k8s/overlays/local/deps", "k8s/platform/mongodb", "k8s/ops"];

const rendered = new Map<string, Validated[]>();
function objects(target: string): K8sObject[] {
  return results(target).map((r) => r.object);
}
function results(target: string): Validated[] {
  let r = rendered.get(target);
  if (!r) {
    r = validate(render(target));
    rendered.set(target, r);
  }
  return r;
}

for (const target of TARGETS) {
  test(`${target} renders and every object validates against its schema`, () => {
    const r = results(target);
    assert.ok(r.length > 0, "rendered nothing");
    const bad = r.filter((x) => x.errors.length || x.validatedBy === "none");
    assert.equal(
      bad.map((x) => `${x.kind}/${x.name}: ${x.errors.join("; ")}`),
      [],
    );
  });
}

test("the validator rejects unknown fields, bad custom resources and unknown kinds", () => {
  const r = validate(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: typo }
spec:
  selector: { matchLabels: { a: b } }
  template:
    metadata: { labels: { a: b } }
    spec:
      containers: [{ name: c, image: i, readinessprobe: {} }]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: bad }
spec:
  scaleTargetRef: { name: x }
  triggers: [{ type: nats-jetstream, metadata: { stream: JOBS, consumer: x } }]
---
apiVersion: example.com/v1
kind: Widget
metadata: { name: w }
spec: {}
`);
  assert.equal(r.length, 3);
  assert.match(r[0]!.errors.join(), /readinessprobe/);
  assert.match(r[1]!.errors.join(), /natsServerMonitoringEndpoint|lagThreshold/);
  assert.is(r[2]!.validatedBy, "none");
});

const ARCH = ["k8s/base", ...OVERLAYS.map((o) => `k8s/${o}`)];

for (const target of ARCH) {
  test(`${target}: every service is a hardened Deployment with probes, limits, a Service, a ServiceAccount and a PDB`, () => {
    const objs = objects(target);
    for (const svc of SERVICES) {
      const d = find(objs, "Deployment", svc);
      const where = `${target} ${svc}`;
      assert.is(d.metadata.labels?.["app.kubernetes.io/name"], svc, where);
      assert.is(d.metadata.labels?.["app.kubernetes.io/part-of"], "hackathon-file-processor", where);
      const pod = d.spec.template;
      assert.is(pod.metadata.labels["app.kubernetes.io/part-of"], "hackathon-file-processor", where);
      assert.is(d.spec.replicas, undefined, `${where}: an autoscaler owns replicas`);
      const ps = pod.spec;
      assert.is(ps.securityContext.runAsNonRoot, true, where);
      assert.is(ps.securityContext.seccompProfile.type, "RuntimeDefault", where);
      assert.is(ps.automountServiceAccountToken, false, where);
      assert.is(ps.serviceAccountName, svc, where);
      assert.ok(ps.terminationGracePeriodSeconds >= 60, where);
      assert.is(ps.containers.length, 1, where);
      const c = ps.containers[0];
      assert.is(c.securityContext.readOnlyRootFilesystem, true, where);
      assert.is(c.securityContext.allowPrivilegeEscalation, false, where);
      assert.equal(c.securityContext.capabilities.drop, ["ALL"], where);
      assert.equal(c.args, [`services/${svc}/dist/src/main.js`], where);
      assert.equal(c.ports, [{ name: "http", containerPort: PORTS[svc], protocol: "TCP" }], where);
      assert.equal(c.readinessProbe.httpGet, { path: "/ready", port: "http" }, where);
      assert.equal(c.livenessProbe.httpGet, { path: "/health", port: "http" }, where);
      for (const kind of ["requests", "limits"]) {
        for (const r of ["cpu", "memory", "ephemeral-storage"]) assert.ok(c.resources[kind]?.[r], `${where}: ${kind}.${r}`);
      }
      assert.ok(
        c.env.some((e: { name: string; value?: string }) => e.name === "HTTP_PORT" && e.value === String(PORTS[svc])),
        where,
      );
      const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/tmp");
      assert.ok(tmp, `${where}: /tmp is mounted`);
      const vol = ps.volumes.find((v: { name: string }) => v.name === tmp.name);
      assert.ok(vol.emptyDir?.sizeLimit, `${where}: /tmp is a bounded emptyDir`);

      const sa = find(objs, "ServiceAccount", svc) as K8sObject & { automountServiceAccountToken?: boolean };
      assert.is(sa.automountServiceAccountToken, false, where);
      assert.match(sa.metadata.annotations?.["eks.amazonaws.com/role-arn"] ?? "", new RegExp(`^arn:aws:iam::\\d{12}:role/hfp-${svc}$`));
      const s = find(objs, "Service", svc);
      assert.equal(s.spec.selector, { "app.kubernetes.io/name": svc }, where);
      assert.equal(s.spec.ports[0], { name: "http", port: PORTS[svc], targetPort: "http", protocol: "TCP" }, where);
      const pdb = find(objs, "PodDisruptionBudget", svc);
      assert.equal(pdb.spec.selector.matchLabels, { "app.kubernetes.io/name": svc }, where);
    }
    const cm = find(objs, "ConfigMap", "hfp-config");
    assert.is(cm.data?.TMPDIR, "/tmp");
    assert.is(cm.data?.JOBS_STREAM, "JOBS");
  });

  test(`${target}: every service has exactly one autoscaler`, () => {
    const objs = objects(target);
    for (const svc of SERVICES) {
      const hpas = objs.filter((o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef.name === svc);
      const scaled = objs.filter((o) => o.kind === "ScaledObject" && o.spec.scaleTargetRef.name === svc);
      assert.is(hpas.length + scaled.length, 1, `${target} ${svc}: ${hpas.length} HPA, ${scaled.length} ScaledObject`);
    }
  });
  test(`${target}: the web page is a hardened, non-root nginx Deployment with probes, limits and its /config.json`, () => {
    const objs = objects(target);
    const d = find(objs, "Deployment", "web");
    assert.is(d.spec.replicas, 2, "no autoscaler: two replicas for a static bundle");
    assert.ok(!objs.some((o) => o.spec?.scaleTargetRef?.name === "web"), "nothing scales it");
    const ps = d.spec.template.spec;
    assert.is(ps.securityContext.runAsNonRoot, true);
    assert.is(ps.securityContext.runAsUser, 101, "the nginx-unprivileged image's user");
    assert.is(ps.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.is(ps.automountServiceAccountToken, false);
    assert.is(ps.containers.length, 1);
    const c = ps.containers[0];
    assert.match(c.image, /(^|\/)hackathon-file-processor-web(:|$)/);
    assert.is(c.args, undefined, "the image's own nginx command");
    assert.is(c.securityContext.readOnlyRootFilesystem, true);
    assert.is(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.capabilities.drop, ["ALL"]);
    assert.equal(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    assert.equal(c.readinessProbe.httpGet, { path: "/healthz", port: "http" });
    assert.equal(c.livenessProbe.httpGet, { path: "/healthz", port: "http" });
    for (const kind of ["requests", "limits"]) {
      for (const r of ["cpu", "memory", "ephemeral-storage"]) assert.ok(c.resources[kind]?.[r], `${kind}.${r}`);
    }
    // nginx writes only these; both bounded emptyDirs.
    for (const path of ["/tmp", "/var/cache/nginx"]) {
      const m = c.volumeMounts.find((v: { mountPath: string }) => v.mountPath === path);
      assert.ok(ps.volumes.find((v: { name: string }) => v.name === m?.name)?.emptyDir?.sizeLimit, path);
    }
    // /config.json: infra/docker/web-nginx.conf aliases it to /etc/hfp-web/config.json.
    const mount = c.volumeMounts.find((v: { mountPath: string }) => v.mountPath === "/etc/hfp-web");
    assert.is(mount?.readOnly, true);
    const cmName = ps.volumes.find((v: { name: string }) => v.name === mount.name).configMap.name as string;
    const config = JSON.parse(find(objs, "ConfigMap", cmName).data?.["config.json"] ?? "null");
    assert.is(config.apiBaseUrl, "", "same origin as the API: the Ingress routes both");
    const cm = find(objs, "ConfigMap", "hfp-config").data ?? {};
    if (target.endsWith("staging") || target.endsWith("production")) {
      // The pool the page signs in with is the one whose ID tokens the services accept.
      const { endpoint, region, userPoolId, clientId } = config.cognito;
      assert.is(endpoint, `https://cognito-idp.${region}.amazonaws.com/`);
      assert.is(cm.AUTH_ISSUER, `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`);
      assert.is(cm.AUTH_JWKS_URL, `${cm.AUTH_ISSUER}/.well-known/jwks.json`);
      assert.is(cm.AUTH_AUDIENCE, clientId);
    } else {
      assert.is(config.cognito, null, "no user pool: the page takes a pasted dev token");
    }
    const svc = find(objs, "Service", "web");
    assert.equal(svc.spec.selector, { "app.kubernetes.io/name": "web" });
    assert.equal(svc.spec.ports[0], { name: "http", port: 8080, targetPort: "http", protocol: "TCP" });
    assert.is(svc.metadata.annotations?.["alb.ingress.kubernetes.io/healthcheck-path"], "/healthz");
    assert.equal(find(objs, "PodDisruptionBudget", "web").spec.selector.matchLabels, { "app.kubernetes.io/name": "web" });
  });
}

function extractorResources(target: string) {
  return find(objects(target), "Deployment", "extractor").spec.template.spec.containers[0].resources;
}

test("the extractor gets 2 CPU, 1 GiB and 20 GiB of scratch everywhere but a laptop", () => {
  for (const target of ["k8s/base", "k8s/overlays/staging", "k8s/overlays/production"]) {
    const want = { cpu: "2", memory: "1Gi", "ephemeral-storage": "20Gi" };
    assert.equal(extractorResources(target), { requests: want, limits: want }, target);
  }
  assert.is(extractorResources("k8s/overlays/local").limits.memory, "1Gi");
});

test("base: the extractor HPA runs 4 to 16 replicas at 70% CPU", () => {
  const hpa = find(objects("k8s/base"), "HorizontalPodAutoscaler", "extractor");
  assert.is(hpa.spec.minReplicas, 4);
  assert.is(hpa.spec.maxReplicas, 16);
  assert.equal(hpa.spec.metrics, [
    { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
  ]);
});

test("production: KEDA scales the bridge on the input queue and the stages on their consumer lag", () => {
  const objs = objects("k8s/overlays/production");
  const triggers = (name: string) => find(objs, "ScaledObject", name).spec.triggers as { type: string; metadata: Record<string, string> }[];
  const sqs = triggers("ingest-bridge").find((t) => t.type === "aws-sqs-queue");
  assert.is(sqs?.metadata.queueLength, "100");
  assert.match(sqs?.metadata.queueURL ?? "", /\/222222222222\/hfp-prod-input$/);
  for (const stage of ["extractor", "packager", "notifier"]) {
    const js = triggers(stage).find((t) => t.type === "nats-jetstream");
    assert.is(js?.metadata.stream, "JOBS", stage);
    assert.is(js?.metadata.consumer, stage);
  }
  const ex = find(objs, "ScaledObject", "extractor");
  assert.is(ex.spec.minReplicaCount, 4);
  assert.is(ex.spec.maxReplicaCount, 16);
  assert.equal(triggers("extractor").find((t) => t.type === "cpu")?.metadata, { value: "70" });
  const auth = find(objs, "TriggerAuthentication", "hfp-aws-sqs");
  assert.is(auth.spec.podIdentity.roleArn, "arn:aws:iam::222222222222:role/hfp-keda-sqs-scaler");
});

test("staging and production: IRSA roles, image and names are the environment's own", () => {
  for (const [target, account, prefix] of [
    ["k8s/overlays/staging", "111111111111", "hfp-staging"],
    ["k8s/overlays/production", "222222222222", "hfp-prod"],
  ] as const) {
    const objs = objects(target);
    for (const sa of objs.filter((o) => o.kind === "ServiceAccount")) {
      assert.match(
        sa.metadata.annotations?.["eks.amazonaws.com/role-arn"] ?? "",
        new RegExp(`^arn:aws:iam::${account}:role/hfp-`),
        sa.metadata.name,
      );
    }
    for (const d of objs.filter((o) => o.kind === "Deployment")) {
      const image = d.metadata.name === "web" ? "hackathon-file-processor-web" : "hackathon-file-processor";
      assert.is(d.spec.template.spec.containers[0].image, `${account}.dkr.ecr.us-east-1.amazonaws.com/${image}:0.1.0`, d.metadata.name);
    }
    const cm = find(objs, "ConfigMap", "hfp-config");
    assert.is(cm.data?.S3_BUCKET, `${prefix}-media`);
    assert.is(cm.data?.SQS_INPUT_QUEUE, `${prefix}-input`);
    assert.is(cm.data?.S3_ENDPOINT, undefined, "real AWS endpoints");
    assert.ok(
      objs.every((o) => o.kind === "Namespace" || o.metadata.namespace === "hfp"),
      "everything lands in namespace hfp",
    );
  }
});

test("the Ingress sends POST /videos and all of /videos/uploads to ingest-bridge, GET and DELETE /videos… and /openapi.json to projector, the rest to web", () => {
  for (const target of ["k8s/overlays/staging", "k8s/overlays/production"]) {
    const ing = find(objects(target), "Ingress", "hfp");
    const a = ing.metadata.annotations ?? {};
    const methods = (svc: string) =>
      JSON.parse(a[`alb.ingress.kubernetes.io/conditions.${svc}`] ?? "[]")[0]?.httpRequestMethodConfig?.Values;
    assert.equal(methods("ingest-bridge"), ["POST"]);
    assert.equal(methods("projector"), ["GET", "HEAD", "DELETE"]);
    const paths = ing.spec.rules[0].http.paths as { path: string; backend: { service: { name: string } } }[];
    assert.equal(
      paths.map((p) => [p.path, p.backend.service.name]),
      [
        ["/videos/uploads", "ingest-uploads"],
        ["/videos", "ingest-bridge"],
        ["/videos", "projector"],
        ["/openapi.json", "projector"],
        // Last: the page, /assets/, /docs/ and /config.json; no API path reaches it.
        ["/", "web"],
      ],
    );
    assert.equal(
      paths.map((p) => (p as unknown as { pathType: string }).pathType),
      ["Prefix", "Prefix", "Prefix", "Exact", "Prefix"],
    );
    assert.equal(methods("web"), undefined, "the page answers any method (nginx refuses what it does not serve)");
    // Any method: a forward action with no condition, to the bridge's Service.
    assert.equal(methods("ingest-uploads"), undefined);
    const uploads = JSON.parse(a["alb.ingress.kubernetes.io/actions.ingest-uploads"] ?? "{}");
    assert.equal(uploads.forwardConfig?.targetGroups, [{ serviceName: "ingest-bridge", servicePort: "http" }]);
    assert.equal((paths[0] as unknown as { backend: { service: { port: { name: string } } } }).backend.service.port.name, "use-annotation");
    const projector = find(objects(target), "Deployment", "projector").spec.template.spec.containers[0];
    assert.ok(
      projector.env.some((e: { name: string; value?: string }) => e.name === "OPENAPI_DOCUMENT" && e.value === "/app/docs/openapi.json"),
    );
  }
  assert.not.ok(objects("k8s/overlays/local").some((o) => o.kind === "Ingress"));
});

test("network policies deny by default and open only what each workload needs", () => {
  const objs = objects("k8s/overlays/production");
  const nps = objs.filter((o) => o.kind === "NetworkPolicy");
  const deny = find(objs, "NetworkPolicy", "default-deny");
  assert.equal(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  const selects = (np: K8sObject, name: string) => {
    const sel = np.spec.podSelector;
    if (sel.matchLabels) return sel.matchLabels["app.kubernetes.io/name"] === name;
    if (sel.matchExpressions) return sel.matchExpressions.some((e: { values: string[] }) => e.values.includes(name));
    return true;
  };
  const egressPorts = (name: string) =>
    nps
      .filter((np) => selects(np, name))
      .flatMap((np) => (np.spec.egress ?? []).flatMap((e: { ports?: { port: number }[] }) => (e.ports ?? []).map((p) => p.port)));
  const ingressFromOutside = (name: string) =>
    nps
      .filter((np) => np.metadata.name !== "allow-prometheus-scrape" && selects(np, name))
      .some((np) => (np.spec.ingress ?? []).length > 0);
  for (const svc of SERVICES) {
    assert.ok(egressPorts(svc).includes(4222), `${svc} reaches NATS`);
    assert.ok(egressPorts(svc).includes(53), `${svc} resolves names`);
    assert.is(egressPorts(svc).includes(27017), svc === "projector", `${svc} and MongoDB`);
    assert.is(ingressFromOutside(svc), svc === "ingest-bridge" || svc === "projector", `${svc} ingress`);
  }
  // The page: reached by the load balancer on its port, and it reaches nothing but DNS.
  assert.ok(ingressFromOutside("web"), "web ingress");
  assert.equal(egressPorts("web"), [53, 53]);
  const web = find(objs, "NetworkPolicy", "web");
  assert.equal(web.spec.ingress[0].ports, [{ protocol: "TCP", port: 8080 }]);
  assert.ok(web.spec.ingress[0].from.some((f: { ipBlock?: { cidr: string } }) => f.ipBlock?.cidr === "10.0.0.0/8"));
  for (const job of ["hfp-provision", "hfp-backup"]) assert.ok(egressPorts(job).includes(4222), job);
});

test("the provisioning Job runs the same command as locally, with three stream replicas in production", () => {
  const job = find(objects("k8s/overlays/production"), "Job", "hfp-provision");
  const c = job.spec.template.spec.containers[0];
  assert.equal(c.args, ["tools/hfp/dist/src/main.js", "provision"]);
  assert.ok(c.env.some((e: { name: string; value: string }) => e.name === "STREAM_REPLICAS" && e.value === "3"));
  assert.ok(job.spec.ttlSecondsAfterFinished > 0, "a finished Job is cleaned up so the next apply recreates it");
  const local = find(objects("k8s/overlays/local"), "Job", "hfp-provision").spec.template.spec.containers[0];
  assert.ok(local.env.some((e: { name: string; value: string }) => e.name === "STREAM_REPLICAS" && e.value === "1"));
});

test("RBAC: one read-mostly operator Role, no Secrets, no wildcards", () => {
  const roles = objects("k8s/overlays/production").filter((o) => o.kind === "Role" || o.kind === "ClusterRole");
  assert.equal(
    roles.map((r) => r.metadata.name),
    ["hfp-operator"],
  );
  for (const rule of (roles[0] as K8sObject & { rules: { resources: string[]; verbs: string[] }[] }).rules) {
    assert.not.ok(rule.resources.includes("secrets"));
    assert.not.ok(rule.resources.includes("*") || rule.verbs.includes("*"));
  }
});

test("backups: nightly CronJobs for MongoDB and JetStream, never overlapping, with the upload script shipped", () => {
  const objs = objects("k8s/overlays/production");
  for (const name of ["hfp-backup-mongo", "hfp-backup-jetstream"]) {
    const cj = find(objs, "CronJob", name);
    assert.is(cj.spec.concurrencyPolicy, "Forbid", name);
    assert.match(cj.spec.schedule, /^\d+ \d+ \* \* \*$/, `${name} runs daily`);
    const pod = cj.spec.jobTemplate.spec.template.spec;
    assert.is(pod.securityContext.runAsNonRoot, true);
    for (const c of [...pod.initContainers, ...pod.containers])
      assert.is(c.securityContext.readOnlyRootFilesystem, true, `${name}/${c.name}`);
  }
  const scripts = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("hfp-backup-scripts"));
  assert.is(scripts?.data?.["backup-upload.sh"], readFileSync(join(INFRA, "k8s/components/backup/scripts/backup-upload.sh"), "utf8"));
  const cfg = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("hfp-backup-config"));
  assert.is(cfg?.data?.BACKUP_BUCKET, "hfp-prod-backups");
});

test("the in-cluster CLI wrapper's pod and Job validate and carry the provisioning identity", () => {
  for (const flags of [[], ["--detach"]]) {
    const manifest = runOk(join(INFRA, "k8s/ops/hfp"), ["--print", ...flags, "job", "01JD3XAMPLE", "--json"]);
    const [r] = validate(manifest);
    assert.equal(r?.errors, [], flags.join(" "));
    const o = r!.object;
    const pod = o.kind === "Job" ? o.spec.template.spec : o.spec;
    assert.is(o.kind, flags.length ? "Job" : "Pod");
    assert.is(o.metadata.labels?.["app.kubernetes.io/name"], "hfp-provision", "the provisioning NetworkPolicy applies");
    assert.is(pod.serviceAccountName, "hfp-provision");
    assert.equal(pod.containers[0].args, ["tools/hfp/dist/src/main.js", "job", "01JD3XAMPLE", "--json"]);
  }
});

test("restore Jobs use the backup identity and the same bucket config as the backups", () => {
  const objs = objects("k8s/ops");
  for (const name of ["hfp-restore-mongo", "hfp-restore-jetstream"]) {
    const pod = find(objs, "Job", name).spec.template.spec;
    assert.is(pod.serviceAccountName, "hfp-backup", name);
    assert.ok(
      pod.initContainers[0].envFrom.some((e: { configMapRef?: { name: string } }) => e.configMapRef?.name === "hfp-backup-config"),
      name,
    );
  }
  assert.ok(
    objects("k8s/overlays/production").some((o) => o.kind === "ConfigMap" && o.metadata.name === "hfp-backup-config"),
    "a fixed name the restore Jobs can find",
  );
});

test("MongoDB is a replica set of three and NATS a JetStream cluster of three on PVCs", () => {
  const mdb = find(objects("k8s/platform/mongodb"), "MongoDBCommunity", "hfp-mongodb");
  assert.is(mdb.spec.members, 3);
  assert.is(
    mdb.spec.users.find((u: { connectionStringSecretName: string }) => u.connectionStringSecretName === "hfp-mongo")
      ?.connectionStringSecretNamespace,
    "hfp",
  );
  const values = parseYaml(readFileSync(join(INFRA, "k8s/platform/nats/values.yaml"), "utf8")) as any; // eslint-disable-line @typescript-eslint/no-explicit-any -- Helm values are free-form
  assert.equal(values.config.cluster, { enabled: true, replicas: 3 });
  assert.is(values.config.jetstream.enabled, true);
  assert.is(values.config.jetstream.fileStore.pvc.enabled, true);
  assert.is(values.config.monitor.port, 8222);
  assert.is(values.headlessService.enabled, true, "KEDA reaches each server's monitor port through the headless service");
});

test.run();
