#!/usr/bin/env python3
"""Offline checks of deploy/kubernetes/ (no cluster, no network).

    PY=.build/thirdparty-venv/bin/python        # has kubernetes-validate (and PyYAML)
    $PY Tests/Kubernetes/validate_manifests.py .              # check the manifests of the repo at .
    $PY Tests/Kubernetes/validate_manifests.py . --self-test  # prove broken manifests are caught

1. Every *.yaml / *.yml under deploy/kubernetes validates in strict mode (unknown fields rejected)
   against the Kubernetes OpenAPI schemas bundled with kubernetes-validate, for KUBERNETES_VERSION.
   A missing schema (the CLI's WARN) is a failure too.
2. The fields that make the sharded run correct: the Indexed driver Job (completions = parallelism =
   the N of --shard I/N, the index from $(JOB_COMPLETION_INDEX), --start-at from the ConfigMap,
   --out under the shared claim, never retried), the merge Job reading what the shards wrote, the
   serve Deployment (>= 2 replicas, keys and refresh secret from mounted Secrets, /healthz probes),
   no secret literal anywhere, resources on every container, and the Dockerfile's two stages.

One line per check; exit 1 at the first failure, 0 when all pass.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import posixpath
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

try:
    import yaml
    import kubernetes_validate
except ImportError as e:  # pragma: no cover
    sys.exit("validate_manifests: %s (run it with .build/thirdparty-venv/bin/python; "
             "`script/bootstrap --test` creates that venv)" % e)

KUBERNETES_VERSION = "1.33.0"
NAMESPACE = "tokenbench"
MANIFEST_DIR = Path("deploy") / "kubernetes"
INDEX_VAR = "JOB_COMPLETION_INDEX"
INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
RUNTIME_LIBS = ["libargon2-1", "libhiredis0.14", "libjemalloc2", "libssl3", "zlib1g", "ca-certificates"]
VAR_REF = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
# scheme://user:password@host : a credential written into a URL.
URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")


class CheckFailed(Exception):
    def __init__(self, check: str, message: str):
        super().__init__("%s: %s" % (check, message))
        self.check = check
        self.message = message


# ---------------------------------------------------------------------------------------- YAML

class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Dict:
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# ----------------------------------------------------------------------------------- helpers

def quantity(value: Any) -> float:
    """A Kubernetes resource quantity ("2", "500m", "1Gi", 2) as a number."""
    s = str(value).strip()
    m = re.fullmatch(r"([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?", s)
    if not m:
        raise ValueError("not a quantity: %r" % (value,))
    factor = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
              "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}[m.group(2)]
    return float(m.group(1)) * factor


def flag_values(args: List[str], flag: str) -> List[str]:
    """Every value of `flag` in args, given as `--flag VALUE` or `--flag=VALUE`."""
    values = []
    for i, a in enumerate(args):
        if a == flag:
            values.append(args[i + 1] if i + 1 < len(args) else "")
        elif a.startswith(flag + "="):
            values.append(a[len(flag) + 1:])
    return values


def single_flag(args: List[str], flag: str, check: str) -> str:
    values = flag_values(args, flag)
    if len(values) != 1 or not values[0]:
        raise CheckFailed(check, "expected exactly one `%s VALUE` in args %r, found %r" % (flag, args, values))
    return values[0]


def pod_spec(resource: Dict) -> Dict:
    kind = resource.get("kind")
    if kind == "Pod":
        return resource.get("spec") or {}
    return ((resource.get("spec") or {}).get("template") or {}).get("spec") or {}


def pod_labels(resource: Dict) -> Dict:
    if resource.get("kind") == "Pod":
        return (resource.get("metadata") or {}).get("labels") or {}
    return (((resource.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def all_containers(spec: Dict) -> List[Dict]:
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def env_map(container: Dict) -> Dict[str, Dict]:
    return {e["name"]: e for e in container.get("env") or []}


def under(path: str, directory: str) -> bool:
    path, directory = posixpath.normpath(path), posixpath.normpath(directory)
    return path.startswith(directory.rstrip("/") + "/")


def relative(path: str, directory: str) -> str:
    rel = posixpath.relpath(posixpath.normpath(path), posixpath.normpath(directory))
    return "" if rel == "." else rel


def claim_mounts(container: Dict, spec: Dict) -> List[Tuple[str, str]]:
    """(claimName, mountPath) for every PersistentVolumeClaim volume the container mounts."""
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in spec.get("volumes") or [] if v.get("persistentVolumeClaim")}
    return [(claims[m["name"]], m["mountPath"]) for m in container.get("volumeMounts") or []
            if m.get("name") in claims]


def secret_mount_for(path: str, container: Dict, spec: Dict, check: str) -> Tuple[Dict, Dict]:
    """The (volumeMount, volume) of a Secret volume holding `path` (the mount dir or a file in it)."""
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    for m in container.get("volumeMounts") or []:
        volume = volumes.get(m.get("name"), {})
        if not volume.get("secret"):
            continue
        if posixpath.normpath(path) == posixpath.normpath(m["mountPath"]) or under(path, m["mountPath"]):
            return m, volume
    raise CheckFailed(check, "%s is not inside any mounted Secret volume of container %r"
                      % (path, container.get("name")))


def resolve_port(port: Any, container: Dict) -> Optional[int]:
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return int(port) if str(port).isdigit() else None


# ------------------------------------------------------------------------------------ checks

class Checks:
    def __init__(self, root: Path, version: str, out: Callable[[str], None]):
        self.root = root
        self.dir = root / MANIFEST_DIR
        self.version = version
        self.out = out
        self.count = 0
        # (file relative to the repo, resource) for every document of every manifest.
        self.resources: List[Tuple[str, Dict]] = []

    # A check that passed prints one line; a failed one raises.
    def ok(self, check: str, detail: str) -> None:
        self.count += 1
        self.out("ok   %-40s %s" % (check, detail))

    def expect(self, condition: bool, check: str, detail: str, failure: str) -> None:
        if not condition:
            raise CheckFailed(check, failure)
        self.ok(check, detail)

    def find(self, kind: str, name: str, check: str) -> Dict:
        found = [r for _, r in self.resources
                 if r.get("kind") == kind and (r.get("metadata") or {}).get("name") == name]
        if len(found) != 1:
            raise CheckFailed(check, "expected exactly one %s %r in %s, found %d"
                              % (kind, name, MANIFEST_DIR, len(found)))
        return found[0]

    def run(self) -> None:
        self.strict_schemas()
        self.common()
        driver = self.driver_job()
        self.merge_job(driver)
        self.serve()
        self.dockerfile()

    # 1. Strict schema validation -------------------------------------------------------------

    def strict_schemas(self) -> None:
        files = sorted(p for p in self.dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        self.expect(bool(files), "manifests-found", "%d files in %s" % (len(files), MANIFEST_DIR),
                    "no *.yaml under %s" % self.dir)
        for path in files:
            rel = str(path.relative_to(self.root))
            try:
                docs = [d for d in yaml.load_all(path.read_text(), Loader=_StrictLoader) if d is not None]
            except yaml.YAMLError as e:
                raise CheckFailed("yaml-parse", "%s: %s" % (rel, e))
            if not docs:
                raise CheckFailed("yaml-parse", "%s holds no resource" % rel)
            for doc in docs:
                if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind") \
                        or not (doc.get("metadata") or {}).get("name"):
                    raise CheckFailed("yaml-parse", "%s: a document without apiVersion, kind and "
                                      "metadata.name" % rel)
                what = "%s/%s" % (doc["kind"], doc["metadata"]["name"])
                check = "strict-schema"
                try:
                    kubernetes_validate.validate(doc, self.version, strict=True)
                except kubernetes_validate.ValidationError as e:
                    where = ".".join(str(p) for p in e.path) or "(top level)"
                    raise CheckFailed(check, "%s %s does not validate against Kubernetes %s (strict): "
                                      "%s: %s" % (rel, what, self.version, where, e.message))
                except (kubernetes_validate.SchemaNotFoundError,
                        kubernetes_validate.InvalidSchemaError) as e:
                    raise CheckFailed(check, "%s %s: %s" % (rel, what, getattr(e, "message", e)))
                except Exception as e:  # VersionNotSupportedError and anything unexpected
                    raise CheckFailed(check, "%s %s could not be validated: %s: %s"
                                      % (rel, what, type(e).__name__, getattr(e, "message", e)))
                self.ok(check, "%s %s (Kubernetes %s, strict)" % (rel, what, self.version))
                self.resources.append((rel, doc))

    # 2. Checks on every resource --------------------------------------------------------------

    def common(self) -> None:
        for rel, r in self.resources:
            what = "%s %s/%s" % (rel, r["kind"], r["metadata"]["name"])
            if r["kind"] != "Namespace":
                ns = r["metadata"].get("namespace")
                if ns != NAMESPACE:
                    raise CheckFailed("namespace", "%s: metadata.namespace is %r, expected %r"
                                      % (what, ns, NAMESPACE))
            if r["kind"] == "Secret":
                raise CheckFailed("no-secret-literals", "%s: a Secret in the manifests; create Secrets "
                                  "with `kubectl create secret` (README.md), never commit them" % what)
        self.ok("namespace", "every namespaced resource is in %r" % NAMESPACE)

        for rel, r in self.resources:
            if r["kind"] == "ConfigMap":
                for key, value in (r.get("data") or {}).items():
                    self.no_secret_literal(str(value), "%s ConfigMap key %s" % (rel, key))
        workloads = [(rel, r) for rel, r in self.resources if r["kind"] in
                     ("Pod", "Job", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")]
        for rel, r in workloads:
            spec = pod_spec(r)
            for c in all_containers(spec):
                where = "%s %s/%s container %s" % (rel, r["kind"], r["metadata"]["name"], c["name"])
                for a in list(c.get("command") or []) + list(c.get("args") or []):
                    self.no_secret_literal(str(a), where + " args")
                for e in c.get("env") or []:
                    if "value" in e:
                        self.no_secret_literal(str(e["value"]), "%s env %s" % (where, e["name"]))
        self.ok("no-secret-literals", "no Secret resource, no PEM or password URL in args, env or "
                "ConfigMaps")

        for rel, r in workloads:
            spec = pod_spec(r)
            for c in all_containers(spec):
                where = "%s %s/%s container %s" % (rel, r["kind"], r["metadata"]["name"], c["name"])
                res = c.get("resources") or {}
                for part in ("requests", "limits"):
                    for key in ("cpu", "memory"):
                        if key not in (res.get(part) or {}):
                            raise CheckFailed("resources", "%s has no resources.%s.%s" % (where, part, key))
                        quantity(res[part][key])
                for part_key in ("cpu", "memory"):
                    if quantity(res["requests"][part_key]) > quantity(res["limits"][part_key]):
                        raise CheckFailed("resources", "%s requests more %s than its limit" % (where, part_key))
        self.ok("resources", "every container has requests and limits for cpu and memory")

        for rel, r in workloads:
            spec = pod_spec(r)
            for c in all_containers(spec):
                where = "%s %s/%s container %s" % (rel, r["kind"], r["metadata"]["name"], c["name"])
                declared = set()
                for e in c.get("env") or []:
                    for ref in VAR_REF.findall(str(e.get("value", ""))):
                        if ref not in declared:
                            raise CheckFailed("var-refs-declared", "%s: env %s uses $(%s) before it is "
                                              "declared" % (where, e["name"], ref))
                    declared.add(e["name"])
                for a in list(c.get("command") or []) + list(c.get("args") or []):
                    for ref in VAR_REF.findall(str(a)):
                        if ref not in declared:
                            raise CheckFailed("var-refs-declared", "%s: %r uses $(%s), which is not in "
                                              "its env (Kubernetes would pass it literally)" % (where, a, ref))
        self.ok("var-refs-declared", "every $(VAR) in args and env is declared in the container's env")

        for rel, r in workloads:
            spec = pod_spec(r)
            psc = spec.get("securityContext") or {}
            for c in all_containers(spec):
                where = "%s %s/%s container %s" % (rel, r["kind"], r["metadata"]["name"], c["name"])
                sc = c.get("securityContext") or {}
                problems = []
                if not sc.get("runAsNonRoot", psc.get("runAsNonRoot")):
                    problems.append("runAsNonRoot is not true")
                if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                    problems.append("runAsUser is 0")
                if sc.get("readOnlyRootFilesystem") is not True:
                    problems.append("readOnlyRootFilesystem is not true")
                if sc.get("allowPrivilegeEscalation") is not False:
                    problems.append("allowPrivilegeEscalation is not false")
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    problems.append("capabilities.drop lacks ALL")
                if problems:
                    raise CheckFailed("security-context", "%s: %s" % (where, "; ".join(problems)))
        self.ok("security-context", "every container: non-root, read-only root, no escalation, "
                "drops ALL capabilities")

    @staticmethod
    def no_secret_literal(text: str, where: str) -> None:
        if "BEGIN" in text or "PRIVATE KEY" in text:
            raise CheckFailed("no-secret-literals", "%s looks like a PEM block (\"BEGIN\"); mount it from "
                              "a Secret" % where)
        m = URL_WITH_PASSWORD.search(text)
        if m:
            raise CheckFailed("no-secret-literals", "%s holds a %s URL with a password; take it from a "
                              "Secret (secretKeyRef)" % (where, m.group(0).split("://")[0]))

    # 3. The driver Job -------------------------------------------------------------------------

    def driver_job(self) -> Dict:
        job = self.find("Job", "tokenbench-driver", "driver")
        self.expect(job.get("apiVersion") == "batch/v1" and job.get("kind") == "Job", "driver.kind",
                    "batch/v1 Job tokenbench-driver", "tokenbench-driver is not a batch/v1 Job")
        spec = job["spec"]
        self.expect(spec.get("completionMode") == "Indexed", "driver.completionMode",
                    "Indexed", "spec.completionMode is %r, expected Indexed (each pod needs its own "
                    "shard index)" % spec.get("completionMode"))
        completions, parallelism = spec.get("completions"), spec.get("parallelism")
        self.expect(isinstance(completions, int) and completions >= 1, "driver.completions",
                    "%s" % completions, "spec.completions must be set to the shard count")
        self.expect(parallelism == completions, "driver.parallelism==completions",
                    "parallelism %s == completions %s" % (parallelism, completions),
                    "spec.parallelism is %s but spec.completions is %s: every shard must run at the "
                    "same time, from the same --start-at" % (parallelism, completions))
        self.expect(spec.get("backoffLimitPerIndex") == 0, "driver.backoffLimitPerIndex",
                    "0 (a shard is never re-run)", "spec.backoffLimitPerIndex is %r, expected 0: a retried shard "
                    "would miss the common --start-at" % spec.get("backoffLimitPerIndex"))
        rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
        ignored = [r for r in rules if r.get("action") == "Ignore"]
        self.expect(not ignored, "driver.podFailurePolicy", "%d rules, none Ignore" % len(rules),
                    "a podFailurePolicy rule with action Ignore re-creates the shard pod (a late shard)")
        for field in ("activeDeadlineSeconds", "ttlSecondsAfterFinished"):
            self.expect(isinstance(spec.get(field), int) and spec[field] > 0, "driver." + field,
                        "%s" % spec.get(field), "spec.%s is not set" % field)

        pspec = pod_spec(job)
        self.expect(pspec.get("restartPolicy") == "Never", "driver.restartPolicy", "Never",
                    "restartPolicy is %r, expected Never" % pspec.get("restartPolicy"))
        containers = pspec.get("containers") or []
        runs = [c for c in containers if (c.get("args") or [None])[0] == "run" and not c.get("command")]
        self.expect(len(runs) == 1, "driver.container", "one container running `tokenbench run`",
                    "expected exactly one container whose args start with `run` (and no command "
                    "overriding the image's ENTRYPOINT), found %d" % len(runs))
        c = runs[0]
        args = [str(a) for a in c["args"]]
        env = env_map(c)

        shard = single_flag(args, "--shard", "driver.shard")
        m = re.fullmatch(r"\$\(%s\)/(\d+)" % INDEX_VAR, shard)
        self.expect(m is not None, "driver.shard", "--shard %s" % shard,
                    "--shard is %r, expected $(%s)/N" % (shard, INDEX_VAR))
        n = int(m.group(1))
        self.expect(n == completions, "driver.shard-count==completions",
                    "N %d == completions %s" % (n, completions),
                    "--shard .../%d but completions is %s: shards would cover %s of the load"
                    % (n, completions, "only part" if completions < n else "more than all"))
        index_env = env.get(INDEX_VAR, {})
        field = ((index_env.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        self.expect(field == INDEX_FIELD, "driver.index-env", "%s from %s" % (INDEX_VAR, field),
                    "env %s must be declared from fieldRef %s (found %r)" % (INDEX_VAR, INDEX_FIELD, field))

        start = single_flag(args, "--start-at", "driver.start-at")
        configmap_value = self.configmap_ref(start, env, "driver.start-at")
        try:
            if not re.fullmatch(r"\d+", configmap_value):
                dt.datetime.fromisoformat(configmap_value.replace("Z", "+00:00"))
        except ValueError:
            raise CheckFailed("driver.start-at", "the ConfigMap's start-at %r is neither RFC 3339 nor "
                              "Unix seconds" % configmap_value)
        self.ok("driver.start-at", "--start-at %s, from the ConfigMap (placeholder %s)"
                % (start, configmap_value))

        self.expect(not flag_values(args, "--slo"), "driver.no-slo", "the shards run without --slo",
                    "the driver has --slo: a shard would judge its slice alone; SLOs are the merge's")

        for target in flag_values(args, "--target"):
            value = self.configmap_ref(target, env, "driver.target") if VAR_REF.search(target) else target
            m = re.fullmatch(r"https?://([^/:]+)(?::(\d+))?/?", value)
            if not m:
                raise CheckFailed("driver.target", "--target %r is not http(s)://HOST[:PORT]" % value)
            host, port = m.group(1).split(".")[0], int(m.group(2) or (443 if value.startswith("https") else 80))
            services = [r for _, r in self.resources if r["kind"] == "Service"
                        and r["metadata"]["name"] == host]
            if services and port not in [p.get("port") for p in services[0]["spec"].get("ports") or []]:
                raise CheckFailed("driver.target", "--target %s: Service %s has no port %d" % (value, host, port))
            self.ok("driver.target", "--target %s%s" % (value, " (Service %s)" % host if services else ""))

        mounts = claim_mounts(c, pspec)
        out = single_flag(args, "--out", "driver.out")
        homes = [(claim, path) for claim, path in mounts if under(out, path)]
        self.expect(bool(homes), "driver.out-on-claim", "--out %s on claim %s"
                    % (out, homes[0][0] if homes else "-"),
                    "--out %s is not under the mount of a PersistentVolumeClaim (%r)" % (out, mounts))
        self.expect("$(%s)" % INDEX_VAR in out, "driver.out-per-shard", "each shard writes its own folder",
                    "--out %s lacks $(%s): every shard would write the same folder" % (out, INDEX_VAR))
        claim, mount_path = homes[0]
        pvc = self.find("PersistentVolumeClaim", claim, "driver.claim")
        modes = pvc["spec"].get("accessModes") or []
        self.expect("ReadWriteMany" in modes, "driver.claim-rwx", "%s is ReadWriteMany" % claim,
                    "claim %s has accessModes %r: shard pods on different nodes need ReadWriteMany"
                    % (claim, modes))

        res = c["resources"]
        guaranteed = all(quantity(res["requests"][k]) == quantity(res["limits"][k]) for k in ("cpu", "memory"))
        self.expect(guaranteed, "driver.guaranteed-qos", "requests == limits (cpu %s, memory %s)"
                    % (res["limits"]["cpu"], res["limits"]["memory"]),
                    "the driver's requests differ from its limits: not Guaranteed QoS, shards may be "
                    "throttled unevenly")
        labels = pod_labels(job)
        anti = (pspec.get("affinity") or {}).get("podAntiAffinity") or {}
        terms = [t.get("podAffinityTerm", {}) for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
        terms += anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        spreads = [t for t in terms if t.get("topologyKey") == "kubernetes.io/hostname" and
                   (t.get("labelSelector") or {}).get("matchLabels") and
                   all(labels.get(k) == v for k, v in t["labelSelector"]["matchLabels"].items())]
        self.expect(bool(spreads), "driver.anti-affinity", "shards spread across nodes",
                    "no podAntiAffinity term on kubernetes.io/hostname selecting the driver's own pods")
        return {"job": job, "claim": claim, "out_rel": relative(out, mount_path), "n": n}

    def configmap_ref(self, value: str, env: Dict[str, Dict], check: str) -> str:
        """`value` is exactly $(VAR), VAR comes from a ConfigMap key in the manifests: that key's value."""
        m = re.fullmatch(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value)
        if not m:
            raise CheckFailed(check, "%r is not a $(VAR) reference to the run ConfigMap" % value)
        ref = ((env.get(m.group(1)) or {}).get("valueFrom") or {}).get("configMapKeyRef")
        if not ref:
            raise CheckFailed(check, "env %s is not from a configMapKeyRef" % m.group(1))
        cm = self.find("ConfigMap", ref.get("name"), check)
        data = cm.get("data") or {}
        if ref.get("key") not in data:
            raise CheckFailed(check, "ConfigMap %s has no key %r" % (ref.get("name"), ref.get("key")))
        return str(data[ref["key"]])

    # 4. The merge Job --------------------------------------------------------------------------

    def merge_job(self, driver: Dict) -> None:
        job = self.find("Job", "tokenbench-merge", "merge")
        self.expect(job.get("apiVersion") == "batch/v1", "merge.kind", "batch/v1 Job tokenbench-merge",
                    "tokenbench-merge is not a batch/v1 Job")
        pspec = pod_spec(job)
        self.expect(pspec.get("restartPolicy") == "Never", "merge.restartPolicy", "Never",
                    "restartPolicy is %r: OnFailure would re-run a failed verdict in place"
                    % pspec.get("restartPolicy"))
        merges = [c for c in pspec.get("containers") or []
                  if (c.get("args") or [None])[0] == "merge" and not c.get("command")]
        self.expect(len(merges) == 1, "merge.runs-merge", "one container running `tokenbench merge`",
                    "expected exactly one container whose args start with `merge`, found %d" % len(merges))
        c = merges[0]
        args = [str(a) for a in c["args"]]
        mounts = [(claim, path) for claim, path in claim_mounts(c, pspec) if claim == driver["claim"]]
        self.expect(bool(mounts), "merge.same-claim", "mounts claim %s" % driver["claim"],
                    "the merge does not mount the driver's claim %s" % driver["claim"])
        mount_path = mounts[0][1]

        inputs = []
        for a in args[1:]:
            if a.startswith("-"):
                break
            inputs.append(a)
        shard_dirs = [driver["out_rel"].replace("$(%s)" % INDEX_VAR, str(i)) for i in range(driver["n"])]
        parent = posixpath.dirname(driver["out_rel"])
        covered = set()
        for path in inputs:
            if not (path == mount_path or under(path, mount_path)):
                raise CheckFailed("merge.inputs", "input %s is not on the claim mounted at %s" % (path, mount_path))
            rel = relative(path, mount_path)
            covered |= {d for d in shard_dirs if rel == d or (rel == parent)}
        self.expect(covered == set(shard_dirs), "merge.inputs", "%s covers %s" % (" ".join(inputs),
                    ", ".join(posixpath.join(mount_path, d) for d in shard_dirs)),
                    "merge inputs %r do not cover the shard folders %r" % (inputs, shard_dirs))
        out = single_flag(args, "--out", "merge.out")
        out_rel = relative(out, mount_path) if under(out, mount_path) else None
        self.expect(out_rel is not None and out_rel not in shard_dirs, "merge.out",
                    "--out %s on the claim" % out,
                    "--out %s must be on the claim and not a shard folder" % out)
        slos = flag_values(args, "--slo")
        self.expect(bool(slos), "merge.slo", "the merge judges: %s" % ", ".join(slos),
                    "the merge has no --slo: nothing judges the run")

    # 5. The server -----------------------------------------------------------------------------

    def serve(self) -> None:
        dep = self.find("Deployment", "tokenbench-serve", "serve")
        replicas = dep["spec"].get("replicas", 1)
        self.expect(replicas >= 2, "serve.replicas", "%d" % replicas,
                    "replicas is %d, expected >= 2 (several replicas over one durable store)" % replicas)
        pspec = pod_spec(dep)
        serves = [c for c in pspec.get("containers") or []
                  if (c.get("args") or [None])[0] == "serve" and not c.get("command")]
        self.expect(len(serves) == 1, "serve.container", "one container running `tokenbench serve`",
                    "expected exactly one container whose args start with `serve`, found %d" % len(serves))
        c = serves[0]
        args = [str(a) for a in c["args"]]
        env = env_map(c)

        store = single_flag(args, "--store", "serve.store-from-secret")
        m = re.fullmatch(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", store)
        ref = ((env.get(m.group(1)) or {}).get("valueFrom") or {}).get("secretKeyRef") if m else None
        self.expect(bool(ref), "serve.store-from-secret",
                    "--store %s from Secret %s key %s" % (store, (ref or {}).get("name"), (ref or {}).get("key")),
                    "--store %r must be $(VAR) with VAR from a secretKeyRef" % store)

        for flag, is_file in (("--keys", False), ("--refresh-secret-file", True)):
            check = "serve.%s-from-secret" % flag.lstrip("-")
            path = single_flag(args, flag, check)
            mount, volume = secret_mount_for(path, c, pspec, check)
            secret = volume["secret"]
            if is_file:
                inner = relative(path, mount["mountPath"])
                items = secret.get("items")
                if not inner:
                    raise CheckFailed(check, "%s %s names the mount directory, not a file in it" % (flag, path))
                if items is not None and inner not in [i.get("path") for i in items]:
                    raise CheckFailed(check, "%s %s: Secret %s projects only %r"
                                      % (flag, path, secret.get("secretName"), [i.get("path") for i in items]))
            if mount.get("readOnly") is not True:
                raise CheckFailed(check, "the Secret volume %s is not mounted readOnly" % mount["name"])
            if secret.get("defaultMode") != 0o400:
                raise CheckFailed(check, "Secret volume %s has defaultMode %r, expected 0400"
                                  % (mount["name"], secret.get("defaultMode")))
            self.ok(check, "%s %s in Secret %s (read-only, 0400)" % (flag, path, secret.get("secretName")))

        port = int(single_flag(args, "--port", "serve.port"))
        for probe_name in ("readinessProbe", "livenessProbe"):
            probe = (c.get(probe_name) or {}).get("httpGet") or {}
            probe_port = resolve_port(probe.get("port"), c)
            self.expect(probe.get("path") == "/healthz" and probe_port == port, "serve." + probe_name,
                        "GET /healthz on %s" % probe_port,
                        "%s must be httpGet /healthz on the --port %d (found %r)" % (probe_name, port, probe))

        svc = self.find("Service", "tokenbench-serve", "serve.service")
        selector = svc["spec"].get("selector") or {}
        labels = pod_labels(dep)
        self.expect(bool(selector) and all(labels.get(k) == v for k, v in selector.items()),
                    "serve.service-selector", "Service selects the Deployment's pods",
                    "Service selector %r does not match the pod labels %r" % (selector, labels))
        targets = [resolve_port(p.get("targetPort", p.get("port")), c) for p in svc["spec"].get("ports") or []]
        self.expect(port in targets, "serve.service-port", "a Service port reaches container port %d" % port,
                    "no Service port targets the server's --port %d (targets %r)" % (port, targets))

    # 6. The Dockerfile -------------------------------------------------------------------------

    def dockerfile(self) -> None:
        path = self.dir / "Dockerfile"
        self.expect(path.is_file(), "dockerfile", str(path.relative_to(self.root)), "%s is missing" % path)
        lines, pending = [], ""
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not pending and (not line or line.startswith("#")):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            lines.append(pending + line)
            pending = ""
        stages: List[Dict[str, Any]] = []
        for line in lines:
            word = line.split(None, 1)[0].upper()
            if word == "FROM":
                m = re.fullmatch(r"FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
                if not m:
                    raise CheckFailed("dockerfile.stages", "cannot parse %r" % line)
                stages.append({"image": m.group(1), "name": (m.group(2) or "").lower(), "lines": []})
            elif stages:
                stages[-1]["lines"].append(line)
        self.expect(len(stages) >= 2, "dockerfile.stages", "%d stages: %s" % (len(stages),
                    " -> ".join(s["image"] for s in stages)), "%d FROM line(s); expected a multi-stage build"
                    % len(stages))

        def base_image(stage: Dict) -> str:
            names = {s["name"]: s for s in stages if s["name"]}
            image = stage["image"]
            while image.lower() in names and names[image.lower()] is not stage:
                stage = names[image.lower()]
                image = stage["image"]
            return image

        def is_swift(image: str) -> bool:
            return re.split(r"[:@]", image.split("/")[-1])[0] == "swift"

        build_text = "\n".join(l for s in stages[:-1] for l in s["lines"])
        self.expect(any(is_swift(base_image(s)) for s in stages[:-1]) and
                    all(f in build_text for f in ("swift build", "-c release", "--product tokenbench",
                                                  "--static-swift-stdlib")),
                    "dockerfile.build-stage", "swift image, swift build -c release --product tokenbench "
                    "--static-swift-stdlib", "no swift build stage running `swift build -c release "
                    "--product tokenbench --static-swift-stdlib`")
        final = stages[-1]
        self.expect(not is_swift(base_image(final)), "dockerfile.final-not-swift",
                    "final stage FROM %s" % final["image"],
                    "the final stage is %s: the runtime image must not carry the Swift toolchain"
                    % base_image(final))
        final_text = "\n".join(final["lines"])
        missing = [lib for lib in RUNTIME_LIBS if not re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(lib), final_text)]
        dev = re.findall(r"\S+-dev\b", final_text)
        self.expect(not missing and not dev, "dockerfile.runtime-libs", " ".join(RUNTIME_LIBS),
                    "final stage: missing %r, build-only packages %r" % (missing, dev))
        users = [l.split(None, 1)[1].split(":")[0] for l in final["lines"] if l.upper().startswith("USER ")]
        self.expect(bool(users) and users[-1] not in ("root", "0"), "dockerfile.non-root",
                    "USER %s" % (users[-1] if users else "-"), "the final stage runs as root (no USER)")
        entry = [l for l in final["lines"] if l.upper().startswith("ENTRYPOINT")]
        self.expect(bool(entry) and re.fullmatch(r'ENTRYPOINT\s+\[\s*"/usr/local/bin/tokenbench"\s*\]',
                                                 entry[-1], re.I) is not None,
                    "dockerfile.entrypoint", entry[-1] if entry else "-",
                    'expected ENTRYPOINT ["/usr/local/bin/tokenbench"] in the final stage')
        ignore = self.dir / "Dockerfile.dockerignore"
        patterns = ignore.read_text().split() if ignore.is_file() else []
        self.expect(".build/" in patterns or ".build" in patterns, "dockerfile.ignore",
                    "%s excludes .build/" % ignore.relative_to(self.root),
                    "%s must exist and exclude .build/ (the host's build products)" % ignore)


def run_checks(root: Path, version: str, out: Callable[[str], None]) -> Tuple[Optional[CheckFailed], int]:
    checks = Checks(root, version, out)
    try:
        checks.run()
    except CheckFailed as failure:
        return failure, checks.count
    return None, checks.count


# --------------------------------------------------------------------------------- self-test

def self_test(root: Path, version: str) -> int:
    """Copies deploy/kubernetes to a temp dir, breaks it in known ways, expects each break caught."""
    def mutate_driver(change: Callable[[Dict], None]) -> Callable[[Path], None]:
        def apply(tmp_root: Path) -> None:
            path = tmp_root / MANIFEST_DIR / "driver-job.yaml"
            doc = yaml.safe_load(path.read_text())
            change(doc)
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return apply

    def set_parallelism(doc: Dict) -> None:
        doc["spec"]["parallelism"] = doc["spec"]["completions"] + 1

    def add_bogus(doc: Dict) -> None:
        doc["spec"]["template"]["spec"]["containers"][0]["bogus"] = 1

    def other_shard_count(doc: Dict) -> None:
        args = doc["spec"]["template"]["spec"]["containers"][0]["args"]
        i = args.index("--shard") + 1
        args[i] = "$(%s)/%d" % (INDEX_VAR, doc["spec"]["completions"] + 1)

    def literal_store_url(tmp_root: Path) -> None:
        path = tmp_root / MANIFEST_DIR / "serve.yaml"
        docs = list(yaml.safe_load_all(path.read_text()))
        env = docs[0]["spec"]["template"]["spec"]["containers"][0]["env"]
        env[:] = [{"name": "STORE_URL", "value": "postgres://bench:hunter2@db:5432/tokens"}]
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))

    cases = [
        ("unmodified copy", None, None),
        ("driver parallelism != completions", mutate_driver(set_parallelism), "driver.parallelism==completions"),
        ("driver containers[0].bogus: 1", mutate_driver(add_bogus), "strict-schema"),
        ("driver --shard .../N+1", mutate_driver(other_shard_count), "driver.shard-count==completions"),
        ("serve STORE_URL as a literal password URL", literal_store_url, "no-secret-literals"),
    ]
    for label, mutation, expected in cases:
        with tempfile.TemporaryDirectory(prefix="tokenbench-k8s-selftest-") as tmp:
            tmp_root = Path(tmp)
            shutil.copytree(root / MANIFEST_DIR, tmp_root / MANIFEST_DIR)
            if mutation:
                mutation(tmp_root)
            failure, _ = run_checks(tmp_root, version, lambda line: None)
        if expected is None:
            if failure:
                print("FAIL self-test %s: the unmodified manifests fail: %s" % (label, failure))
                return 1
            print("ok   self-test %-42s passes" % label)
        elif failure is None:
            print("FAIL self-test %s: not caught (every check passed)" % label)
            return 1
        elif failure.check != expected:
            print("FAIL self-test %s: caught by %s, expected %s: %s" % (label, failure.check, expected,
                                                                        failure.message))
            return 1
        else:
            print("ok   self-test %-42s caught by %s: %s" % (label, failure.check, failure.message))
    print("PASS self-test: %d cases" % len(cases))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the repository root (holds deploy/kubernetes)")
    parser.add_argument("--self-test", action="store_true",
                        help="break copies of the manifests and check each break is caught")
    parser.add_argument("-k", "--kubernetes-version", default=KUBERNETES_VERSION,
                        help="Kubernetes version of the schemas (default %(default)s)")
    args = parser.parse_args()
    root = args.root.resolve()
    if not (root / MANIFEST_DIR).is_dir():
        print("FAIL %s has no %s" % (root, MANIFEST_DIR))
        return 1
    if args.self_test:
        return self_test(root, args.kubernetes_version)
    failure, count = run_checks(root, args.kubernetes_version, print)
    if failure:
        print("FAIL %s: %s" % (failure.check, failure.message))
        return 1
    print("PASS %d checks, %s (Kubernetes %s, strict)" % (count, MANIFEST_DIR, args.kubernetes_version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
