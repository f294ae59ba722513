"""Checks XAdES signatures with tools Signet did not write: signxml's XAdES verifier for the
signature, lxml to read back the qualifying properties.

usage: xades_check.py CA_PEM LEAF_PEM FILE SIGNATURE_ID [FILE SIGNATURE_ID ...]
Prints one JSON object per file: {"file", "signxml": "ok" | error, "signingTime",
"certDigestMatches", "issuerSerialPresent", "parent" (the local name of the signature's element), "timestampImprint" (hex SHA-256 of the exclusive
canonical SignatureValue, when a SignatureTimeStamp is present), "timestampToken" (base64)}.
"""
import base64
import hashlib
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.xades import XAdESVerifier

NS = {"ds": "http://www.w3.org/2000/09/xmldsig#", "xades": "http://uri.etsi.org/01903/v1.3.2#"}


class ChosenSignatureVerifier(XAdESVerifier):
    """signxml verifies the first ds:Signature of a document; this one picks it by Id (a document
    may hold an earlier signature)."""

    def __init__(self, signature_id):
        super().__init__()
        self.signature_id = signature_id

    def _get_signature(self, root):
        return root.xpath("//ds:Signature[@Id=$id]", namespaces=NS, id=self.signature_id)[0]


def check(ca, leaf, path, signature_id):
    data = open(path, "rb").read()
    result = {"file": path}
    try:
        ChosenSignatureVerifier(signature_id).verify(data, ca_pem_file=ca, expect_references=2)
        result["signxml"] = "ok"
    except Exception as error:  # the message is the test's evidence
        result["signxml"] = f"{type(error).__name__}: {error}"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(data, parser)
    signature = root.xpath("//ds:Signature[@Id=$id]", namespaces=NS, id=signature_id)[0]
    parent = signature.getparent()
    result["parent"] = etree.QName(parent).localname
    props = signature.find("ds:Object/xades:QualifyingProperties/xades:SignedProperties", NS)
    result["signingTime"] = props.findtext("xades:SignedSignatureProperties/xades:SigningTime", namespaces=NS)
    cert = props.find("xades:SignedSignatureProperties/xades:SigningCertificateV2/xades:Cert", NS)
    digest = base64.b64decode(cert.findtext("xades:CertDigest/ds:DigestValue", namespaces=NS))
    method = cert.find("xades:CertDigest/ds:DigestMethod", NS).get("Algorithm")
    leaf_der = x509.load_pem_x509_certificate(open(leaf, "rb").read()).public_bytes(Encoding.DER)
    result["certDigestMatches"] = (
        method == "http://www.w3.org/2001/04/xmlenc#sha256" and digest == hashlib.sha256(leaf_der).digest()
    )
    result["issuerSerialPresent"] = bool(cert.findtext("xades:IssuerSerialV2", namespaces=NS))
    stamp = signature.find(
        "ds:Object/xades:QualifyingProperties/xades:UnsignedProperties/xades:UnsignedSignatureProperties/"
        "xades:SignatureTimeStamp", NS)
    if stamp is not None:
        value = signature.find("ds:SignatureValue", NS)
        canonical = etree.tostring(value, method="c14n", exclusive=True, with_comments=False)
        result["timestampImprint"] = hashlib.sha256(canonical).hexdigest()
        result["timestampToken"] = stamp.findtext("xades:EncapsulatedTimeStamp", namespaces=NS).strip()
    return result


def main():
    ca, leaf, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    for path, signature_id in zip(rest[0::2], rest[1::2]):
        print(json.dumps(check(ca, leaf, path, signature_id)), flush=True)


if __name__ == "__main__":
    main()
