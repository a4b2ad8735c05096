"""Load test for a running PDF Docat: log in, upload, poll, read the logs.

    pip install locust
    DOCAT_EMAIL=load@example.com DOCAT_PASSWORD=... \\
        locust -f deploy/locustfile.py --host http://localhost

Each simulated user logs in once (mutation login), then repeatedly uploads a
small generated PDF through the GraphQL multipart request spec, polls
`document(id) { status progress }` until a terminal status (bounded by
DOCAT_POLL_TIMEOUT seconds), and reads the job's processing logs. Create the
account first (`docat create-admin` or the register mutation); give it enough
credits for the run.

Environment: DOCAT_EMAIL, DOCAT_PASSWORD (required), DOCAT_ENGINE (AUTO),
DOCAT_POLL_INTERVAL (1.0 s), DOCAT_POLL_TIMEOUT (300 s).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from locust import HttpUser, between, task

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken }
}
"""

UPLOAD = """
mutation Upload($file: Upload!, $options: ProcessingOptionsInput) {
  uploadDocument(file: $file, options: $options) { id status }
}
"""

STATUS = """
query Status($id: ID!) {
  document(id: $id) { status progress }
}
"""

LOGS = """
query Logs($documentId: ID) {
  processingLogs(documentId: $documentId) { edges { node { message } } }
}
"""

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with `lines` as real text (Helvetica), no dependencies.

    Written by hand so the load generator needs nothing but locust; the
    cross-reference table carries exact byte offsets.
    """
    content = "BT /F1 14 Tf 72 720 Td 18 TL\n"
    content += "".join(f"({_escape(line)}) Tj T*\n" for line in lines)
    content += "ET\n"
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


class DocatUser(HttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.email = os.environ["DOCAT_EMAIL"]
        self.engine = os.environ.get("DOCAT_ENGINE", "AUTO")
        self.poll_interval = float(os.environ.get("DOCAT_POLL_INTERVAL", "1.0"))
        self.poll_timeout = float(os.environ.get("DOCAT_POLL_TIMEOUT", "300"))
        data = self.graphql(
            "login", LOGIN, {"email": self.email, "password": os.environ["DOCAT_PASSWORD"]}, auth=False
        )
        self.token = data["login"]["accessToken"] if data else None

    # ---- one GraphQL request, reported to locust by operation name --------

    def graphql(
        self, name: str, query: str, variables: dict[str, Any], auth: bool = True
    ) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            name=f"graphql {name}",
            catch_response=True,
        ) as response:
            return self._data(response)

    def upload(self, filename: str, pdf: bytes) -> dict[str, Any] | None:
        # GraphQL multipart request spec: operations, map, then the file parts.
        operations = {"query": UPLOAD, "variables": {"file": None, "options": {"engine": self.engine}}}
        with self.client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
            files={"0": (filename, pdf, "application/pdf")},
            headers={"Authorization": f"Bearer {self.token}"},
            name="graphql uploadDocument",
            catch_response=True,
        ) as response:
            return self._data(response)

    @staticmethod
    def _data(response: Any) -> dict[str, Any] | None:
        """The `data` of a good answer; anything else is reported as a failure."""
        try:
            body = response.json()
        except ValueError:
            response.failure(f"HTTP {response.status_code}, not JSON")
            return None
        if response.status_code != 200 or body.get("errors"):
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
            response.failure(f"HTTP {response.status_code} {codes}")
            return None
        response.success()
        return body.get("data")

    # ---- the scenario ---------------------------------------------------

    @task
    def upload_poll_and_read_logs(self) -> None:
        if not self.token:
            return
        stamp = f"{time.time():.6f}"
        # A unique line per upload, so the result cache does not answer every run.
        pdf = build_pdf(["PDF Docat load test", f"Upload {stamp}", "The quick brown fox."])
        data = self.upload(f"load-{stamp}.pdf", pdf)
        if not data:
            return
        document_id = data["uploadDocument"]["id"]

        deadline = time.monotonic() + self.poll_timeout
        while time.monotonic() < deadline:
            status = self.graphql("document", STATUS, {"id": document_id})
            if status and status["document"] and status["document"]["status"] in TERMINAL:
                break
            time.sleep(self.poll_interval)

        self.graphql("processingLogs", LOGS, {"documentId": document_id})
