"""HTTP to the server with the standard library: JSON requests, the machine secret, downloads that
resume (Range) and are checked against their SHA-256 before use."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

USER_AGENT = "estate-agent"


class Unreachable(Exception):
    """The server did not answer (network down, server stopped, 5xx): try again later."""


class Refused(Exception):
    """The server answered no (4xx): retrying the same request will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class BadChecksum(Exception):
    pass


def check_url(url: str, allow_http: bool) -> str:
    """https, except on this machine or with an explicit flag."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"not a server URL: {url}")
    local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
    if parsed.scheme == "http" and not local and not allow_http:
        raise ValueError("the server must be reached over https (or pass --allow-http)")
    return url.rstrip("/")


class Client:
    def __init__(self, server: str, secret: str | None = None, timeout: float = 30) -> None:
        self.server = server
        self.secret = secret
        self.timeout = timeout

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, timeout: float | None = None) -> Any:
        request = urllib.request.Request(self.server + path, data=body, method=method)  # noqa: S310 - checked URL
        request.add_header("User-Agent", USER_AGENT)
        request.add_header("Accept", "application/json")
        if self.secret:
            request.add_header("Authorization", f"Bearer {self.secret}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout)  # noqa: S310 - checked URL
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            if error.code >= 500 or error.code == 429:
                raise Unreachable(f"{error.code}: {detail}") from None
            raise Refused(error.code, detail) from None
        except (urllib.error.URLError, OSError) as error:
            raise Unreachable(str(error)) from None

    def call(self, method: str, path: str, data: Any = None, timeout: float | None = None) -> Any:
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            with self._request(method, path, body, headers, timeout) as response:
                raw = response.read()
        except (OSError, ValueError) as error:  # a connection cut while reading
            raise Unreachable(str(error)) from None
        return json.loads(raw) if raw else None

    def send_file(self, path: str, source: Path) -> Any:
        with self._request("POST", path, source.read_bytes(), {"Content-Type": "application/octet-stream"}) as answer:
            return json.loads(answer.read() or b"null")

    def download(self, path: str, target: Path, checksum: str) -> Path:
        """Fetch into target, resuming a partial download, and refuse content whose SHA-256 differs."""
        partial = target.with_name(target.name + ".part")
        offset = partial.stat().st_size if partial.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with self._request("GET", path, headers=headers) as response:
                mode = "ab" if offset and response.status == 206 else "wb"
                with open(partial, mode) as sink:
                    while True:
                        try:
                            chunk = response.read(256 * 1024)
                        except http.client.IncompleteRead as cut:  # keep what arrived before the cut
                            sink.write(cut.partial)
                            raise
                        if not chunk:
                            break
                        sink.write(chunk)
        except Refused as refused:
            if refused.status != 416:  # 416: the part is already whole
                raise
        except (OSError, http.client.HTTPException) as error:  # cut short: what came stays for a resume
            raise Unreachable(str(error) or type(error).__name__) from None
        digest = hashlib.sha256()
        with open(partial, "rb") as source:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                digest.update(chunk)
        if digest.hexdigest() != checksum:
            partial.unlink()
            raise BadChecksum(f"checksum mismatch: expected {checksum}, got {digest.hexdigest()}")
        os.replace(partial, target)
        return target
