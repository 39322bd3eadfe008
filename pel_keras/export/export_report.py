"""``export_report.json``: what was exported, file sizes, the app contract and the parity figures."""

import importlib.metadata
import json
import os

from pel_keras.files.atomic import atomic_write
from pel_keras.inference.contract import REPORT_NAME

_PACKAGES = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert")


def size_bytes(path):
    """The size of a file, or of all files under a folder."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def versions():
    """The versions of the converters and runtimes used."""
    found = {}
    for package in _PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def file_entry(out_dir, path, **details):
    """One ``files`` entry: the path relative to ``out_dir``, its size, and ``details``."""
    size = size_bytes(path)
    return {"path": os.path.relpath(path, out_dir), "bytes": size, "megabytes": round(size / 1e6, 2), **details}


def write_report(out_dir, report):
    """Writes ``report`` as ``out_dir/export_report.json``; returns the path."""
    path = os.path.join(out_dir, REPORT_NAME)
    atomic_write(path, json.dumps(report, indent=2) + "\n")
    return path


def _number(value, digits):
    return "n/a" if value is None else f"{value:.{digits}g}"


def _verdict(row):
    quantized = row["quantized"]
    if quantized is None:
        return {None: "measured", True: "within 1e-4", False: "OUT OF TOLERANCE"}[row["within_tolerance"]]
    figures = f"rank {_number(quantized['rank_correlation'], 3)}, {quantized['verdict_flips']} flips"
    return f"criterion met ({figures})" if quantized["passed"] else f"FAILS ({figures})"


def summary(report):
    """A short text table of the report: file, size, largest difference at batch 1 and 4, AUC, verdict; then
    why each quantized file that misses its criterion does."""
    parity = report["parity"]
    lines = [
        f"parity on {parity['images']} real face crops (Keras AUC {_number(parity['reference_auc'], 4)}):",
        f"{'file':<34} {'MB':>8} {'max|d| b1':>10} {'max|d| b4':>10} {'AUC':>7}  verdict",
    ]
    paths = {name: entry["path"] for name, entry in report["files"].items()}
    for name, row in parity["files"].items():
        entry = report["files"].get(name, {})
        size = f"{entry['megabytes']:.1f}" if entry else ""
        lines.append(
            f"{paths.get(name, name):<34} {size:>8} {_number(row['max_abs_diff']['batch_1'], 3):>10} "
            f"{_number(row['max_abs_diff']['batch_4'], 3):>10} {_number(row['auc'], 4):>7}  {_verdict(row)}"
        )
    for name, row in parity["files"].items():
        lines += [f"{paths.get(name, name)}: {failure}" for failure in (row["quantized"] or {}).get("failures", ())]
    return "\n".join(lines)
