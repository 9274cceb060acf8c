#!/usr/bin/env python3
"""Helpers for scripts/interop.sh; needs PyYAML (the tools venv has it).

compare DIR RENDERED
    Compare the objects that `kubectl kustomize DIR` printed (saved in the
    file RENDERED, or "-" for stdin) with the objects kforge wrote under DIR:
    every *.yaml file below DIR, recursively, except kustomization.yaml files
    and the top-level subdirectories named by --exclude (default: nodes,
    delivery). Both sides are compared as multisets of parsed objects, so
    order and formatting do not matter but any change of content does.
    Exit 0 when equal, 1 when they differ (the differences are printed),
    2 on a usage or parse error.

core-files ROOT...
    Print, one per line, every *.yaml file below the ROOTs whose objects all
    have a core Kubernetes apiVersion, i.e. the files kubernetes-validate
    has schemas for. SOPS-encrypted files (a top-level `sops` block, which no
    Kubernetes schema allows) are left out: see sops-files. Exit 1 if some
    file could not be parsed (it is named on stderr and left out), else 0.

sops-files ROOT...
    Print, one per line, every *.yaml file below the ROOTs that is a SOPS-
    encrypted document, so the caller can decrypt and validate it.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import sys
from typing import Any, Iterable, Iterator

import yaml

DEFAULT_EXCLUDES = ("nodes", "delivery")

# Groups without a dot that belong to Kubernetes itself.
CORE_PLAIN_GROUPS = {"apps", "batch", "policy", "autoscaling"}
# Groups under k8s.io that are not served by the API server itself (tooling
# or CRDs); kubernetes-validate has no schemas for them.
NON_CORE_K8S_IO_GROUPS = {
    "kustomize.config.k8s.io",
    # Node bootstrap files (nodes/<node>/kubeadm.yaml): read by kubeadm, not served.
    "kubeadm.k8s.io",
    "kubelet.config.k8s.io",
    "gateway.networking.k8s.io",
    "snapshot.storage.k8s.io",
}


class ParseError(Exception):
    pass


def load_documents(text: str, origin: str) -> list[Any]:
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as err:
        raise ParseError(f"{origin}: cannot parse YAML: {err}") from err
    return [d for d in docs if d is not None]


def load_file(path: str) -> list[Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as err:
        raise ParseError(f"{path}: cannot read: {err}") from err
    return load_documents(text, path)


def yaml_files(root: str, excludes: Iterable[str] = ()) -> Iterator[str]:
    """Every *.yaml file below root, sorted, skipping kustomization.yaml and
    the top-level subdirectories in excludes."""
    excluded = set(excludes)
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.samefile(dirpath, root):
            dirnames[:] = [d for d in dirnames if d not in excluded]
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".yaml") and name != "kustomization.yaml":
                yield os.path.join(dirpath, name)


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def identity(obj: Any) -> str:
    if not isinstance(obj, dict):
        return f"<non-object {type(obj).__name__}>"
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        meta = {}
    ns = meta.get("namespace")
    name = meta.get("name", "<no name>")
    where = f"{ns}/{name}" if ns else str(name)
    return f"{obj.get('apiVersion', '<no apiVersion>')} {obj.get('kind', '<no kind>')} {where}"


def pairing_key(obj: Any) -> str:
    """Identity without the namespace, so that an object whose namespace
    kustomize changed is still paired with its file."""
    if not isinstance(obj, dict):
        return f"<non-object {type(obj).__name__}>"
    meta = obj.get("metadata") or {}
    name = meta.get("name", "<no name>") if isinstance(meta, dict) else "<no name>"
    return f"{obj.get('apiVersion', '<no apiVersion>')} {obj.get('kind', '<no kind>')} {name}"


def pretty(obj: Any) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines()


def cmd_compare(args: argparse.Namespace) -> int:
    directory = args.dir
    try:
        if args.rendered == "-":
            rendered = load_documents(sys.stdin.read(), "<stdin>")
        else:
            rendered = load_file(args.rendered)
        written: list[tuple[str, Any]] = []
        for path in yaml_files(directory, args.exclude):
            rel = os.path.relpath(path, directory)
            written.extend((rel, doc) for doc in load_file(path))
    except ParseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    want = collections.Counter(canonical(doc) for _, doc in written)
    got = collections.Counter(canonical(doc) for doc in rendered)
    if want == got:
        print(f"{directory}: {len(rendered)} objects, same as the files kforge wrote")
        return 0

    # Objects that are on one side only (or more often on one side).
    only_written = want - got
    only_rendered = got - want
    by_canon_written = {canonical(doc): (rel, doc) for rel, doc in written}
    by_canon_rendered = {canonical(doc): doc for doc in rendered}

    # Pair differing objects by identity so we can show a diff.
    left: dict[str, list[tuple[str, Any]]] = collections.defaultdict(list)
    for canon, count in only_written.items():
        rel, doc = by_canon_written[canon]
        left[pairing_key(doc)].extend([(rel, doc)] * count)
    right: dict[str, list[Any]] = collections.defaultdict(list)
    for canon, count in only_rendered.items():
        doc = by_canon_rendered[canon]
        right[pairing_key(doc)].extend([doc] * count)

    print(
        f"{directory}: kustomize output differs from the files kforge wrote "
        f"({len(rendered)} objects from kustomize, {len(written)} in files)"
    )
    for key in sorted(set(left) | set(right)):
        ls, rs = left.get(key, []), right.get(key, [])
        for (rel, wdoc), rdoc in zip(ls, rs):
            print(f"  changed by kustomize: {identity(wdoc)} (file {rel})")
            diff = difflib.unified_diff(
                pretty(wdoc), pretty(rdoc), f"file {rel}", "kubectl kustomize", lineterm=""
            )
            for line in diff:
                print(f"    {line}")
        for rel, wdoc in ls[len(rs):]:
            print(f"  only in files: {identity(wdoc)} (file {rel}); not in kustomize output")
        for rdoc in rs[len(ls):]:
            print(f"  only in kustomize output: {identity(rdoc)}; no file holds it")
    return 1


def is_core_api_version(api_version: Any) -> bool:
    if not isinstance(api_version, str) or not api_version:
        return False
    if "/" not in api_version:
        return api_version == "v1"
    group = api_version.split("/", 1)[0]
    if group in CORE_PLAIN_GROUPS:
        return True
    return group.endswith(".k8s.io") and group not in NON_CORE_K8S_IO_GROUPS


def is_sops(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("sops"), dict)


def parsed_files(roots: Iterable[str], errors: list[str]) -> Iterator[tuple[str, list[Any]]]:
    """Every *.yaml file below the roots with its documents; files that do not
    parse are named on stderr, appended to errors and left out."""
    for root in roots:
        for path in yaml_files(root):
            try:
                docs = load_file(path)
            except ParseError as err:
                print(f"error: {err}", file=sys.stderr)
                errors.append(path)
                continue
            if docs:
                yield path, docs


def cmd_sops_files(args: argparse.Namespace) -> int:
    errors: list[str] = []
    for path, docs in parsed_files(args.roots, errors):
        if all(is_sops(d) for d in docs):
            print(path)
    return 1 if errors else 0


def cmd_core_files(args: argparse.Namespace) -> int:
    errors: list[str] = []
    for path, docs in parsed_files(args.roots, errors):
        if any(is_sops(d) for d in docs):
            continue
        core = [isinstance(d, dict) and is_core_api_version(d.get("apiVersion")) for d in docs]
        if all(core):
            print(path)
        elif any(core):
            print(
                f"warning: {path} mixes core and non-core objects; not validated",
                file=sys.stderr,
            )
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_cmp = sub.add_parser("compare", help="compare kustomize output with kforge's files")
    p_cmp.add_argument("dir", help="directory holding kustomization.yaml")
    p_cmp.add_argument("rendered", help="file with `kubectl kustomize DIR` output, or -")
    p_cmp.add_argument(
        "--exclude",
        action="append",
        metavar="SUBDIR",
        help="top-level subdirectory of DIR to skip (repeatable; default: nodes, delivery)",
    )
    p_cmp.set_defaults(func=cmd_compare)

    p_core = sub.add_parser("core-files", help="list files with core Kubernetes objects")
    p_core.add_argument("roots", nargs="+", help="directories to search")
    p_core.set_defaults(func=cmd_core_files)

    p_sops = sub.add_parser("sops-files", help="list SOPS-encrypted files")
    p_sops.add_argument("roots", nargs="+", help="directories to search")
    p_sops.set_defaults(func=cmd_sops_files)

    args = parser.parse_args(argv)
    if args.command == "compare" and args.exclude is None:
        args.exclude = list(DEFAULT_EXCLUDES)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
