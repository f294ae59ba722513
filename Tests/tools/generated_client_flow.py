"""Signet's asynchronous flow through a client generated from its own /openapi.yaml.

Usage: generated_client_flow.py PACKAGE_PARENT BASE_URL CLIENT_ID SECRET PDF OUT_DIR

PACKAGE_PARENT holds `signet_client`, made by openapi-python-client from the running gateway's
document. The flow: a token from /oauth/token; a PAdES PDF and a CAdES text started on /v1; the
status polled until the operation is final; the operation found again by its external reference
(/v1 and Sign'Stash's path); the result read with every signed document. The signed files go
to OUT_DIR (signed.pdf, note.txt.p7s) for the caller to check with independent validators, and a
JSON summary to stdout. Any answer the generated client cannot parse fails the flow.
"""

import base64
import json
import os
import sys
import time

sys.path.insert(0, sys.argv[1])

from signet_client import AuthenticatedClient, Client  # noqa: E402
from signet_client.api.auth import token  # noqa: E402
from signet_client.api.operations import (  # noqa: E402
    find_operations,
    get_operation,
    get_operation_result,
    start_operation,
)
from signet_client.api.signstash import sign_stash_operation_id, sign_stash_status  # noqa: E402
from signet_client.models import (  # noqa: E402
    DocumentEntry,
    DocumentRequest,
    Operation,
    OperationStatus,
    SignatureInfo,
    SignatureInfoSignatureType,
    SignRequest,
    TokenBody,
    TokenBodyGrantType,
)


def expect(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


def main():
    _, _, base_url, client_id, secret, pdf_path, out_dir = sys.argv
    with open(pdf_path, "rb") as f:
        pdf = f.read()
    note = b"Invoice 2026-0042: 1,234.56 EUR\n"
    reference = f"generated-client-{os.getpid()}-{time.time_ns()}"

    answer = token.sync_detailed(
        client=Client(base_url=base_url),
        body=TokenBody(grant_type=TokenBodyGrantType.CLIENT_CREDENTIALS, client_id=client_id, client_secret=secret),
    )
    expect(answer.status_code == 200, f"token: {answer.status_code} {answer.content!r}")
    client = AuthenticatedClient(base_url=base_url, token=answer.parsed.access_token, raise_on_unexpected_status=True)

    request = SignRequest(
        external_reference=reference,
        description="generated client",
        documents=[
            DocumentEntry(
                document_request=DocumentRequest(
                    base_64_content=base64.b64encode(pdf).decode(),
                    external_reference=f"{reference}-pdf",
                    name="invoice.pdf",
                    content_type="application/pdf",
                ),
                signature_info=SignatureInfo(
                    signature_type=SignatureInfoSignatureType.PADES, reason="Approved", location="Lisbon"
                ),
            ),
            DocumentEntry(
                document_request=DocumentRequest(
                    base_64_content=base64.b64encode(note).decode(), name="note.txt", content_type="text/plain"
                ),
                signature_info=SignatureInfo(signature_type=SignatureInfoSignatureType.CADES),
            ),
        ],
    )
    started = start_operation.sync_detailed(client=client, body=request)
    expect(started.status_code == 202, f"start: {started.status_code} {started.content!r}")
    expect(isinstance(started.parsed, Operation), f"start answer not an Operation: {started.parsed!r}")
    operation_id = started.parsed.id
    expect(isinstance(operation_id, int), f"the id is not a number: {operation_id!r}")
    expect(started.headers.get("location", "").endswith(f"/v1/operations/{operation_id}"), "Location")

    polls = 0
    deadline = time.monotonic() + 120
    while True:
        status = get_operation.sync_detailed(operation_id, client=client)
        expect(status.status_code == 200 and isinstance(status.parsed, Operation), f"status: {status.status_code}")
        polls += 1
        if status.parsed.status != OperationStatus.PENDING_EXECUTION:
            break
        expect(time.monotonic() < deadline, "the operation did not finish in 120 s")
        time.sleep(0.1)
    operation = status.parsed
    expect(operation.status == OperationStatus.EXECUTED, f"status {operation.status}")
    expect(operation.progress.signed == 2 and operation.progress.failed == 0, f"progress {operation.progress}")

    found = find_operations.sync_detailed(client=client, external_reference=[reference])
    expect(found.status_code == 200 and [o.id for o in found.parsed] == [operation_id], f"find: {found.content!r}")
    by_document = sign_stash_operation_id.sync_detailed(f"{reference}-pdf", client=client)
    expect(by_document.status_code == 200 and by_document.parsed == operation_id, f"by document: {by_document.content!r}")
    signstash = sign_stash_status.sync_detailed(operation_id, client=client)
    expect(signstash.status_code == 200 and signstash.parsed.id == operation_id, "Sign'Stash status")

    result = get_operation_result.sync_detailed(operation_id, client=client)
    expect(result.status_code == 200 and isinstance(result.parsed, Operation), f"result: {result.status_code}")
    documents = result.parsed.document_list
    expect([d.sign_status.value for d in documents] == ["SIGNED", "SIGNED"], "documents signed")
    signed_pdf = base64.b64decode(documents[0].signed_content)
    p7s = base64.b64decode(documents[1].signed_content)
    expect(signed_pdf.startswith(pdf), "the signed PDF keeps the original as its prefix")
    with open(os.path.join(out_dir, "signed.pdf"), "wb") as f:
        f.write(signed_pdf)
    with open(os.path.join(out_dir, "note.txt"), "wb") as f:
        f.write(note)
    with open(os.path.join(out_dir, "note.txt.p7s"), "wb") as f:
        f.write(p7s)
    print(json.dumps({"id": operation_id, "status": operation.status.value, "polls": polls,
                      "attributes": [[a.attribute_key, a.attribute_value] for a in documents[0].document_attributes]}))


main()
