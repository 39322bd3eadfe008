"""The package's floors (DESIGN): ground (layers, models, data, files), shared services (inference, metrics,
the run folder), then the user-facing packages; imports go down, user-facing packages reach each other
only where that is their job, and no two packages import each other. Read from the source with ``ast``:
what the files say, not what a run happens to load."""

import ast
import collections
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUND = {"layers", "models", "data", "files", "processes", "cli"}
SHARED = {"inference", "metrics", "run_folder", "protocol"}
USERS = {"training", "evaluation", "export", "prediction", "visualization", "app", "demo", "testing"}
# Same-floor imports that are the importer's job: the demo chains training, evaluation and export; the app is
# a page over prediction; prediction draws the heatmaps visualization computes.
ALLOWED_SIDEWAYS = {
    ("demo", "training"),
    ("demo", "evaluation"),
    ("demo", "export"),
    ("app", "prediction"),
    ("prediction", "visualization"),
}


def package_imports():
    """``{package: {packages it imports}}`` for the second-level names under ``pel_keras`` ('' = the root)."""
    edges = collections.defaultdict(set)
    base = os.path.join(ROOT, "pel_keras")
    for folder, _, names in os.walk(base):
        for name in (n for n in names if n.endswith(".py")):
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, base)[: -len(".py")].split(os.sep)
            source = "" if parts == ["__init__"] else parts[0]
            for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
                elif isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                else:
                    continue
                for target in targets:
                    pieces = target.split(".")
                    if pieces[0] == "pel_keras" and len(pieces) > 1 and pieces[1] != source:
                        edges[source].add(pieces[1])
    return edges


def floor(package):
    return 0 if package in GROUND else 1 if package in SHARED else 2 if package in USERS else None


def test_every_package_has_a_floor():
    edges = package_imports()
    packages = set(edges) | {target for targets in edges.values() for target in targets}
    assert {package for package in packages - {""} if floor(package) is None} == set()


def test_imports_go_down_the_floors_and_never_in_a_circle():
    edges = package_imports()
    wrong = sorted(
        (source, target)
        for source, targets in edges.items()
        for target in targets
        if source
        and (
            floor(target) > floor(source)  # upward
            or (floor(source) == floor(target) == 2 and (source, target) not in ALLOWED_SIDEWAYS)
        )
    )
    assert wrong == []
    mutual = sorted((a, b) for a, targets in edges.items() for b in targets if a < b and a in edges.get(b, ()))
    assert mutual == []


def test_nothing_but_its_users_imports_evaluation():
    edges = package_imports()
    assert sorted(source for source, targets in edges.items() if "evaluation" in targets) == ["demo"]
