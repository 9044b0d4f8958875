"""CertificateSigningRequests (certificates.k8s.io/v1): upstream's `pkg/registry/certificates/certificates`
(three strategies: main, /status, /approval), `pkg/apis/certificates/validation` and
`printCertificateSigningRequest`.

The requester's identity is stamped on the spec at creation and the spec never changes after; the
Approved/Denied conditions move only through /approval and the issued certificate only through
/status, which keeps approving and signing separate concerns. Validation tolerates problems the
stored object already has, as upstream does for compatibility.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    LazyText,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
    field_doc,
)
from uwernetes.machinery import duration, errors, field, meta, validation
from uwernetes.machinery.field import FieldError, Path

LEGACY_UNKNOWN_SIGNER = "kubernetes.io/legacy-unknown"
APPROVED, DENIED, FAILED = "Approved", "Denied", "Failed"
# Condition types that may only ever be True.
TRUE_ONLY_TYPES = (APPROVED, DENIED, FAILED)
ALL_STATUSES = ["False", "True", "Unknown"]
VALID_USAGES = sorted([
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
    "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth",
    "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
    "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
])
MIN_EXPIRATION_SECONDS = 600
DNS1123_SUBDOMAIN_MAX = 253
DNS1123_LABEL_MAX = 63

_PEM_RE = re.compile(r"-----BEGIN ([^\n-]*)-----\r?\n(.*?)-----END \1-----", re.S)


# --- bytes fields (JSON base64) ---

def _b64(value: Any) -> bytes | None:
    """Decode a []byte field; None when absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        return b""
    return base64.b64decode(value, validate=True)


def _bad_base64_at(text: str) -> int:
    """The offset Go's base64 decoder reports for corrupt input."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    stripped = text.rstrip("=")
    for i, ch in enumerate(stripped):
        if ch not in alphabet:
            return i
    return len(stripped)


def check_base64_fields(csr: Obj) -> None:
    """Go's JSON decoding rejects undecodable []byte fields before anything else runs (400)."""
    for value in ((csr.get("spec") or {}).get("request"), (csr.get("status") or {}).get("certificate")):
        if isinstance(value, str):
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise errors.bad_request(
                    'CertificateSigningRequest in version "v1" cannot be handled as a CertificateSigningRequest: '
                    f"illegal base64 data at input byte {_bad_base64_at(value)}"
                ) from None


def go_bytes(data: bytes | None) -> common.GoLiteral:
    """`%#v` of a []byte, as upstream prints an invalid spec.request."""
    if data is None:
        return common.GoLiteral("[]byte(nil)")
    return common.GoLiteral("[]byte{" + ", ".join(f"0x{b:x}" for b in data) + "}")


# --- PEM and x509 checks ---

@dataclass
class PemBlock:
    type: str
    headers: bool
    der: bytes


def pem_blocks(data: bytes) -> list[PemBlock]:
    """Go's repeated pem.Decode: every well-formed block, in order."""
    text = data.decode("latin-1")
    out: list[PemBlock] = []
    for m in _PEM_RE.finditer(text):
        body = m.group(2)
        has_headers = ":" in body.split("\n\n", 1)[0] if "\n\n" in body else False
        if has_headers:
            body = body.split("\n\n", 1)[1]
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        out.append(PemBlock(m.group(1), has_headers, der))
    return out


def check_csr(request: bytes | None) -> str | None:
    """ParseCSR plus CheckSignature: the error text, or None when the request is good."""
    blocks = pem_blocks(request or b"")
    if not blocks or blocks[0].type != "CERTIFICATE REQUEST":
        return "PEM block type must be CERTIFICATE REQUEST"
    try:
        csr = x509.load_der_x509_csr(blocks[0].der)
        key = csr.public_key()
    except ValueError:
        # Go reports its asn1 decoder's own words here; ours are an approximation.
        return "asn1: structure error: invalid certificate request"
    if csr.is_signature_valid:
        return None
    if isinstance(key, rsa.RSAPublicKey):
        return "crypto/rsa: verification error"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "x509: ECDSA verification failure"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "x509: Ed25519 verification failure"
    return "x509: signature verification failure"


def check_certificate(data: bytes | None) -> str | None:
    """validateCertificate: empty, or only CERTIFICATE blocks without headers that parse."""
    if not data:
        return None
    blocks = pem_blocks(data)
    for block in blocks:
        if block.type != "CERTIFICATE":
            return f"only CERTIFICATE PEM blocks are allowed, found {field.go_quote(block.type)}"
        if block.headers:
            return "no PEM block headers are permitted"
        try:
            x509.load_der_x509_certificate(block.der)
        except ValueError:
            return "x509: malformed certificate"
    if not blocks:
        return "must contain at least one CERTIFICATE PEM block"
    return None


def validate_signer_name(path: Path | str, signer: str) -> list[FieldError]:
    """ValidateSignerName: `<domain>/<path>`, DNS labels on both sides, at most 571 characters."""
    if not signer:
        return [field.required(path, "")]
    segments = signer.split("/")
    if len(segments) != 2:
        return [field.invalid(path, signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'")]
    domain, rest = segments
    errs: list[FieldError] = []
    if len(domain) > DNS1123_SUBDOMAIN_MAX:
        errs.append(field.too_long(path, "", DNS1123_SUBDOMAIN_MAX))
    labels = domain.split(".")
    for label in labels:
        problems = validation.is_dns1123_label(label)
        if problems:
            # One label's errors are enough: the rest would repeat them.
            errs.extend(field.invalid(path, domain, f"validating label {field.go_quote(label)}: {p}") for p in problems)
            break
    if len(labels) < 2:
        errs.append(field.invalid(path, domain, "should be a domain with at least two segments separated by dots"))
    for label in rest.split("."):
        problems = validation.is_dns1123_subdomain(label)
        if problems:
            errs.extend(field.invalid(path, rest, f"validating label {field.go_quote(label)}: {p}") for p in problems)
            break
    max_total = DNS1123_SUBDOMAIN_MAX + (DNS1123_SUBDOMAIN_MAX + DNS1123_LABEL_MAX + 1) + 1
    if len(signer) > max_total:
        errs.append(field.too_long(path, "", max_total))
    return errs


# --- validation ---

@dataclass
class Options:
    """certificateValidationOptions: what this write path may do, and what old data we tolerate."""

    allow_setting_approval_conditions: bool = False
    allow_setting_certificate: bool = False
    allow_both_approved_and_denied: bool = False
    allow_legacy_signer_name: bool = False
    allow_duplicate_condition_types: bool = False
    allow_empty_condition_type: bool = False
    allow_arbitrary_certificate: bool = False
    allow_unknown_usages: bool = False
    allow_duplicate_usages: bool = False


def _conditions(csr: Obj) -> list[Obj]:
    return [c for c in (csr.get("status") or {}).get("conditions") or () if isinstance(c, dict)]


def _certificate(csr: Obj) -> bytes:
    return _b64((csr.get("status") or {}).get("certificate")) or b""


def options_for(new: Obj, old: Obj | None) -> Options:
    """getValidationOptions: compatibility with what the stored object already holds."""
    if old is None:
        return Options()
    old_types = [c.get("type") or "" for c in _conditions(old)]
    old_usages = list((old.get("spec") or {}).get("usages") or ())
    return Options(
        allow_both_approved_and_denied=APPROVED in old_types and DENIED in old_types,
        allow_legacy_signer_name=(old.get("spec") or {}).get("signerName") == LEGACY_UNKNOWN_SIGNER,
        allow_duplicate_condition_types=len(set(old_types)) != len(old_types),
        allow_empty_condition_type="" in old_types,
        allow_arbitrary_certificate=_certificate(new) == _certificate(old) or check_certificate(_certificate(old)) is not None,
        allow_unknown_usages=any(u not in VALID_USAGES for u in old_usages),
        allow_duplicate_usages=len(set(old_usages)) != len(old_usages),
    )


def validate_conditions(csr: Obj, opts: Options) -> list[FieldError]:
    path = Path("status", "conditions")
    errs: list[FieldError] = []
    seen: set[str] = set()
    has_approved = has_denied = False
    for i, c in enumerate(_conditions(csr)):
        ctype, status = c.get("type") or "", c.get("status") or ""
        if not opts.allow_empty_condition_type and not ctype:
            errs.append(field.required(path.index(i).child("type"), ""))
        allowed = ["True"] if ctype in TRUE_ONLY_TYPES else ALL_STATUSES
        if not status:
            errs.append(field.required(path.index(i).child("status"), ""))
        elif status not in allowed:
            errs.append(field.not_supported(path.index(i).child("status"), status, allowed))
        if not opts.allow_both_approved_and_denied:
            if ctype == APPROVED:
                has_approved = True
                if has_denied:
                    errs.append(field.invalid(path.index(i).child("type"), ctype, "Approved and Denied conditions are mutually exclusive"))
            elif ctype == DENIED:
                has_denied = True
                if has_approved:
                    errs.append(field.invalid(path.index(i).child("type"), ctype, "Approved and Denied conditions are mutually exclusive"))
        if not opts.allow_duplicate_condition_types:
            if ctype in seen:
                errs.append(field.duplicate(path.index(i).child("type"), ctype))
            seen.add(ctype)
    return errs


def validate_csr(csr: Obj, opts: Options) -> list[FieldError]:
    """validateCertificateSigningRequest (object metadata is checked by the generic layer)."""
    spec = csr.get("spec") or {}
    path = Path("spec")
    errs: list[FieldError] = []
    request = _b64(spec.get("request"))
    problem = check_csr(request)
    if problem is not None:
        errs.append(field.invalid(path.child("request"), go_bytes(request), problem))
    usages = list(spec.get("usages") or ())
    if not usages:
        errs.append(field.required(path.child("usages"), ""))
    if not opts.allow_unknown_usages:
        errs.extend(
            field.not_supported(path.child("usages").index(i), u, VALID_USAGES)
            for i, u in enumerate(usages) if u not in VALID_USAGES
        )
    if not opts.allow_duplicate_usages:
        seen: set[str] = set()
        for i, u in enumerate(usages):
            if u in seen:
                errs.append(field.duplicate(path.child("usages").index(i), u))
            seen.add(u)
    signer = spec.get("signerName") or ""
    if not opts.allow_legacy_signer_name and signer == LEGACY_UNKNOWN_SIGNER:
        errs.append(field.invalid(path.child("signerName"), signer, "the legacy signerName is not allowed via this API version"))
    else:
        errs += validate_signer_name(path.child("signerName"), signer)
    seconds = spec.get("expirationSeconds")
    if isinstance(seconds, int) and seconds < MIN_EXPIRATION_SECONDS:
        errs.append(field.invalid(path.child("expirationSeconds"), seconds, "may not specify a duration less than 600 seconds (10 minutes)"))
    errs += validate_conditions(csr, opts)
    if not opts.allow_arbitrary_certificate:
        problem = check_certificate(_certificate(csr))
        if problem is not None:
            errs.append(field.invalid("status.certificate", "<certificate data>", problem))
    return errs


def _find(csr: Obj, ctype: str) -> list[Obj]:
    return [c for c in _conditions(csr) if c.get("type") == ctype]


def _diff(old: list[Obj], new: list[Obj]) -> str:
    # Upstream appends a cmp.Diff, whose layout is deliberately unstable; a plain -/+ pair says the same.
    return f"- {json.dumps(old, sort_keys=True)}\n+ {json.dumps(new, sort_keys=True)}"


def validate_csr_update(new: Obj, old: Obj, opts: Options) -> list[FieldError]:
    """validateCertificateSigningRequestUpdate: terminal conditions stay, approval and certificate move only
    through their subresources."""
    errs = validate_csr(new, opts)
    path = Path("status", "conditions")
    for ctype in (APPROVED, DENIED, FAILED):
        if len(_find(new, ctype)) < len(_find(old, ctype)):
            errs.append(field.forbidden(path, f"updates may not remove a condition of type {field.go_quote(ctype)}"))
    if not opts.allow_setting_approval_conditions:
        for ctype in (APPROVED, DENIED):
            before, after = _find(old, ctype), _find(new, ctype)
            if len(after) > len(before):
                errs.append(field.forbidden(path, f"updates may not add a condition of type {field.go_quote(ctype)}"))
            elif len(after) == len(before) and after != before:
                errs.append(field.forbidden(
                    path, f"updates may not modify a condition of type {field.go_quote(ctype)}\n{_diff(before, after)}"
                ))
    if _certificate(new) != _certificate(old):
        if not opts.allow_setting_certificate:
            errs.append(field.forbidden("status.certificate", "updates may not set certificate content"))
        elif _certificate(old):
            errs.append(field.forbidden("status.certificate", "updates may not modify existing certificate content"))
    return errs


# --- strategy ---

def stamp_requester(csr: Obj, user: str, groups: tuple[str, ...]) -> None:
    """PrepareForCreate: the spec's identity is the caller's, whatever the body said."""
    spec = csr.setdefault("spec", {})
    for key in ("username", "uid", "groups", "extra"):
        spec.pop(key, None)
    if user:
        spec["username"] = user
    if groups:
        spec["groups"] = list(groups)
    csr["status"] = {}


def populate_condition_timestamps(new: Obj, old: Obj, now: str) -> None:
    """Fill lastUpdateTime, and lastTransitionTime from an old condition of the same type and status."""
    old_conditions = _conditions(old)
    for c in _conditions(new):
        if not c.get("lastUpdateTime"):
            c["lastUpdateTime"] = now
        if not c.get("lastTransitionTime"):
            c["lastTransitionTime"] = next(
                (o["lastTransitionTime"] for o in old_conditions
                 if o.get("type") == c.get("type") and o.get("status") == c.get("status") and o.get("lastTransitionTime")),
                now,
            )


def preserve_condition_instances(new: Obj, old: Obj, ctype: str) -> None:
    """The status writer may not touch Approved/Denied: keep the stored ones in place when counts match."""
    old_idx = [i for i, c in enumerate(_conditions(old)) if c.get("type") == ctype]
    new_conditions = (new.get("status") or {}).get("conditions") or []
    new_idx = [i for i, c in enumerate(new_conditions) if isinstance(c, dict) and c.get("type") == ctype]
    if len(old_idx) != len(new_idx):
        return
    stored = _conditions(old)
    for o, n in zip(old_idx, new_idx, strict=True):
        new_conditions[n] = dict(stored[o])


def _keep(new: Obj, old: Obj, key: str) -> None:
    if key in old:
        new[key] = meta.deep_copy(old[key])
    else:
        new.pop(key, None)


class CertificateSigningRequestStrategy(Strategy):
    tracks_generation = False
    has_status = True

    @staticmethod
    def name_check(name: str) -> list[str]:
        """ValidateCertificateRequestName: any name will do."""
        return []

    def default(self, obj: Obj) -> None:
        check_base64_fields(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        stamp_requester(obj, ctx.user, ctx.groups)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        _keep(new, old, "spec")
        if ctx.subresource == "approval":
            # Only the conditions change through /approval.
            populate_condition_timestamps(new, old, meta.now_rfc3339())
            conditions = (new.get("status") or {}).get("conditions")
            status = meta.deep_copy(old.get("status") or {})
            if conditions:
                status["conditions"] = conditions
            else:
                status.pop("conditions", None)
            new["status"] = status
        else:
            _keep(new, old, "status")

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_csr(obj, Options())

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        opts = options_for(new, old)
        opts.allow_setting_approval_conditions = ctx.subresource == "approval"
        return validate_csr_update(new, old, opts)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        _keep(new, old, "spec")
        preserve_condition_instances(new, old, APPROVED)
        preserve_condition_instances(new, old, DENIED)
        populate_condition_timestamps(new, old, meta.now_rfc3339())

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        opts = options_for(new, old)
        opts.allow_setting_certificate = True
        return validate_csr_update(new, old, opts)


# --- printing ---

def condition_summary(csr: Obj) -> str:
    """extractCSRStatus: Denied over Approved over Pending, then ,Failed and ,Issued."""
    types = {c.get("type") for c in _conditions(csr)}
    text = "Denied" if DENIED in types else "Approved" if APPROVED in types else "Pending"
    if FAILED in types:
        text += ",Failed"
    if (csr.get("status") or {}).get("certificate"):
        text += ",Issued"
    return text


def table_row(csr: Obj, now: datetime | None = None) -> list[Any]:
    spec = csr.get("spec") or {}
    seconds = spec.get("expirationSeconds")
    return [
        common.name_of(csr),
        common.age(csr, now),
        spec.get("signerName") or "<none>",
        spec.get("username") or "",
        "<none>" if seconds is None else duration.human_duration(seconds),
        condition_summary(csr),
    ]


def _doc(definition: str, prop: str) -> LazyText:
    return field_doc(f"io.k8s.api.certificates.v1.{definition}", prop)


PRINTER = Printer(
    # Upstream takes these descriptions from the v1beta1 docs; v1's are the ones we ship.
    columns=[
        common.name_column(),
        common.age_column(),
        Column("SignerName", description=_doc("CertificateSigningRequestSpec", "signerName")),
        Column("Requestor", description=_doc("CertificateSigningRequestSpec", "request")),
        Column("RequestedDuration", description=_doc("CertificateSigningRequestSpec", "expirationSeconds")),
        Column("Condition", description=_doc("CertificateSigningRequestStatus", "conditions")),
    ],
    row=table_row,
)

CERTIFICATESIGNINGREQUESTS = ResourceType(
    group="certificates.k8s.io",
    version="v1",
    kind="CertificateSigningRequest",
    plural="certificatesigningrequests",
    namespaced=False,
    short_names=("csr",),
    subresources=(
        Subresource("approval", ("get", "patch", "update")),
        Subresource("status", ("get", "patch", "update")),
    ),
    strategy=CertificateSigningRequestStrategy(),
    printer=PRINTER,
    field_selectors={"spec.signerName": lambda csr: (csr.get("spec") or {}).get("signerName") or ""},
)
