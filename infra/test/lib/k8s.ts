// Renders kustomizations and validates what they produce against Kubernetes schemas.
import { join } from "node:path";
import { INFRA, K8S_VERSION, python, runOk, tool } from "./tools.ts";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- objects of many kinds; tests narrow by kind
  data?: Record<string, string>;
}

export interface Validated {
  kind: string;
  name: string;
  validatedBy: "kubernetes" | "crd-schema" | "none";
  errors: string[];
  object: K8sObject;
}

export function render(dir: string): string {
  return runOk(tool("kustomize"), ["build", join(INFRA, dir)]);
}

export function validate(yamlText: string): Validated[] {
  const out = runOk(python(), [join(INFRA, "test", "k8s_validate.py"), "--kubernetes-version", K8S_VERSION], { input: yamlText });
  return (JSON.parse(out) as { results: Validated[] }).results;
}

export const SERVICES = ["ingest-bridge", "projector", "extractor", "packager", "notifier"] as const;
export type Service = (typeof SERVICES)[number];
export const PORTS: Record<Service, number> = { "ingest-bridge": 8080, projector: 8081, extractor: 9101, packager: 9102, notifier: 9103 };

export function find(objs: K8sObject[], kind: string, name: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} among ${objs.length} objects`);
  return o;
}
