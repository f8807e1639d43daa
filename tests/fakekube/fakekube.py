#!/usr/bin/env python3
"""fakekube: a small, stateful, stdlib-only fake Kubernetes API server for e2e tests.

Goal: be "real enough" for kubectl 1.3x and kube-rs (JSON) clients:
  discovery (/api, /apis, /api/v1, /apis/G/V), /version, /openapi/v3 (stub with
  fieldValidation support so `kubectl apply` validates server-side), CRUD + list + watch,
  merge / strategic-merge (approx.) / json-patch / server-side-apply patches, PUT,
  labelSelector & fieldSelector (metadata.name/namespace), Table output for `kubectl get`,
  protobuf request bodies for the few kinds kubectl's typed `create` sub-commands send
  (Namespace, Secret, ConfigMap, ServiceAccount), uid/resourceVersion/creationTimestamp,
  namespace existence checks, 404/409 Status bodies shaped like the real ones,
  TLS, bearer-token and client-certificate auth. No controllers, unless
  --simulate-workloads: then Deployments/StatefulSets/DaemonSets get ready status
  and Running+Ready pods immediately.

Vendored into docrun as tests/fakekube/ from the team's shared test tools; docrun owns this copy.
Changes since: `--port 0` picks a free port (printed on the READY line); TCP_NODELAY on
connections, as Go's net/http sets; `--namespace-deletion-delay SECONDS` keeps a deleted
namespace `Terminating` (with its objects) that long, as the namespace controller does; lists
asked for `as=PartialObjectMetadataList` answer with metadata only; `--discovery-latency SECONDS`
answers each discovery document that much later (a slow but healthy server).

Usage: fakekube.py --port 16443 [--tls-cert c --tls-key k [--client-ca ca]] [--token T]
                   [--k8s-version v1.33.0] [--simulate-workloads] [--log]
                   [--namespace-deletion-delay SECONDS] [--discovery-latency SECONDS]
       (--port 0: any free port, printed on the READY line)
"""
import argparse
import base64
import copy
import datetime
import hashlib
import http.server
import json
import random
import re
import socketserver
import ssl
import string
import sys
import threading
import time
import urllib.parse
import uuid

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# (groupVersion, plural, Kind, namespaced, shortNames, subresources)
BUILTIN = [
    ("v1", "namespaces", "Namespace", False, ["ns"], ["status", "finalize"]),
    ("v1", "secrets", "Secret", True, [], []),
    ("v1", "configmaps", "ConfigMap", True, ["cm"], []),
    ("v1", "pods", "Pod", True, ["po"], ["status", "log", "exec"]),
    ("v1", "services", "Service", True, ["svc"], ["status"]),
    ("v1", "serviceaccounts", "ServiceAccount", True, ["sa"], ["token"]),
    ("v1", "endpoints", "Endpoints", True, ["ep"], []),
    ("v1", "events", "Event", True, ["ev"], []),
    ("v1", "nodes", "Node", False, ["no"], ["status"]),
    ("v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"], ["status"]),
    ("v1", "persistentvolumes", "PersistentVolume", False, ["pv"], ["status"]),
    ("v1", "resourcequotas", "ResourceQuota", True, ["quota"], ["status"]),
    ("v1", "limitranges", "LimitRange", True, ["limits"], []),
    ("apps/v1", "deployments", "Deployment", True, ["deploy"], ["status", "scale"]),
    ("apps/v1", "statefulsets", "StatefulSet", True, ["sts"], ["status", "scale"]),
    ("apps/v1", "daemonsets", "DaemonSet", True, ["ds"], ["status"]),
    ("apps/v1", "replicasets", "ReplicaSet", True, ["rs"], ["status", "scale"]),
    ("batch/v1", "jobs", "Job", True, [], ["status"]),
    ("batch/v1", "cronjobs", "CronJob", True, ["cj"], ["status"]),
    ("rbac.authorization.k8s.io/v1", "roles", "Role", True, [], []),
    ("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True, [], []),
    ("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False, [], []),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False, [], []),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", False,
     ["crd", "crds"], ["status"]),
    ("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations",
     "MutatingWebhookConfiguration", False, [], []),
    ("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations",
     "ValidatingWebhookConfiguration", False, [], []),
    ("networking.k8s.io/v1", "ingresses", "Ingress", True, ["ing"], ["status"]),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True, ["netpol"], []),
    ("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"], ["status"]),
    ("authorization.k8s.io/v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, [], []),
    ("authentication.k8s.io/v1", "selfsubjectreviews", "SelfSubjectReview", False, [], []),
    ("coordination.k8s.io/v1", "leases", "Lease", True, [], []),
    ("storage.k8s.io/v1", "storageclasses", "StorageClass", False, ["sc"], []),
    ("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", True, [], []),
    ("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ["hpa"], ["status"]),
]


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            s["details"] = self.details
        return s


def not_found(res, name):
    return ApiError(404, "NotFound", f'{res.plural}{res.gsuffix} "{name}" not found',
                    {"name": name, "group": res.group, "kind": res.plural})


class Resource:
    def __init__(self, gv, plural, kind, namespaced, short=(), subs=(), singular=None, crd=False):
        self.gv, self.plural, self.kind, self.namespaced = gv, plural, kind, namespaced
        self.group = gv.rsplit("/", 1)[0] if "/" in gv else ""
        self.version = gv.rsplit("/", 1)[-1]
        self.short, self.subs = list(short), list(subs)
        self.singular = singular or kind.lower()
        self.gsuffix = f".{self.group}" if self.group else ""
        self.crd = crd

    def discovery(self):
        out = [{"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                "kind": self.kind, "verbs": VERBS, **({"shortNames": self.short} if self.short else {})}]
        for s in self.subs:
            out.append({"name": f"{self.plural}/{s}", "singularName": "", "namespaced": self.namespaced,
                        "kind": "Scale" if s == "scale" else self.kind, "verbs": ["get", "patch", "update"]})
        return out


# ----------------------------------------------------------------------------------- protobuf
def _varint(b, i):
    shift = res = 0
    while True:
        c = b[i]; i += 1
        res |= (c & 0x7F) << shift
        if not c & 0x80:
            return res, i
        shift += 7


def pb_fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i); v = b[i:i + n]; i += n
        elif wt == 1:
            v = b[i:i + 8]; i += 8
        elif wt == 5:
            v = b[i:i + 4]; i += 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        out.append((f, v))
    return out


def _pb_map(v, bytes_value=False):
    kv = dict(pb_fields(v))
    k = kv.get(1, b"").decode()
    val = kv.get(2, b"")
    return k, (base64.b64encode(val).decode() if bytes_value else val.decode())


def pb_objectmeta(b):
    m = {}
    for f, v in pb_fields(b):
        if f in (1, 2, 3, 5, 6):
            if v:
                    m[{1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}[f]] = v.decode()
        elif f in (11, 12):
            k, val = _pb_map(v)
            m.setdefault("labels" if f == 11 else "annotations", {})[k] = val
        elif f == 14:
            m.setdefault("finalizers", []).append(v.decode())
    return m


def pb_decode(body):
    """Decode a k8s protobuf envelope for the kinds kubectl's typed create commands send."""
    if not body.startswith(b"k8s\x00"):
        raise ApiError(415, "UnsupportedMediaType", "protobuf body without k8s magic")
    unk = pb_fields(body[4:])
    tm = dict(pb_fields(dict(unk).get(1, b"")))
    api_version, kind = tm.get(1, b"").decode(), tm.get(2, b"").decode()
    raw = dict(unk).get(2, b"")
    obj = {"apiVersion": api_version, "kind": kind}
    for f, v in pb_fields(raw):
        if f == 1:
            obj["metadata"] = pb_objectmeta(v)
        elif kind == "Secret":
            if f == 2:
                k, val = _pb_map(v, True); obj.setdefault("data", {})[k] = val
            elif f == 3 and v:
                obj["type"] = v.decode()
            elif f == 4:
                k, val = _pb_map(v); obj.setdefault("stringData", {})[k] = val
            elif f == 5:
                obj["immutable"] = bool(v)
        elif kind == "ConfigMap":
            if f == 2:
                k, val = _pb_map(v); obj.setdefault("data", {})[k] = val
            elif f == 3:
                k, val = _pb_map(v, True); obj.setdefault("binaryData", {})[k] = val
            elif f == 4:
                obj["immutable"] = bool(v)
        elif kind == "Namespace":
            if f == 2:
                fin = [x.decode() for ff, x in pb_fields(v) if ff == 1]
                obj["spec"] = {"finalizers": fin} if fin else {}
        elif kind == "ServiceAccount":
            if f == 4:
                obj["automountServiceAccountToken"] = bool(v)
        else:
            raise ApiError(415, "UnsupportedMediaType",
                           f"fakekube cannot decode protobuf for kind {kind!r}; send JSON "
                           f"(e.g. `kubectl create ... --dry-run=client -o yaml | kubectl apply -f -`)")
    return obj


# ------------------------------------------------------------------------------------ patches
def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath", "ip", "type", "topologyKey")


def strategic_merge(target, patch):
    """Approximation of strategic-merge-patch: dicts merge, lists of dicts merge by a known key."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and isinstance(out.get(k), list):
            mk = next((m for m in MERGE_KEYS if all(m in x for x in v)), None)
            if mk is None:
                out[k] = copy.deepcopy(v)
                continue
            cur = [dict(x) for x in out[k]]
            for item in v:
                idx = next((i for i, x in enumerate(cur) if x.get(mk) == item.get(mk)), None)
                if item.get("$patch") == "delete":
                    if idx is not None:
                        cur.pop(idx)
                elif idx is None:
                    cur.append(strategic_merge({}, item))
                else:
                    cur[idx] = strategic_merge(cur[idx], item)
            out[k] = cur
        else:
            out[k] = strategic_merge(out.get(k), v)
    return out


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)

    def walk(path):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
        cur = doc
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]

    for op in ops:
        parent, key = walk(op["path"])
        o = op["op"]
        if o in ("add", "replace"):
            if isinstance(parent, list):
                if key == "-":
                    parent.append(op["value"])
                elif o == "add":
                    parent.insert(int(key), op["value"])
                else:
                    parent[int(key)] = op["value"]
            else:
                parent[key] = op["value"]
        elif o == "remove":
            del parent[int(key) if isinstance(parent, list) else key]
        elif o == "test":
            if (parent[int(key)] if isinstance(parent, list) else parent.get(key)) != op["value"]:
                raise ApiError(422, "Invalid", f"json patch test failed at {op['path']}")
        else:
            raise ApiError(400, "BadRequest", f"unsupported json-patch op {o}")
    return doc


# -------------------------------------------------------------------------------- selectors
def label_match(labels, selector):
    if not selector:
        return True
    labels = labels or {}
    for term in re.split(r",(?![^()]*\))", selector):
        term = term.strip()
        m = re.match(r"^([\w./-]+)\s+(in|notin)\s+\((.*)\)$", term)
        if m:
            vals = {x.strip() for x in m.group(3).split(",")}
            has = labels.get(m.group(1)) in vals
            if (m.group(2) == "in") != has:
                return False
        elif "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_match(obj, selector):
    if not selector:
        return True
    for term in selector.split(","):
        neg = "!=" in term
        k, v = term.replace("==", "=").split("!=" if neg else "=", 1)
        cur = obj
        for p in k.strip().split("."):
            cur = cur.get(p) if isinstance(cur, dict) else None
        if (str(cur if cur is not None else "") == v.strip()) == neg:
            return False
    return True


# --------------------------------------------------------------------------------- defaults
def apply_defaults(res, obj, old=None):
    """The defaults a real API server fills in on every write of a Deployment or a Service (a
    subset: enough that a manifest and the stored object differ as they do on a real cluster,
    so that a client comparing them without a dry run would see false changes). A Service keeps
    the clusterIP it was given first."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if res.kind == "Deployment":
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy.setdefault("type", "RollingUpdate")
            strategy.setdefault("rollingUpdate", {"maxUnavailable": "25%", "maxSurge": "25%"})
        pod = spec.get("template", {}).get("spec")
        if isinstance(pod, dict):
            pod.setdefault("restartPolicy", "Always")
            pod.setdefault("dnsPolicy", "ClusterFirst")
            pod.setdefault("schedulerName", "default-scheduler")
            pod.setdefault("terminationGracePeriodSeconds", 30)
            pod.setdefault("securityContext", {})
            for c in pod.get("containers", []) or []:
                if isinstance(c, dict):
                    c.setdefault("terminationMessagePath", "/dev/termination-log")
                    c.setdefault("terminationMessagePolicy", "File")
                    image = c.get("image", "")
                    latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
                    c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
                    for p in c.get("ports", []) or []:
                        if isinstance(p, dict):
                            p.setdefault("protocol", "TCP")
    if res.kind == "Service":
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        if spec["type"] != "ExternalName":
            kept = (old or {}).get("spec", {}).get("clusterIP")
            ip = spec.setdefault("clusterIP", kept or "10.96.%d.%d" % (random.randint(0, 255), random.randint(1, 254)))
            spec.setdefault("clusterIPs", [ip])
        for p in spec.get("ports", []) or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                p.setdefault("targetPort", p.get("port"))


# The fields of a few kinds, for fieldValidation=Strict (top level, and the spec's first level).
DECLARED = {
    "Deployment": ({"apiVersion", "kind", "metadata", "spec", "status"},
                   {"replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit",
                    "paused", "progressDeadlineSeconds"}),
    "Service": ({"apiVersion", "kind", "metadata", "spec", "status"},
                {"ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity",
                 "loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy",
                 "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies",
                 "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy",
                 "trafficDistribution"}),
    "ConfigMap": ({"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}, None),
    "Secret": ({"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"}, None),
    "ServiceAccount": ({"apiVersion", "kind", "metadata", "secrets", "imagePullSecrets",
                        "automountServiceAccountToken"}, None),
    "Namespace": ({"apiVersion", "kind", "metadata", "spec", "status"}, {"finalizers"}),
}


def strict_fields(res, obj, apply=False):
    """fieldValidation=Strict for the kinds in DECLARED: an unknown field is refused with the
    API server's words (server-side apply's, or a create's or update's)."""
    declared = DECLARED.get(res.kind)
    if not declared or not isinstance(obj, dict):
        return
    top, spec = declared
    unknown = [k for k in obj if k not in top]
    if spec is not None and isinstance(obj.get("spec"), dict):
        unknown += ["spec." + k for k in obj["spec"] if k not in spec]
    if not unknown:
        return
    if apply:
        raise ApiError(400, "BadRequest", f'failed to create typed patch object ({obj.get("metadata", {}).get("namespace", "")}/'
                       f'{obj.get("metadata", {}).get("name", "")}; {res.gv}, Kind={res.kind}): '
                       f'.{unknown[0]}: field not declared in schema')
    raise ApiError(400, "BadRequest", f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                   f'strict decoding error: ' + ", ".join(f'unknown field "{u}"' for u in unknown))


def delete_dry_run(body):
    """Whether a delete's DeleteOptions body asks for a dry run (clients such as kube-rs send
    `dryRun: ["All"]` there rather than in the query)."""
    return isinstance(body, dict) and body.get("dryRun") == ["All"]


# ------------------------------------------------------------------------------------ store
class Store:
    def __init__(self, simulate=False):
        self.lock = threading.Condition()
        self.rv = 0
        self.objs = {}      # (gv, plural, ns, name) -> obj
        self.events = []    # (rv, gv, plural, type, obj)
        self.resources = {}  # (gv, plural) -> Resource
        self.simulate = simulate
        for gv, plural, kind, nsd, short, subs in BUILTIN:
            self.resources[(gv, plural)] = Resource(gv, plural, kind, nsd, short, subs)
        with self.lock:
          for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.create(self.resources[("v1", "namespaces")], None, {"metadata": {"name": ns}})

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def emit(self, res, typ, obj):
        self.events.append((self.rv, res.gv, res.plural, typ, copy.deepcopy(obj)))
        del self.events[:-5000]
        self.lock.notify_all()

    def key(self, res, ns, name):
        return (res.gv, res.plural, ns if res.namespaced else None, name)

    def get(self, res, ns, name):
        o = self.objs.get(self.key(res, ns, name))
        if o is None:
            raise not_found(res, name)
        return o

    def list(self, res, ns, lsel=None, fsel=None):
        items = [o for (gv, pl, n, _), o in sorted(((k, o) for k, o in self.objs.items()
                                                    if k[0] == res.gv and k[1] == res.plural),
                                                   key=lambda kv: str(kv[0]))
                 if ns is None or n == ns]
        return [o for o in items if label_match(o["metadata"].get("labels"), lsel) and field_match(o, fsel)]

    def check_ns(self, res, ns):
        if res.namespaced and self.key(self.resources[("v1", "namespaces")], None, ns) not in self.objs:
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found',
                           {"name": ns, "kind": "namespaces"})

    def normalize(self, res, ns, obj, old=None, dry=False):
        obj["apiVersion"], obj["kind"] = res.gv, res.kind
        md = obj.setdefault("metadata", {})
        if res.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if old is None:
            md["uid"] = str(uuid.uuid4())
            md["creationTimestamp"] = now_iso()
            if "spec" in obj or res.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
                md["generation"] = 1
        else:
            for k in ("uid", "creationTimestamp", "generation"):
                if k in old["metadata"]:
                    md[k] = old["metadata"][k]
            if "generation" in md and obj.get("spec") != old.get("spec"):
                md["generation"] += 1
        if res.kind == "Secret":
            obj.setdefault("type", "Opaque")
            for k, v in (obj.pop("stringData", None) or {}).items():
                obj.setdefault("data", {})[k] = base64.b64encode(v.encode()).decode()
        if res.kind == "Namespace":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
        apply_defaults(res, obj, old)
        md["resourceVersion"] = (old["metadata"]["resourceVersion"] if old else "0") if dry else self.next_rv()
        return obj

    def create(self, res, ns, obj, dry=False):
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
        name = md.get("name")
        if not name:
            raise ApiError(422, "Invalid", f"{res.kind} is invalid: metadata.name: Required value: name or generateName is required")
        if res.namespaced and md.get("namespace") and ns and md["namespace"] != ns:
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
        ns = ns or md.get("namespace") or ("default" if res.namespaced else None)
        self.check_ns(res, ns)
        self.check_not_terminating(res, ns)
        k = self.key(res, ns, name)
        if k in self.objs:
            raise ApiError(409, "AlreadyExists", f'{res.plural}{res.gsuffix} "{name}" already exists',
                           {"name": name, "group": res.group, "kind": res.plural})
        if dry:
            return self.normalize(res, ns, obj, dry=True)
        obj = self.normalize(res, ns, obj)
        self.objs[k] = obj
        self.emit(res, "ADDED", obj)
        self.after_write(res, ns, obj)
        return obj

    def update(self, res, ns, name, obj, dry=False, sub=None):
        old = self.get(res, ns, name)
        want = obj.get("metadata", {}).get("resourceVersion")
        if want and want != old["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.plural}{res.gsuffix} "{name}": '
                           "the object has been modified; please apply your changes to the latest version and try again",
                           {"name": name, "group": res.group, "kind": res.plural})
        obj = copy.deepcopy(obj)
        obj.setdefault("metadata", {})["name"] = name
        if sub == "status":
            obj = dict(old, status=obj.get("status"))
        elif "status" in old and sub is None:
            obj["status"] = old["status"]
        if old.get("immutable") and (obj.get("data") != old.get("data")):
            raise ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: data: Forbidden: field is immutable when `immutable` is set')
        obj = self.normalize(res, ns, obj, old=old, dry=dry)
        if not dry:
            self.objs[self.key(res, ns, name)] = obj
            self.emit(res, "MODIFIED", obj)
            self.after_write(res, ns, obj)
        return obj

    def delete(self, res, ns, name, dry=False):
        obj = self.get(res, ns, name)
        if res.kind == "Namespace" and name in ("default", "kube-system", "kube-public"):
            raise ApiError(403, "Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                           {"name": name, "kind": "namespaces"})
        if dry:
            return obj
        if res.kind == "Namespace" and self.ns_deletion_delay > 0:
            return self.start_terminating(res, obj)
        del self.objs[self.key(res, ns, name)]
        self.next_rv()
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.emit(res, "DELETED", obj)
        if res.kind == "Namespace":  # cascade (real: Terminating phase first)
            for k in [k for k in self.objs if k[2] == name]:
                r = self.resources.get((k[0], k[1]))
                if r:
                    self.delete(r, name, k[3])
        if res.kind == "CustomResourceDefinition":
            for v in obj.get("spec", {}).get("versions", []):
                self.resources.pop((f"{obj['spec']['group']}/{v['name']}", obj["spec"]["names"]["plural"]), None)
        for k, o in list(self.objs.items()):  # ownerReference GC (foreground-ish, immediate)
            if any(r.get("uid") == obj["metadata"].get("uid") for r in o["metadata"].get("ownerReferences", [])):
                r = self.resources.get((k[0], k[1]))
                if r and k in self.objs:
                    self.delete(r, k[2], k[3])
        return obj

    # A namespace being deleted, as a real API server keeps it: `Terminating` with a
    # deletionTimestamp while the namespace controller empties it, gone only after
    # --namespace-deletion-delay seconds. Its objects stay listable until then; new ones are refused.
    ns_deletion_delay = 0.0

    def start_terminating(self, res, obj):
        name = obj["metadata"]["name"]
        if obj["metadata"].get("deletionTimestamp"):
            return obj
        obj = copy.deepcopy(obj)
        obj["metadata"]["deletionTimestamp"] = now_iso()
        obj["status"] = {"phase": "Terminating"}
        obj["metadata"]["resourceVersion"] = self.next_rv()
        self.objs[self.key(res, None, name)] = obj
        self.emit(res, "MODIFIED", obj)

        def finish():
            with self.lock:
                if self.key(res, None, name) in self.objs:
                    delay, self.ns_deletion_delay = self.ns_deletion_delay, 0
                    try:
                        self.delete(res, None, name)
                    finally:
                        self.ns_deletion_delay = delay
        timer = threading.Timer(self.ns_deletion_delay, finish)
        timer.daemon = True
        timer.start()
        return obj

    def check_not_terminating(self, res, ns):
        if not res.namespaced:
            return
        n = self.objs.get(self.key(self.resources[("v1", "namespaces")], None, ns))
        if n is not None and n["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", f'{res.plural}{res.gsuffix} is forbidden: unable to create new content '
                           f'in namespace {ns} because it is being terminated', {"kind": res.plural})

    def after_write(self, res, ns, obj):
        if res.kind == "CustomResourceDefinition":
            spec = obj.get("spec", {})
            names = spec.get("names", {})
            for v in spec.get("versions", []):
                if v.get("served", True):
                    gv = f"{spec['group']}/{v['name']}"
                    self.resources[(gv, names["plural"])] = Resource(
                        gv, names["plural"], names["kind"], spec.get("scope") == "Namespaced",
                        names.get("shortNames", []), ["status"] if v.get("subresources", {}).get("status") is not None else [],
                        names.get("singular"), crd=True)
            obj["status"] = {"conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                                             "lastTransitionTime": now_iso(), "message": "the initial names have been accepted"},
                                            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                                             "lastTransitionTime": now_iso(), "message": "no conflicts found"}],
                             "acceptedNames": names, "storedVersions": [v["name"] for v in spec.get("versions", []) if v.get("storage")]}
        if self.simulate and res.kind in ("Deployment", "StatefulSet", "DaemonSet"):
            self.simulate_workload(res, ns, obj)

    def simulate_workload(self, res, ns, obj):
        spec = obj.get("spec", {})
        n = 1 if res.kind == "DaemonSet" else spec.get("replicas", 1)
        tpl = spec.get("template", {})
        pods = self.resources[("v1", "pods")]
        owned = [o for o in self.list(pods, ns) if any(r.get("uid") == obj["metadata"]["uid"]
                                                       for r in o["metadata"].get("ownerReferences", []))]
        for p in owned[n:]:
            self.delete(pods, ns, p["metadata"]["name"])
        h = hashlib.sha1(json.dumps(tpl, sort_keys=True).encode()).hexdigest()[:10]
        for i in range(len(owned), n):
            name = (f"{obj['metadata']['name']}-{i}" if res.kind == "StatefulSet" else
                    f"{obj['metadata']['name']}-{h}-{''.join(random.choices(string.ascii_lowercase + string.digits, k=5))}")
            t = now_iso()
            pod = {"metadata": {"name": name, "labels": dict(tpl.get("metadata", {}).get("labels", {})),
                                "ownerReferences": [{"apiVersion": res.gv, "kind": res.kind, "name": obj["metadata"]["name"],
                                                     "uid": obj["metadata"]["uid"], "controller": True}]},
                   "spec": copy.deepcopy(tpl.get("spec", {})),
                   "status": {"phase": "Running", "podIP": f"10.0.0.{random.randint(2, 250)}", "startTime": t,
                              "conditions": [{"type": c, "status": "True", "lastTransitionTime": t}
                                             for c in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                              "containerStatuses": [{"name": c.get("name"), "image": c.get("image"), "ready": True,
                                                     "started": True, "restartCount": 0, "state": {"running": {"startedAt": t}}}
                                                    for c in tpl.get("spec", {}).get("containers", [])]}}
            pod["spec"]["nodeName"] = "fake-node"
            self.create(pods, ns, pod)
        t = now_iso()
        st = {"observedGeneration": obj["metadata"].get("generation", 1), "replicas": n, "readyReplicas": n,
              "availableReplicas": n, "updatedReplicas": n}
        if res.kind == "Deployment":
            st["conditions"] = [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastUpdateTime": t, "lastTransitionTime": t},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastUpdateTime": t, "lastTransitionTime": t}]
        elif res.kind == "StatefulSet":
            st.update(currentReplicas=n, currentRevision=f"{obj['metadata']['name']}-{h}", updateRevision=f"{obj['metadata']['name']}-{h}")
        else:
            st = {"observedGeneration": st["observedGeneration"], "currentNumberScheduled": n, "desiredNumberScheduled": n,
                  "numberAvailable": n, "numberReady": n, "updatedNumberScheduled": n, "numberMisscheduled": 0}
        if obj.get("status") != st:
            obj["status"] = st
            obj["metadata"]["resourceVersion"] = self.next_rv()
            self.emit(res, "MODIFIED", obj)


# ------------------------------------------------------------------------------------- HTTP
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakekube"
    # TCP_NODELAY, as Go's net/http (so the real API server) sets: without it, a response written
    # as headers then body waits for the client's delayed ACK (~40 ms) on keep-alive connections.
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.opts.log:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self): self.dispatch("GET")
    def do_POST(self): self.dispatch("POST")
    def do_PUT(self): self.dispatch("PUT")
    def do_PATCH(self): self.dispatch("PATCH")
    def do_DELETE(self): self.dispatch("DELETE")

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        raw = self._raw
        if not raw:
            return None
        ct = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ct == "application/vnd.kubernetes.protobuf":
            return pb_decode(raw)
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(415, "UnsupportedMediaType", f"fakekube only understands JSON (got {ct})")

    def dispatch(self, method):
        st = self.server.store
        opts = self.server.opts
        n = int(self.headers.get("Content-Length") or 0)
        self._raw = self.rfile.read(n) if n else b""
        try:
            if opts.token and self.headers.get("Authorization") != f"Bearer {opts.token}":
                if not (opts.client_ca and self.connection.getpeercert()):
                    raise ApiError(401, "Unauthorized", "Unauthorized")
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            path = u.path.rstrip("/") or "/"
            if opts.discovery_latency and method == "GET" and DISCOVERY_PATH.fullmatch(path):
                time.sleep(opts.discovery_latency)
            with st.lock:
                out = self.route(method, path, q, st)
            if out is not None:
                self.send_json(*out)
        except ApiError as e:
            self.send_json(e.code, e.status())
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # noqa
            import traceback; traceback.print_exc()
            self.send_json(500, ApiError(500, "InternalError", f"fakekube: {e!r}").status())

    # --------------------------------------------------------------------------- routing
    def route(self, method, path, q, st):
        o = self.server.opts
        if path == "/version":
            mj, mn = o.k8s_version.lstrip("v").split(".")[:2]
            return 200, {"major": mj, "minor": mn, "gitVersion": o.k8s_version, "gitCommit": "0" * 40,
                         "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24.0",
                         "compiler": "gc", "platform": "linux/amd64"}
        if path in ("/healthz", "/readyz", "/livez"):
            return self.text("ok")
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{o.port}"}]}
        groups = {}
        for r in st.resources.values():
            if r.group:
                groups.setdefault(r.group, [])
                if r.version not in groups[r.group]:
                    groups[r.group].append(r.version)

        def group_doc(g):
            vs = [{"groupVersion": f"{g}/{v}", "version": v} for v in groups[g]]
            return {"name": g, "versions": vs, "preferredVersion": vs[0]}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group_doc(g) for g in groups]}
        if path == "/openapi/v3":
            return 200, {"paths": {("api/v1" if gv == "v1" else f"apis/{gv}"): {"serverRelativeURL": f"/openapi/v3/{'api/v1' if gv == 'v1' else 'apis/' + gv}?hash={st.rv}"}
                                   for gv in {r.gv for r in st.resources.values()}}}
        if path.startswith("/openapi/v3/"):
            gv = path[len("/openapi/v3/"):].removeprefix("api/").removeprefix("apis/")
            return 200, self.openapi_gv(gv, st)
        if method == "POST" and path in ("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                         "/apis/authentication.k8s.io/v1/selfsubjectreviews"):
            try:
                body = self.read_body() or {}
            except ApiError:  # protobuf spec we do not decode; the answer does not depend on it
                body = {}
            body["apiVersion"] = path.split("/")[2] + "/v1"
            body["kind"] = "SelfSubjectAccessReview" if path.endswith("accessreviews") else "SelfSubjectReview"
            if path.endswith("accessreviews"):
                body["status"] = {"allowed": True, "reason": "fakekube allows everything"}
            else:
                body["status"] = {"userInfo": {"username": "fakekube-admin", "groups": ["system:masters", "system:authenticated"]}}
            return 201, body
        if path == "/" or path.startswith("/openapi"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            gv, rest = "v1", parts[2:] if len(parts) > 1 and parts[1] == "v1" else None
        elif parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                if parts[1] in groups:
                    return 200, dict(group_doc(parts[1]), kind="APIGroup", apiVersion="v1")
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            rest = None
        if rest is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            rs = [r for r in st.resources.values() if r.gv == gv]
            if not rs:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                         "resources": [d for r in rs for d in r.discovery()]}
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            ns, rest = rest[1], rest[2:]
        res = st.resources.get((gv, rest[0]))
        if res is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = "/".join(rest[2:]) or None
        dry = q.get("dryRun") == "All"
        if method == "GET" and q.get("watch") in ("1", "true"):
            return self.watch(st, res, ns, name, q)
        if name is None:
            if method == "GET":
                return self.list_response(st, res, ns, q)
            if method == "POST":
                body = self.read_body() or {}
                if q.get("fieldValidation") == "Strict":
                    strict_fields(res, body)
                return 201, st.create(res, ns, body, dry)
            if method == "DELETE":
                dry = dry or delete_dry_run(self.read_body())
                items = st.list(res, ns, q.get("labelSelector"), q.get("fieldSelector"))
                for it in items:
                    st.delete(res, it["metadata"].get("namespace"), it["metadata"]["name"], dry)
                return 200, {"kind": f"{res.kind}List", "apiVersion": res.gv, "metadata": {"resourceVersion": str(st.rv)}, "items": items}
            raise ApiError(405, "MethodNotAllowed", f"method {method} not allowed")
        if sub == "log" and method == "GET":
            st.get(res, ns, name)
            return self.text("")
        if sub == "scale":
            obj = st.get(res, ns, name)
            scale = {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": name, "namespace": ns, "resourceVersion": obj["metadata"]["resourceVersion"]},
                     "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)}, "status": {"replicas": obj.get("status", {}).get("replicas", 0)}}
            if method == "GET":
                return 200, scale
            body = self.read_body() or {}
            new = json_patch(scale, body) if isinstance(body, list) else merge_patch(scale, body)
            obj = copy.deepcopy(obj)
            obj["spec"]["replicas"] = new["spec"]["replicas"]
            obj["metadata"].pop("resourceVersion", None)
            st.update(res, ns, name, obj, dry)
            return 200, new
        if method == "GET":
            return 200, st.get(res, ns, name)
        if method == "PUT":
            return 200, st.update(res, ns, name, self.read_body() or {}, dry, sub)
        if method == "DELETE":
            return 200, st.delete(res, ns, name, dry or delete_dry_run(self.read_body()))
        if method == "PATCH":
            ct = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            body = self.read_body()
            if ct == "application/apply-patch+yaml" and q.get("fieldValidation") == "Strict":
                strict_fields(res, body, apply=True)
            if ct == "application/apply-patch+yaml":
                try:
                    cur = st.get(res, ns, name)
                except ApiError as e:
                    if e.code != 404:
                        raise
                    body.setdefault("metadata", {})["name"] = name
                    return 201, st.create(res, ns, body, dry)
                new = strategic_merge(cur, body)
            else:
                cur = st.get(res, ns, name)
                if ct == "application/json-patch+json":
                    new = json_patch(cur, body)
                elif ct == "application/strategic-merge-patch+json":
                    new = strategic_merge(cur, body)
                else:
                    new = merge_patch(cur, body)
            new = copy.deepcopy(new)
            new["metadata"].pop("resourceVersion", None)
            return 200, st.update(res, ns, name, new, dry, sub if sub == "status" else "patch")
        raise ApiError(405, "MethodNotAllowed", f"method {method} not allowed")

    def text(self, s):
        b = s.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
        return None

    def openapi_gv(self, gv, st):
        paths = {}
        for r in st.resources.values():
            if r.gv != gv:
                continue
            base = ("/api/v1" if gv == "v1" else f"/apis/{gv}") + ("/namespaces/{namespace}" if r.namespaced else "")
            g, v = (r.group, r.version)
            paths[f"{base}/{r.plural}/{{name}}"] = {"patch": {
                "x-kubernetes-group-version-kind": {"group": g, "version": v, "kind": r.kind},
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}}}}
        return {"openapi": "3.0.0", "info": {"title": "fakekube", "version": "v0"}, "paths": paths}

    def list_response(self, st, res, ns, q):
        items = st.list(res, ns, q.get("labelSelector"), q.get("fieldSelector"))
        accept = self.headers.get("Accept") or ""
        if "as=Table" in accept:
            return 200, self.table(res, items, st)
        if "as=PartialObjectMetadataList" in accept:
            return 200, metadata_list(items, st)
        return 200, {"kind": f"{res.kind}List", "apiVersion": res.gv,
                     "metadata": {"resourceVersion": str(st.rv)}, "items": items}

    def table(self, res, items, st):
        def age(o):
            t = o["metadata"].get("creationTimestamp")
            if not t:
                return "<unknown>"
            s = int(time.time() - datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
            return f"{s}s" if s < 120 else f"{s // 60}m" if s < 7200 else f"{s // 3600}h"
        cols = [("Name", "string")]
        extra = []
        if res.kind == "Namespace":
            cols.append(("Status", "string")); extra = [lambda o: o.get("status", {}).get("phase", "")]
        elif res.kind == "Pod":
            cols += [("Ready", "string"), ("Status", "string"), ("Restarts", "string")]
            extra = [lambda o: "%d/%d" % (sum(1 for c in o.get("status", {}).get("containerStatuses", []) if c.get("ready")),
                                          len(o.get("spec", {}).get("containers", []))),
                     lambda o: o.get("status", {}).get("phase", "Pending"), lambda o: "0"]
        elif res.kind == "Deployment":
            cols += [("Ready", "string"), ("Up-to-date", "integer"), ("Available", "integer")]
            extra = [lambda o: "%d/%d" % (o.get("status", {}).get("readyReplicas", 0), o.get("spec", {}).get("replicas", 1)),
                     lambda o: o.get("status", {}).get("updatedReplicas", 0), lambda o: o.get("status", {}).get("availableReplicas", 0)]
        elif res.kind == "Secret":
            cols += [("Type", "string"), ("Data", "string")]
            extra = [lambda o: o.get("type", ""), lambda o: len(o.get("data") or {})]
        elif res.kind == "ConfigMap":
            cols.append(("Data", "string")); extra = [lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})]
        cols.append(("Age", "string"))
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(st.rv)},
                "columnDefinitions": [{"name": n, "type": t, "format": "name" if n == "Name" else "", "description": "", "priority": 0} for n, t in cols],
                "rows": [{"cells": [o["metadata"]["name"], *[f(o) for f in extra], age(o)],
                          "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}}
                         for o in items]}

    def watch(self, st, res, ns, name, q):
        fsel = q.get("fieldSelector")
        if name:
            fsel = f"metadata.name={name}" + (f",{fsel}" if fsel else "")
        lsel = q.get("labelSelector")
        rv = q.get("resourceVersion")
        timeout = float(q.get("timeoutSeconds") or 1800)
        deadline = time.time() + timeout
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(ev):
            b = json.dumps(ev).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.flush()

        def matches(o):
            return ((ns is None or o["metadata"].get("namespace") == ns) and
                    label_match(o["metadata"].get("labels"), lsel) and field_match(o, fsel))
        try:
            if not rv or rv == "0":
                for o in st.list(res, ns, lsel, fsel):
                    send({"type": "ADDED", "object": o})
                pos = st.rv
            else:
                pos = int(rv)
            while time.time() < deadline:
                for (erv, gv, pl, typ, o) in [e for e in st.events if e[0] > pos]:
                    pos = max(pos, erv)
                    if gv == res.gv and pl == res.plural and matches(o):
                        send({"type": typ, "object": o})
                pos = max(pos, st.rv)
                st.lock.wait(timeout=min(1.0, max(0.01, deadline - time.time())))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        self.close_connection = True
        return None


def metadata_list(items, st):
    """What `Accept: ...;as=PartialObjectMetadataList` gets: each object's metadata only."""
    return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": str(st.rv)},
            "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}
                      for o in items]}


# Discovery documents: /api, /apis, /api/v1, /apis/GROUP/VERSION.
DISCOVERY_PATH = re.compile(r"/api|/apis|/api/v1|/apis/[^/]+/[^/]+")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=16443, help="0: let the OS pick a free port (printed on READY)")
    p.add_argument("--tls-cert"); p.add_argument("--tls-key")
    p.add_argument("--client-ca", help="accept (and, without --token, require) client certs from this CA")
    p.add_argument("--token", help="require this bearer token (or a valid client cert if --client-ca)")
    p.add_argument("--k8s-version", default="v1.33.0")
    p.add_argument("--simulate-workloads", action="store_true")
    p.add_argument("--log", action="store_true")
    p.add_argument("--discovery-latency", type=float, default=0.0, metavar="SECONDS",
                   help="answer each discovery document (/api, /apis, /api/v1, /apis/G/V) this much later")
    p.add_argument("--namespace-deletion-delay", type=float, default=0.0, metavar="SECONDS",
                   help="a deleted namespace stays Terminating this long before it and its objects go")
    o = p.parse_args()
    srv = Server((o.host, o.port), Handler)
    o.port = srv.server_address[1]  # the real port when --port 0
    srv.opts, srv.store = o, Store(o.simulate_workloads)
    srv.store.ns_deletion_delay = o.namespace_deletion_delay
    if o.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(o.tls_cert, o.tls_key)
        ctx.set_alpn_protocols(["http/1.1"])
        if o.client_ca:
            ctx.load_verify_locations(o.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL if o.token else ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(f"READY {'https' if o.tls_cert else 'http'}://{o.host}:{o.port}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
