#!/usr/bin/env python3
"""Check the Kubernetes manifests in deploy/k8s and print the probity commands they run.

Usage: k8s_commands.py [--index I] [DIR]

DIR defaults to deploy/k8s of this repository. Loads results-pvc.yaml,
probity-shards.yaml and probity-merge.yaml and checks that:
  - results-pvc.yaml is a PersistentVolumeClaim with ReadWriteMany and a storage request;
  - probity-shards.yaml is a batch/v1 Job with completionMode Indexed, completions N >= 1
    and 1 <= parallelism <= N, mounting that PVC at /results; its command runs
    `probity run … --shard K/N …` with the same N as completions;
  - probity-merge.yaml is a batch/v1 Job (not Indexed) mounting the PVC at /results
    and running `probity merge … --out /results`.

Then prints one JSON line per probity command found in a container:
  {"file": "probity-shards.yaml", "argv": ["probity", "run", "/work/suite.yaml", "--shard", "1/3", ...]}
The command is what the container would execute for completion index I (default 0):
`sh -c` scripts are reduced to their `probity …` line(s) (a leading `exec` dropped),
$((…)) arithmetic is evaluated with JOB_COMPLETION_INDEX=I, $JOB_COMPLETION_INDEX and
${JOB_COMPLETION_INDEX} are replaced by I, and in the merge Job "$@" (the shard folders
its script collects from /results/shards) becomes /results/shards/1 … /results/shards/N
with N from the shards Job. argv[0] is the program as written (`probity` or a path to it).

Exits 1 with a message on stderr naming the file if a manifest is missing or malformed.
"""

import ast
import json
import operator
import os
import re
import shlex
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("k8s_commands.py: PyYAML is needed (pip install pyyaml / apt-get install python3-yaml)")

SHELLS = {"sh", "bash", "dash", "ash"}
PVC_FILE = "results-pvc.yaml"
SHARDS_FILE = "probity-shards.yaml"
MERGE_FILE = "probity-merge.yaml"


class Malformed(Exception):
    def __init__(self, file, message):
        super().__init__(f"{file}: {message}")


def load_one(path):
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise Malformed(name, f"missing ({path})")
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        raise Malformed(name, f"not valid YAML: {e}")
    if len(docs) != 1:
        raise Malformed(name, f"expected exactly one document, found {len(docs)}")
    doc = docs[0]
    if not isinstance(doc, dict):
        raise Malformed(name, "the document is not a mapping")
    return name, doc


def get(file, obj, *keys, kind=None, required=True):
    """obj[keys[0]][keys[1]]…, with a clear error if absent or of the wrong type."""
    cur = obj
    path = []
    for k in keys:
        path.append(str(k))
        if isinstance(k, int):
            if not isinstance(cur, list) or k >= len(cur):
                if not required:
                    return None
                raise Malformed(file, f"missing {'.'.join(path)}")
            cur = cur[k]
        else:
            if not isinstance(cur, dict) or k not in cur:
                if not required:
                    return None
                raise Malformed(file, f"missing {'.'.join(path)}")
            cur = cur[k]
    if kind is not None and not isinstance(cur, kind) or (kind is int and isinstance(cur, bool)):
        want = kind.__name__ if isinstance(kind, type) else "/".join(t.__name__ for t in kind)
        raise Malformed(file, f"{'.'.join(path)} should be a {want}, is {cur!r}")
    return cur


# --- arithmetic in $((…)) -----------------------------------------------------------

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _eval(node):
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    raise ValueError("unsupported")


def shell_arith(file, expr, index):
    e = re.sub(r"\$?\{?JOB_COMPLETION_INDEX\}?", str(index), expr)
    if re.search(r"[A-Za-z_$]", e):
        raise Malformed(file, f"cannot evaluate $(({expr})): only JOB_COMPLETION_INDEX is known")
    try:
        return _eval(ast.parse(e.replace("/", "//"), mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        raise Malformed(file, f"cannot evaluate $(({expr}))")


def substitute(file, text, index):
    text = re.sub(r"\$\(\((.*?)\)\)", lambda m: str(shell_arith(file, m.group(1), index)), text)
    text = re.sub(r"\$\{JOB_COMPLETION_INDEX\}|\$JOB_COMPLETION_INDEX\b", str(index), text)
    return text


# --- commands -------------------------------------------------------------------------

def is_probity(word):
    return os.path.basename(word) == "probity"


def script_commands(file, script, index, at_args):
    """The probity invocations in a sh -c script, as argv lists."""
    logical = re.sub(r"\\\n", " ", script)
    found = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(substitute(file, line, index), comments=True)
        except ValueError as e:
            raise Malformed(file, f"cannot parse shell line {line!r}: {e}")
        if words and words[0] == "exec":
            words = words[1:]
        if not words or not is_probity(words[0]):
            if any(is_probity(w) for w in words):
                raise Malformed(file, f"probity is not the command of line {line!r}; put it first (optionally after exec)")
            continue
        argv = []
        for w in words:
            if w in ("$@", "$*"):
                if at_args is None:
                    raise Malformed(file, f'"$@" in {line!r} but nothing is known to stand for it')
                argv.extend(at_args)
            elif re.search(r"[$`*?]", w):
                raise Malformed(file, f"cannot expand {w!r} in {line!r}")
            else:
                argv.append(w)
        found.append(argv)
    return found


def container_commands(file, container, index, at_args):
    cname = container.get("name", "?") if isinstance(container, dict) else "?"
    if not isinstance(container, dict):
        raise Malformed(file, "a container is not a mapping")
    cmd = container.get("command", []) or []
    args = container.get("args", []) or []
    if not isinstance(cmd, list) or not isinstance(args, list):
        raise Malformed(file, f"container {cname}: command and args must be lists")
    argv = [str(x) for x in cmd + args]
    if not argv:
        raise Malformed(file, f"container {cname}: no command (the image's entrypoint is not known here)")
    if os.path.basename(argv[0]) in SHELLS:
        if len(argv) < 3 or argv[1] != "-c":
            raise Malformed(file, f"container {cname}: a shell command must be `sh -c SCRIPT`")
        cmds = script_commands(file, argv[2], index, at_args)
    elif is_probity(argv[0]):
        cmds = [[substitute(file, a, index) for a in argv]]
    else:
        raise Malformed(file, f"container {cname}: runs {argv[0]!r}, neither probity nor sh -c")
    if not cmds:
        raise Malformed(file, f"container {cname}: no probity command found")
    return cmds


def check_job(file, doc, indexed, pvc_name):
    if doc.get("apiVersion") != "batch/v1" or doc.get("kind") != "Job":
        raise Malformed(file, f"expected apiVersion batch/v1 kind Job, found {doc.get('apiVersion')} {doc.get('kind')}")
    get(file, doc, "metadata", "name", kind=str)
    spec = get(file, doc, "spec", kind=dict)
    mode = spec.get("completionMode", "NonIndexed")
    completions = spec.get("completions")
    parallelism = spec.get("parallelism")
    if indexed:
        if mode != "Indexed":
            raise Malformed(file, f"spec.completionMode must be Indexed, is {mode!r}")
        completions = get(file, doc, "spec", "completions", kind=int)
        if completions < 1:
            raise Malformed(file, "spec.completions must be >= 1")
        parallelism = get(file, doc, "spec", "parallelism", kind=int)
        if not 1 <= parallelism <= completions:
            raise Malformed(file, f"spec.parallelism must be between 1 and completions ({completions}), is {parallelism}")
    else:
        if mode == "Indexed":
            raise Malformed(file, "the merge Job must not be Indexed")
        for key, value in (("completions", completions), ("parallelism", parallelism)):
            if value is not None and value != 1:
                raise Malformed(file, f"spec.{key} must be 1 (one merge), is {value!r}")
    pod = get(file, doc, "spec", "template", "spec", kind=dict)
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        raise Malformed(file, "spec.template.spec.restartPolicy must be Never or OnFailure")
    containers = get(file, doc, "spec", "template", "spec", "containers", kind=list)
    if not containers:
        raise Malformed(file, "no containers")
    volumes = pod.get("volumes") or []
    claims = {}
    for v in volumes:
        if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict):
            claims[v.get("name")] = v["persistentVolumeClaim"].get("claimName")
    for c in containers:
        if not isinstance(c, dict) or not c.get("image"):
            raise Malformed(file, "every container needs an image")
        mounts = {m.get("mountPath"): m.get("name") for m in (c.get("volumeMounts") or []) if isinstance(m, dict)}
        vol = mounts.get("/results")
        if vol is None:
            raise Malformed(file, f"container {c.get('name', '?')} does not mount /results")
        if claims.get(vol) != pvc_name:
            raise Malformed(file, f"/results must be the PersistentVolumeClaim {pvc_name!r} (volume {vol!r} is {claims.get(vol)!r})")
        if "/work" not in mounts:
            raise Malformed(file, f"container {c.get('name', '?')} does not mount /work")
    return containers, completions


def main(argv):
    index = 0
    rest = []
    it = iter(argv)
    for a in it:
        if a == "--index":
            try:
                index = int(next(it))
            except (StopIteration, ValueError):
                sys.exit("k8s_commands.py: --index needs an integer")
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            rest.append(a)
    if len(rest) > 1:
        sys.exit("usage: k8s_commands.py [--index I] [DIR]")
    here = os.path.dirname(os.path.abspath(__file__))
    d = rest[0] if rest else os.path.join(here, "..", "..", "deploy", "k8s")

    try:
        f, pvc = load_one(os.path.join(d, PVC_FILE))
        if pvc.get("apiVersion") != "v1" or pvc.get("kind") != "PersistentVolumeClaim":
            raise Malformed(f, f"expected apiVersion v1 kind PersistentVolumeClaim, found {pvc.get('apiVersion')} {pvc.get('kind')}")
        pvc_name = get(f, pvc, "metadata", "name", kind=str)
        modes = get(f, pvc, "spec", "accessModes", kind=list)
        if "ReadWriteMany" not in modes:
            raise Malformed(f, f"spec.accessModes must include ReadWriteMany (shards run in parallel pods), is {modes}")
        get(f, pvc, "spec", "resources", "requests", "storage", kind=(str, int))

        f, shards = load_one(os.path.join(d, SHARDS_FILE))
        containers, n = check_job(f, shards, True, pvc_name)
        if not 0 <= index < n:
            raise Malformed(f, f"--index {index} is outside 0..{n - 1}")
        out = []
        for c in containers:
            for cmd in container_commands(f, c, index, None):
                if len(cmd) < 2 or cmd[1] != "run":
                    raise Malformed(f, f"expected `probity run …`, found {shlex.join(cmd)}")
                if "--shard" not in cmd[:-1]:
                    raise Malformed(f, "probity run has no --shard K/N")
                shard = cmd[cmd.index("--shard") + 1]
                m = re.fullmatch(r"(\d+)/(\d+)", shard)
                if not m:
                    raise Malformed(f, f"--shard {shard!r} is not K/N")
                k, total = int(m.group(1)), int(m.group(2))
                if total != n:
                    raise Malformed(f, f"--shard …/{total} disagrees with spec.completions {n}: N is set in both places")
                if k != index + 1:
                    raise Malformed(f, f"index {index} runs shard {k}, expected {index + 1} (use $((JOB_COMPLETION_INDEX+1)))")
                out.append({"file": f, "argv": cmd})

        f, merge = load_one(os.path.join(d, MERGE_FILE))
        containers, _ = check_job(f, merge, False, pvc_name)
        shard_dirs = [f"/results/shards/{k}" for k in range(1, n + 1)]
        for c in containers:
            for cmd in container_commands(f, c, index, shard_dirs):
                if len(cmd) < 2 or cmd[1] != "merge":
                    raise Malformed(f, f"expected `probity merge …`, found {shlex.join(cmd)}")
                if "--out" not in cmd[:-1] or cmd[cmd.index("--out") + 1] != "/results":
                    raise Malformed(f, "probity merge must write --out /results")
                out.append({"file": f, "argv": cmd})
    except Malformed as e:
        print(f"k8s_commands.py: {e}", file=sys.stderr)
        return 1

    for o in out:
        print(json.dumps(o))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
