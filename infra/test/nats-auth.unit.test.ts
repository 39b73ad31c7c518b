// The NATS users of the Kubernetes servers (Helm values) are the ones the local stack runs
// with: the same names and, for every service, exactly the permissions of
// libs/jetstream/src/permissions.ts. The workloads take their user from a Secret.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUS_USERS, NATS_ADMIN_USER, servicePermissions } from "@hfp/jetstream";
import { find, render, type K8sObject } from "./lib/k8s.ts";
import { INFRA, parseYaml, parseYamlAll } from "./lib/tools.ts";

interface ValuesUser {
  user: string;
  password: string;
  permissions?: unknown;
}

function users(file: string): ValuesUser[] {
  const values = parseYaml(readFileSync(join(INFRA, "k8s/platform/nats", file), "utf8")) as {
    config: { merge: { authorization: { users: ValuesUser[] } } };
  };
  return values.config.merge.authorization.users;
}

for (const file of ["values.yaml", "values-local.yaml"]) {
  test(`${file}: one user per service with the permissions of permissions.ts, and an unrestricted admin`, () => {
    const list = users(file);
    assert.equal(
      list.map((u) => u.user),
      [...BUS_USERS],
    );
    const perms = servicePermissions("JOBS") as Record<string, unknown>;
    for (const u of list) {
      if (u.user === NATS_ADMIN_USER) assert.is(u.permissions, undefined);
      else assert.equal(u.permissions, perms[u.user], `permissions of ${u.user}`);
    }
  });
}

test("values.yaml takes every password from the server's environment, filled from the Secret nats-users, and serves TLS", () => {
  const values = parseYaml(readFileSync(join(INFRA, "k8s/platform/nats/values.yaml"), "utf8")) as {
    config: { nats: { tls: { enabled: boolean; secretName: string } } };
    container: { env: Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }> };
  };
  for (const u of users("values.yaml")) {
    const variable = `${u.user.toUpperCase().replace(/-/g, "_")}_PASSWORD`;
    assert.is(u.password, `<< $${variable} >>`);
    assert.equal(values.container.env[variable]?.valueFrom.secretKeyRef, { name: "nats-users", key: u.user });
  }
  assert.equal(values.config.nats.tls, { enabled: true, secretName: "nats-server-tls" });
});

const SECRET_OF: Record<string, string> = {
  "ingest-bridge": "hfp-nats-ingest-bridge",
  extractor: "hfp-nats-extractor",
  packager: "hfp-nats-packager",
  notifier: "hfp-nats-notifier",
  projector: "hfp-nats-projector",
};

for (const overlay of ["overlays/local", "overlays/staging", "overlays/production"]) {
  test(`${overlay}: each service and the provisioning Job connect as their own NATS user from a Secret`, () => {
    const objs = parseYamlAll(render(`k8s/${overlay}`)) as K8sObject[];
    const workloads: [string, string, string][] = [
      ...Object.entries(SECRET_OF).map(([name, secret]): [string, string, string] => ["Deployment", name, secret]),
      ["Job", "hfp-provision", "hfp-nats-admin"],
    ];
    for (const [kind, name, secret] of workloads) {
      const c = find(objs, kind, name).spec.template.spec.containers[0];
      const env = c.env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
      const ref = (variable: string) => env.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
      assert.equal(ref("NATS_USER"), { name: secret, key: "user" }, `${name} NATS_USER`);
      assert.equal(ref("NATS_PASSWORD"), { name: secret, key: "password" }, `${name} NATS_PASSWORD`);
    }
    const config = find(objs, "ConfigMap", "hfp-config").data ?? {};
    if (overlay === "overlays/local") {
      assert.is(config.NATS_URL, "nats://nats.nats.svc.cluster.local:4222");
      // The local Secrets carry the development passwords of values-local.yaml.
      const local = Object.fromEntries(users("values-local.yaml").map((u) => [u.user, u.password]));
      const s = find(objs, "Secret", "hfp-nats-extractor");
      assert.is(Buffer.from(s.data?.password ?? "", "base64").toString(), local.extractor);
    } else {
      assert.is(config.NATS_URL, "tls://nats.nats.svc.cluster.local:4222");
      assert.is(config.NATS_TLS_CA_FILE, "/etc/nats-ca/ca.crt");
      const bridge = find(objs, "Deployment", "ingest-bridge").spec.template.spec;
      assert.ok(bridge.volumes.some((v: { secret?: { secretName: string } }) => v.secret?.secretName === "hfp-nats-ca"));
      assert.ok(bridge.containers[0].volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/etc/nats-ca"));
    }
  });
}

test.run();
