"""Layering check (`make test`, after `make dbt-ci` wrote target/ci/manifest.json).

Layers, lowest first: seeds and sources, staging (models/staging, including staging/base),
intermediate (models/intermediate), marts (models/marts, and every Python model: python_models/
writes to strategy_data). A model may read its own layer or a lower one, never a higher one: no
staging model reads an intermediate model or a mart, no intermediate model reads a mart. The layer
of a model is the folder it lives in, so moving a file is what moves it between layers.

Reads the manifest's depends_on (refs, sources and `-- depends_on:` hints) and fails naming every
backwards edge. Exit status 0 when there is none, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path, PurePosixPath

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = PROJECT_DIR / "target" / "ci" / "manifest.json"

# Rank of each layer: a model may depend on nodes of its own rank or lower.
LAYER_RANKS = {"source": 0, "seed": 0, "staging": 1, "intermediate": 2, "marts": 3}

# Backwards edges (model -> parent, by unique_id) tolerated: none. An entry would be a known defect
# with its reason beside it, removed when fixed.
ALLOWED_BACKWARDS_EDGES: frozenset[tuple[str, str]] = frozenset()


class UnknownLayerError(ValueError):
    """A model outside the layer folders: the check cannot place it, so it refuses to guess."""


def model_layer(original_file_path: str) -> str:
    """The layer of a model from its path in the project: the folder under models/, or marts for
    python_models/ (Python models write to the strategy_data schema, like the marts)."""
    parts = PurePosixPath(original_file_path.replace("\\", "/")).parts
    if parts and parts[0] == "python_models":
        return "marts"
    if len(parts) > 2 and parts[0] == "models" and parts[1] in LAYER_RANKS:
        return parts[1]
    raise UnknownLayerError(f"{original_file_path}: not under models/<staging|intermediate|marts>/ or python_models/")


def node_layer(unique_id: str, manifest: dict) -> str | None:
    """The layer of a manifest node, or None for a node that is not in a layer (macros, tests)."""
    resource_type = unique_id.split(".", 1)[0]
    if resource_type in ("seed", "source"):
        return resource_type
    if resource_type != "model":
        return None
    return model_layer(manifest["nodes"][unique_id]["original_file_path"])


def backwards_edges(manifest: dict) -> list[tuple[str, str, str, str]]:
    """Every (model, its layer, parent, parent's layer) whose parent sits in a higher layer."""
    found = []
    for unique_id, node in sorted(manifest.get("nodes", {}).items()):
        if node.get("resource_type") != "model":
            continue
        layer = model_layer(node["original_file_path"])
        for parent in sorted(set(node.get("depends_on", {}).get("nodes", []))):
            parent_layer = node_layer(parent, manifest)
            if parent_layer is not None and LAYER_RANKS[parent_layer] > LAYER_RANKS[layer]:
                found.append((unique_id, layer, parent, parent_layer))
    return found


def check(manifest: dict, allowed: frozenset[tuple[str, str]] = ALLOWED_BACKWARDS_EDGES) -> list[str]:
    """One message per backwards edge not in `allowed` (empty when the layering is sound)."""
    return [
        f"{model} ({layer}) reads {parent} ({parent_layer})"
        for model, layer, parent, parent_layer in backwards_edges(manifest)
        if (model, parent) not in allowed
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST,
                        help=f"dbt manifest.json (default {DEFAULT_MANIFEST.relative_to(PROJECT_DIR)})")
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    try:
        problems = check(manifest)
    except UnknownLayerError as error:
        problems = [str(error)]
    for problem in problems:
        print(f"layering: {problem}", file=sys.stderr)
    if problems:
        print("layers point one way: seeds/sources < staging < intermediate < marts (scripts/check_layers.py)",
              file=sys.stderr)
        return 1
    models = sum(1 for node in manifest.get("nodes", {}).values() if node.get("resource_type") == "model")
    print(f"layering: {models} models, no backwards edge")
    return 0


if __name__ == "__main__":
    sys.exit(main())
