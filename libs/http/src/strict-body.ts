import { AppError } from "@hfp/events";

interface TypedSchema {
  type?: string | readonly string[];
  properties?: Record<string, TypedSchema>;
  additionalProperties?: unknown;
  items?: TypedSchema;
}

const isType = (value: unknown, type: string): boolean => {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "integer":
      return Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
};

/**
 * The first value of a JSON body whose type is not the one its schema gives, or the first
 * property its schema does not allow, as `body.size must be integer` or `body.colour is not
 * allowed`; undefined when there is none.
 *
 * Fastify's validator coerces types and drops properties a schema does not allow, which
 * suits a query string (every value in it is text, and proxies add parameters) but not a
 * JSON body: `{"filename": false}` would become `"false"`, and a misspelt field would
 * vanish, both accepted although the document refuses them. So JSON bodies are checked for
 * these first, before that validation.
 */
export function bodyTypeProblem(value: unknown, schema: TypedSchema, path = "body"): string | undefined {
  if (schema.type !== undefined) {
    const types = [schema.type].flat();
    if (!types.some((t) => isType(value, t))) return `${path} must be ${types.join(",")}`;
  }
  if (schema.properties && isType(value, "object")) {
    if (schema.additionalProperties === false) {
      const unknown = Object.keys(value as object).find((name) => !Object.hasOwn(schema.properties!, name));
      if (unknown !== undefined) return `${path}.${unknown.slice(0, 64)} is not allowed`;
    }
    for (const [name, sub] of Object.entries(schema.properties)) {
      const v = (value as Record<string, unknown>)[name];
      const problem = v === undefined ? undefined : bodyTypeProblem(v, sub, `${path}.${name}`);
      if (problem) return problem;
    }
  }
  if (schema.items && Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = bodyTypeProblem(item, schema.items, `${path}.${i}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Throws a 400 VALIDATION_FAILED for a JSON body with a value of the wrong type or a property not allowed. */
export function checkBodyTypes(body: unknown, schema: object): void {
  const problem = bodyTypeProblem(body, schema as TypedSchema);
  if (problem) throw new AppError("VALIDATION_FAILED", problem);
}
