"""assay.proofs: the certificate format, the store, and the independent recheck.

It imports ``assay.specs`` (for the spec's own evaluator and encoding) and
never ``assay.kernel``.
"""

from .certificate import FORMAT, Certificate, CertificateError, canonical_json, sha256_of
from .recheck import RecheckResult, recheck_file, recheck_path
from .spec_refs import SpecRefRefused

__all__ = [
    "FORMAT",
    "Certificate",
    "CertificateError",
    "RecheckResult",
    "SpecRefRefused",
    "canonical_json",
    "recheck_file",
    "recheck_path",
    "sha256_of",
]
