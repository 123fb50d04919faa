"""A stand-in for Docs' ``core/services/drive_client.py`` (Docs PR #2548, branch poc/docsxdrive):
the same requests, headers and bodies, written from reading it. Django's settings and cache
are replaced by the constructor's arguments; ``DriveClientError`` keeps its message and
``status_code``.
"""

from __future__ import annotations

import requests


class DriveClientError(Exception):
    """Raised when a call to the Drive API fails."""

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.status_code = status_code


class User:
    """What the client reads of Docs' user: ``sub`` and ``email`` (either may be empty)."""

    def __init__(self, sub: str = "", email: str = ""):
        self.sub = sub
        self.email = email


class DriveClient:
    def __init__(self, api_base_url: str, token: str):
        # DRIVE_API_BASE_URL (".../api/v1.0", no trailing slash) and
        # DRIVE_SERVER_TO_SERVER_TOKEN.
        self.api_base_url = api_base_url
        self.token = token

    def _headers(self, user):
        headers = {"Authorization": f"Bearer {self.token}"}
        sub = str(getattr(user, "sub", "") or "")
        email = str(getattr(user, "email", "") or "")
        if sub:
            headers["X-User-Sub"] = sub
        if email:
            headers["X-User-Email"] = email
        return headers

    def _request(self, method, path, user, **kwargs):
        if not self.api_base_url or not self.token:
            raise DriveClientError("Drive integration is not configured.")
        url = f"{self.api_base_url}{path}"
        try:
            response = requests.request(
                method, url, headers=self._headers(user), timeout=10, **kwargs
            )
        except requests.RequestException as exc:
            raise DriveClientError(f"Could not reach Drive: {exc}") from exc
        if response.status_code >= 400:
            raise DriveClientError(
                f"Drive API call failed ({response.status_code}) on {path}: "
                f"{response.text[:500]}",
                status_code=response.status_code,
            )
        if response.status_code == 204:
            return None
        return response.json()

    def create_doc_item(self, user, title, parent_id=None):
        payload = {
            "type": "file",
            "title": title or "Untitled document",
            "metadata": {"external_app": "docs"},
        }
        if parent_id:
            return self._request("post", f"/items/{parent_id}/children/", user, json=payload)
        return self._request("post", "/items/", user, json=payload)

    def get_item(self, item_id, user):
        # upstream caches this 10 s per (item, sub); the stand-in always asks
        return self._request("get", f"/items/{item_id}/", user)

    def get_tree(self, item_id, user):
        return self._request("get", f"/items/{item_id}/tree-descendants/", user)

    def list_root_docs(self, user, page=1):
        params = {"external_app": "docs", "type": "file"}
        if page and str(page) != "1":
            params["page"] = page
        return self._request("get", "/items/", user, params=params)

    def list_children(self, item_id, user):
        return self._request(
            "get", f"/items/{item_id}/children/", user, params={"external_app": "docs"}
        )

    def patch_title(self, item_id, user, title):
        return self._request("patch", f"/items/{item_id}/", user, json={"title": title})

    def delete_item(self, item_id, user):
        return self._request("delete", f"/items/{item_id}/", user)
