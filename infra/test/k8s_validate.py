"""Validates a stream of Kubernetes objects offline and prints one JSON report.

Built-in kinds are checked against the Kubernetes JSON schemas that the PyPI package
kubernetes-validate ships (strict: unknown fields are errors). Custom resources are
checked against the schemas in crd-schemas/, named <group>_<kind>_<version>.json, which
describe the fields this project uses. A kind with neither schema is an error, so a new
CRD cannot slip in unvalidated.

  python k8s_validate.py --kubernetes-version 1.33.0 < rendered.yaml
Runs with the virtualenv that infra/tools/install.sh creates.
"""
import argparse
import json
import os
import sys

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError


def crd_schema_path(schemas_dir, obj):
    group, _, version = obj["apiVersion"].rpartition("/")
    if "." not in group:  # core (v1) and apps, batch, policy, ...: built-in
        return None
    return os.path.join(schemas_dir, f"{group}_{obj['kind'].lower()}_{version}.json")


def validate(obj, version, schemas_dir):
    path = crd_schema_path(schemas_dir, obj)
    if path and os.path.exists(path):
        with open(path) as f:
            schema = json.load(f)
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        return "crd-schema", [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
    try:
        kubernetes_validate.validate(obj, version, strict=True)
        return "kubernetes", []
    except SchemaNotFoundError as e:
        return "none", [e.message]
    except kubernetes_validate.ValidationError as e:
        return "kubernetes", [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubernetes-version", default="1.33.0")
    parser.add_argument("--crd-schemas", default=os.path.join(os.path.dirname(__file__), "crd-schemas"))
    args = parser.parse_args()
    results = []
    for obj in yaml.safe_load_all(sys.stdin):
        if obj is None:
            continue
        by, errors = validate(obj, args.kubernetes_version, args.crd_schemas)
        meta = obj.get("metadata", {})
        results.append({"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"), "name": meta.get("name"),
                        "namespace": meta.get("namespace"), "validatedBy": by, "errors": errors, "object": obj})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
