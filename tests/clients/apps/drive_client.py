"""Docs' missing piece: a client of Drive's external API acting with the user's access token,
the way the integration document describes it."""

from __future__ import annotations

import requests

TIMEOUT = 5


class DriveCallFailed(Exception):
    """A call to Drive (or to the S3 URL it handed out) did not answer what the flow expects."""

    def __init__(self, step: str, response: requests.Response):
        self.step = step
        self.status = response.status_code
        self.body = response.text
        super().__init__(f"{step}: {response.status_code} {response.text[:300]}")

    def as_json(self) -> dict:
        return {"failed_step": self.step, "status": self.status, "body": self.body}


class DriveClient:
    def __init__(self, api: str, access_token: str):
        self.api = api.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {access_token}"

    def _expect(self, step: str, response: requests.Response, status: int) -> requests.Response:
        if response.status_code != status:
            raise DriveCallFailed(step, response)
        return response

    def main_workspace(self) -> dict:
        """The user's main workspace; a root folder is created when there is none (Drive 0.21.1
        refuses files at the root)."""
        items = self._expect(
            "list items", self.http.get(f"{self.api}/items/", timeout=TIMEOUT), 200
        ).json()["results"]
        for item in items:
            if item.get("main_workspace"):
                return item
        # Drive 0.13 and later: Docs' own root folder, found again by its title.
        for item in items:
            if item.get("title") == "Docs" and item.get("type") == "folder" and item.get("depth") == 1:
                return item
        return self._expect(
            "create a root folder",
            self.http.post(
                f"{self.api}/items/", json={"type": "folder", "title": "Docs"}, timeout=TIMEOUT
            ),
            201,
        ).json()

    def create_file(self, filename: str) -> dict:
        """A pending file in the main workspace: its `policy` is the presigned PUT URL."""
        workspace = self.main_workspace()
        return self._expect(
            "create the file",
            self.http.post(
                f"{self.api}/items/{workspace['id']}/children/",
                json={"type": "file", "filename": filename},
                timeout=TIMEOUT,
            ),
            201,
        ).json()

    def upload_ended(self, item_id: str) -> dict:
        return self._expect(
            "end the upload",
            self.http.post(f"{self.api}/items/{item_id}/upload-ended/", timeout=TIMEOUT),
            200,
        ).json()

    def read(self, item: dict) -> bytes:
        return self._expect(
            "read the media URL", self.http.get(item["url"], timeout=TIMEOUT), 200
        ).content


def put_to_policy(policy: str, content: bytes, content_type: str | None) -> None:
    """PUT the bytes to the presigned URL as Drive's front end does (`X-amz-acl: private`)."""
    headers = {"X-amz-acl": "private"}
    if content_type:
        headers["Content-Type"] = content_type
    response = requests.put(policy, data=content, headers=headers, timeout=TIMEOUT)
    if response.status_code != 200:
        raise DriveCallFailed("PUT to the presigned URL", response)
