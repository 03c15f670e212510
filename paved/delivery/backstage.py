"""catalog-info.yaml checked by Backstage itself: `@backstage/catalog-model`, through node.

The catalog backend enforces these on every entity it reads (EntityPolicies:
default namespace, field formats, no foreign root fields, the entity schema),
then the kind's own validator (Component, System, Group, …), and resolves
`spec.owner` and `spec.system` as entity references. The same calls run here,
so a file this check accepts is one the catalog accepts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved.delivery import node

VERSION = "1.10.3"

# Reads a JSON list of entities on stdin; prints a JSON list of [index, message].
TOOL = node.NodeTool("backstage-catalog-model", f"@backstage/catalog-model@{VERSION}", """\
import * as model from "@backstage/catalog-model";
import { readFileSync } from "node:fs";
const policy = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const kinds = [
  model.apiEntityV1alpha1Validator, model.componentEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator, model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator, model.resourceEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator, model.userEntityV1alpha1Validator,
];
const problems = [];
for (const [index, entity] of JSON.parse(readFileSync(0, "utf8")).entries()) {
  try {
    const checked = await policy.enforce(entity);
    let known = false;
    for (const validator of kinds) known = (await validator.check(checked)) || known;
    if (!known) throw new Error(`${entity.apiVersion} ${entity.kind} is not a built-in kind`);
    for (const [field, kind] of [["owner", "Group"], ["system", "System"]]) {
      const ref = checked.spec?.[field];
      const defaults = { defaultKind: kind, defaultNamespace: "default" };
      if (typeof ref === "string") model.parseEntityRef(ref, defaults);
    }
  } catch (error) {
    problems.push([index, error.message]);
  }
}
process.stdout.write(JSON.stringify(problems));
""")


@dataclass(frozen=True)
class Problem:
    entity: int  # the document's position in the file, from 0
    message: str


def check(entities: list[Any], *, tools_dir: Path, cwd: Path) -> list[Problem]:
    """What Backstage's catalog model says about each of `entities` (parsed YAML documents)."""
    if not entities:
        return []
    output = node.run(TOOL, [], tools_dir=tools_dir, cwd=cwd, stdin=json.dumps(entities))
    return [Problem(int(index), str(message)) for index, message in json.loads(output)]
