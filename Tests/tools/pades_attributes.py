#!/usr/bin/env python3
"""Prints, as JSON, what the last signature of a PDF carries, read with asn1crypto (not with
Signet's code): the /SubFilter, the signed and unsigned attribute types (dotted OIDs), the digest algorithm
and the number of embedded certificates. Usage: pades_attributes.py FILE.pdf"""
import binascii, json, re, sys
from asn1crypto import cms

data = open(sys.argv[1], "rb").read()
ranges = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data))
start, length, second, _ = (int(x) for x in ranges[-1].groups())
hole = data[start + length:second].strip()
assert hole.startswith(b"<") and hole.endswith(b">"), "the ByteRange does not frame /Contents"
der = binascii.unhexlify(hole[1:-1])
info = cms.ContentInfo.load(der, strict=False)
signed_data = info["content"]
signer = signed_data["signer_infos"][0]
dictionary_start = data.rfind(b"<<", 0, start + length)
subfilter = re.search(rb"/SubFilter\s*/([A-Za-z0-9.]+)", data[dictionary_start:start + length + 64])
print(json.dumps({
    "subFilter": subfilter.group(1).decode() if subfilter else None,
    "signed": sorted(a["type"].dotted for a in signer["signed_attrs"]),
    "unsigned": sorted(a["type"].dotted for a in signer["unsigned_attrs"]) if signer["unsigned_attrs"].native else [],
    "digest": signer["digest_algorithm"]["algorithm"].native,
    "certificates": len(signed_data["certificates"]),
    "cmsBytes": len(info.dump()),
}))
