"""Dossier documents over HTTP on the real stack: multipart upload and download by staff and the
case's notifier, content-addressed storage on disk and in an S3-compatible bucket (a local S3
server speaking the S3 protocol), size and type limits as problem+json, and confidential documents
never served to the public (CP Art 21)."""

from __future__ import annotations

import hashlib
import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from api.app import create_app
from tests.api.conftest import Callers, assert_problem, eventually, notification_body
from tests.support.temporal import Stack

PDF = b"%PDF-1.7\n% risk assessment report\n" + b"0" * 2048 + b"\n%%EOF\n"


def pdf(tag: str) -> bytes:
    return PDF.replace(b"risk assessment report", f"report {tag}".encode())


def upload(
    content: bytes,
    *,
    media_type: str = "application/pdf",
    filename: str = "report.pdf",
    **fields: Any,
) -> dict[str, Any]:
    data = {"kind": "risk_assessment"} | {k: str(v).lower() for k, v in fields.items()}
    return {"files": {"file": (filename, content, media_type)}, "data": data}


async def owned_case(callers: Callers) -> str:
    body = notification_body()
    body["notifier"] = dict(body["notifier"], email=callers.alice_email)
    r = await callers.alice.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


async def test_staff_and_the_notifier_keep_documents_the_public_sees_only_open_ones(
    callers: Callers,
) -> None:
    cid = await owned_case(callers)
    base = f"/v1/cases/{cid}/documents"
    report = pdf(uuid.uuid4().hex)
    r = await callers.staff.post(base, **upload(report, description="Annex III report"))
    assert r.status_code == 201, r.text
    meta = r.json()
    assert meta["sha256"] == hashlib.sha256(report).hexdigest()
    assert meta["size_bytes"] == len(report) and meta["uploaded_by"] == "kovacs"
    # A retried upload of the same content is the same document.
    again = await callers.staff.post(base, **upload(report))
    assert again.status_code == 200 and again.json()["document_id"] == meta["document_id"]

    # The notifier uploads to its own case only, here a confidential one (Art 21).
    secret = pdf("secret-" + uuid.uuid4().hex)
    r = await callers.alice.post(
        base,
        **upload(secret, filename="..\\..\\etc\\volumes.pdf", kind="correspondence",
                 confidential=True),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    hidden = r.json()
    assert hidden["confidential"] and hidden["filename"] == "volumes.pdf"
    assert hidden["uploaded_by"] == f"notifier:{callers.alice_email}"
    assert_problem(await callers.bob.post(base, **upload(pdf("bob"))), 404)
    assert_problem(await callers.anonymous.post(base, **upload(pdf("anon"))), 401)

    listed = (await callers.alice.get(base)).json()
    assert [d["document_id"] for d in listed] == [meta["document_id"], hidden["document_id"]]
    assert_problem(await callers.bob.get(base), 404)
    down = await callers.alice.get(f"{base}/{hidden['document_id']}")
    assert down.status_code == 200 and down.content == secret
    assert down.headers["content-type"] == "application/pdf"
    assert down.headers["content-disposition"] == "attachment; filename*=UTF-8''volumes.pdf"

    # The public: the open document only, once the case is in the public register.
    async def public_list() -> list[dict[str, Any]]:
        r = await callers.anonymous.get(f"/v1/register/{cid}/documents")
        return r.json() if r.status_code == 200 else []

    [shown] = await eventually(public_list)
    assert shown["document_id"] == meta["document_id"] and "sha256" not in shown
    public = await callers.anonymous.get(f"/v1/register/{cid}/documents/{meta['document_id']}")
    assert public.content == report
    assert_problem(
        await callers.anonymous.get(f"/v1/register/{cid}/documents/{hidden['document_id']}"),
        404,
    )
    assert_problem(await callers.staff.get(f"{base}/{uuid.uuid4()}"), 404)


async def test_limits_are_explained(stack: Stack) -> None:
    token = secrets.token_urlsafe(32)
    settings = stack.settings.model_copy(
        update={"api_tokens": {token: "staff:kovacs"}, "documents_max_bytes": 4096}
    )
    app = create_app(settings, client=stack.client, pool=stack.pool,
                     clock=stack.env.get_current_time)  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        r = await staff.post("/v1/aia/notifications", json=notification_body())
        base = f"/v1/cases/{r.json()['case_id']}/documents"
        big = assert_problem(await staff.post(base, **upload(PDF + b"x" * 5000)), 413)
        assert "4096 bytes" in big["detail"]
        exe = assert_problem(
            await staff.post(base, **upload(b"MZ\x90\x00", media_type="application/x-msdos")),
            415,
        )
        assert "application/pdf" in exe["detail"]  # what is accepted
        fake = assert_problem(await staff.post(base, **upload(b"<html>not a pdf</html>")), 415)
        assert "content is not of that type" in fake["detail"]
        no_kind = await staff.post(base, files={"file": ("a.pdf", PDF, "application/pdf")})
        assert assert_problem(no_kind, 422)["errors"][0]["field"].endswith("kind")
        # Far over the limit: refused before the body is read.
        huge = await staff.post(base, **upload(PDF + b"x" * 200_000))
        assert_problem(huge, 413)


@pytest.fixture(scope="module")
def s3_endpoint() -> Any:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
async def s3_staff(
    stack: Stack, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)
    bucket = f"dossiers-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-central-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    token = secrets.token_urlsafe(32)
    settings = stack.settings.model_copy(
        update={
            "api_tokens": {token: "staff:kovacs"},
            "documents_backend": "s3",
            "documents_s3_bucket": bucket,
            "documents_s3_endpoint_url": s3_endpoint,
        }
    )
    app = create_app(settings, client=stack.client, pool=stack.pool,
                     clock=stack.env.get_current_time)  # fmt: skip
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        client.headers["X-Test-Bucket"] = f"{s3_endpoint} {bucket}"  # for the test to look in
        yield client


async def test_documents_in_an_s3_compatible_bucket(s3_staff: httpx.AsyncClient) -> None:
    r = await s3_staff.post("/v1/aia/notifications", json=notification_body())
    base = f"/v1/cases/{r.json()['case_id']}/documents"
    report = pdf(uuid.uuid4().hex)
    meta = (await s3_staff.post(base, **upload(report))).json()
    down = await s3_staff.get(f"{base}/{meta['document_id']}")
    assert down.status_code == 200 and down.content == report
    # Stored once, under its content hash, in the bucket.
    endpoint, bucket = s3_staff.headers["X-Test-Bucket"].split()
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-central-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"documents/{hashlib.sha256(report).hexdigest()}"]


async def test_a_store_that_cannot_be_reached_is_a_503(stack: Stack) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    token = secrets.token_urlsafe(32)
    settings = stack.settings.model_copy(
        update={
            "api_tokens": {token: "staff:kovacs"},
            "documents_backend": "s3",
            "documents_s3_bucket": "nowhere",
            "documents_s3_endpoint_url": closed,
        }
    )
    app = create_app(settings, client=stack.client, pool=stack.pool,
                     clock=stack.env.get_current_time)  # fmt: skip
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as staff:
        r = await staff.post("/v1/aia/notifications", json=notification_body())
        base = f"/v1/cases/{r.json()['case_id']}/documents"
        problem = assert_problem(await staff.post(base, **upload(pdf("down"))), 503)
        assert "could not be stored" in problem["detail"]
        assert (await staff.get(base)).json() == []  # nothing half-kept


def test_a_filename_is_made_safe_to_offer() -> None:
    from api.documents import clean_filename

    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename('C:\\Users\\x\\a"b\r\n.pdf') == "a_b_.pdf"
    assert clean_filename("..") == "document" and clean_filename(None) == "document"
    assert len(clean_filename("é" * 500)) == 200


async def test_a_decision_links_its_public_documents_from_the_bch_record(
    callers: Callers, stack: Stack
) -> None:
    cid = await owned_case(callers)
    base = f"/v1/cases/{cid}/documents"
    letter = (
        await callers.staff.post(base, **upload(pdf("letter"), kind="decision_letter"))
    ).json()
    secret = (await callers.alice.post(base, **upload(pdf("s"), confidential=True))).json()
    ra = {"carried_out_by": "authority", "summary": "Low risk.", "overall_risk": "low",
          "recommendation": "Acceptable."}  # fmt: skip
    for path, body in (("acknowledgement", {}), ("risk-assessment", ra)):
        assert (await callers.staff.post(f"/v1/cases/{cid}/{path}", json=body)).is_success
    decision = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
    # Art 21: a confidential document is never linked from the BCH; nor one of another case.
    for bad, why in ((secret["document_id"], "confidential"), (str(uuid.uuid4()), "not a doc")):
        problem = assert_problem(
            await callers.staff.post(
                f"/v1/cases/{cid}/decision", json=decision | {"documents": [bad]}
            ),
            422,
        )
        assert why.split()[0] in problem["detail"]
    r = await callers.staff.post(
        f"/v1/cases/{cid}/decision", json=decision | {"documents": [letter["document_id"]]}
    )
    assert r.status_code == 200, r.text

    async def linked() -> list[Any]:
        drafts = stack.bch.decision_drafts().values()
        return [d["body"].get("documents") for d in drafts if cid in str(d["body"]["title"])]

    [links] = await eventually(linked)
    url = f"{stack.settings.api_public_url.rstrip('/')}/v1/register/{cid}/documents/"
    assert [link["url"] for link in links] == [url + letter["document_id"]]
