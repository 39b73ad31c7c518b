/**
 * Structural checks of an OpenAPI 3.1 document that a JSON-schema check of its shape would
 * not catch: `$ref`s that lead nowhere, path parameters not declared, operation ids given
 * twice, security schemes or tags used but not defined, links to operations or parameters
 * that do not exist. Returns what is wrong, one line
 * each; an empty list means none of these.
 */

const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

interface Parameter {
  name?: unknown;
  in?: unknown;
  required?: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function openApiProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(doc)) return ["the document is not an object"];
  if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1.")) problems.push(`openapi is ${String(doc.openapi)}, not 3.1.x`);
  const info = isObj(doc.info) ? doc.info : {};
  if (typeof info.title !== "string" || typeof info.version !== "string") problems.push("info needs a title and a version");
  for (const ref of refsIn(doc)) {
    if (resolve(doc, ref) === undefined) problems.push(`$ref ${ref} does not resolve`);
  }
  const components = isObj(doc.components) ? doc.components : {};
  const schemes = new Set(Object.keys(isObj(components.securitySchemes) ? components.securitySchemes : {}));
  const tags = Array.isArray(doc.tags) ? new Set(doc.tags.map((t) => (isObj(t) ? t.name : undefined))) : undefined;
  const ids = new Set<string>();
  const links: { where: string; link: unknown }[] = [];
  if (!isObj(doc.paths)) return [...problems, "paths is not an object"];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/")) problems.push(`path ${path} does not start with /`);
    if (!isObj(item)) {
      problems.push(`${path} is not a path item`);
      continue;
    }
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const shared = Array.isArray(item.parameters) ? (item.parameters as Parameter[]) : [];
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!isObj(op)) {
        problems.push(`${where} is not an operation`);
        continue;
      }
      if (typeof op.operationId !== "string") problems.push(`${where} has no operationId`);
      else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is used twice`);
      else ids.add(op.operationId);
      const own = Array.isArray(op.parameters) ? (op.parameters as Parameter[]) : [];
      problems.push(...parameterProblems(doc, where, templated, [...shared, ...own]));
      if (!isObj(op.responses) || Object.keys(op.responses).length === 0) problems.push(`${where} has no responses`);
      for (const [code, response] of Object.entries(isObj(op.responses) ? op.responses : {})) {
        const r = isObj(response) && typeof response.$ref === "string" ? resolve(doc, response.$ref) : response;
        if (!isObj(r) || typeof r.description !== "string") problems.push(`${where} ${code}: no description`);
        for (const [name, link] of Object.entries(isObj(r) && isObj(r.links) ? r.links : {})) {
          links.push({ where: `${where} ${code} link ${name}`, link });
        }
      }
      for (const requirement of Array.isArray(op.security) ? op.security : []) {
        for (const name of Object.keys(isObj(requirement) ? requirement : {})) {
          if (!schemes.has(name)) problems.push(`${where}: security scheme ${name} is not defined`);
        }
      }
      for (const tag of Array.isArray(op.tags) ? op.tags : []) {
        if (tags && !tags.has(tag)) problems.push(`${where}: tag ${String(tag)} is not listed`);
      }
    }
  }
  problems.push(...linkProblems(doc, links));
  return problems;
}

/** Each link names an operation of this document and only parameters that operation has. */
function linkProblems(doc: Obj, links: { where: string; link: unknown }[]): string[] {
  const operations = new Map<string, Obj>();
  for (const item of Object.values(isObj(doc.paths) ? doc.paths : {})) {
    for (const [method, op] of Object.entries(isObj(item) ? item : {})) {
      if (METHODS.has(method) && isObj(op) && typeof op.operationId === "string") operations.set(op.operationId, op);
    }
  }
  const problems: string[] = [];
  for (const { where, link } of links) {
    const target = isObj(link) && typeof link.operationId === "string" ? operations.get(link.operationId) : undefined;
    if (!isObj(link) || !target) {
      problems.push(`${where}: operation ${isObj(link) ? String(link.operationId) : "?"} is not in the document`);
      continue;
    }
    const names = new Set((Array.isArray(target.parameters) ? (target.parameters as Parameter[]) : []).map((p) => p.name));
    for (const name of Object.keys(isObj(link.parameters) ? link.parameters : {})) {
      if (!names.has(name)) problems.push(`${where}: ${String(link.operationId)} has no parameter ${name}`);
    }
  }
  return problems;
}

function parameterProblems(doc: Obj, where: string, templated: string[], params: Parameter[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const resolved = params.map((p) => (isObj(p) && typeof p.$ref === "string" ? (resolve(doc, p.$ref) as Parameter) : p));
  for (const p of resolved) {
    if (!isObj(p) || typeof p.name !== "string" || typeof p.in !== "string") {
      problems.push(`${where}: a parameter without name or in`);
      continue;
    }
    const key = `${p.in}:${p.name}`;
    if (seen.has(key)) problems.push(`${where}: parameter ${p.name} in ${p.in} is declared twice`);
    seen.add(key);
    if (p.in === "path" && !templated.includes(p.name)) problems.push(`${where}: path parameter ${p.name} is not in the path`);
    if (p.in === "path" && p.required !== true) problems.push(`${where}: path parameter ${p.name} is not required`);
  }
  for (const name of templated) {
    if (!seen.has(`path:${name}`)) problems.push(`${where}: path parameter ${name} is not declared`);
  }
  return problems;
}

/** Every `$ref` value in the document. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** The value a local `$ref` (`#/a/b~1c`) points to; undefined when it points nowhere or elsewhere. */
function resolve(doc: Obj, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObj(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
    if (node === undefined) return undefined;
  }
  return node;
}
