"""BIG-IP error bodies, with the device's own codes and texts.

Clients (f5-sdk, cccl, the agent) match on status codes and sometimes on message text
(``"already exists"``, ``"in use"``), so the wording follows what mcpd answers.
"""

from __future__ import annotations

import itertools
from typing import Any

_operation_ids = itertools.count(1000)


class ApiError(Exception):
    """An iControl REST error answered by the tm (mcpd-backed) part of the API."""

    def __init__(self, status: int, message: str, api_error: int = 3) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.api_error = api_error

    def body(self) -> dict[str, Any]:
        return {
            "code": self.status,
            "message": self.message,
            "errorStack": [],
            "apiError": self.api_error,
        }


def not_found(label: str, path: str, status: int = 404) -> ApiError:
    return ApiError(status, f"01020036:3: The requested {label} ({path}) was not found.")


def already_exists(label: str, path: str, partition: str) -> ApiError:
    return ApiError(
        409, f"01020066:3: The requested {label} ({path}) already exists in partition {partition}."
    )


def in_use(label: str, path: str, by_label: str, by_path: str) -> ApiError:
    return ApiError(
        400,
        f"01070265:3: The {label} ({path}) cannot be deleted because it is in use by a "
        f"{by_label} ({by_path}).",
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def restjavad_error(status: int, message: str, uri: str) -> dict[str, Any]:
    """The body restjavad (not mcpd) answers: auth failures, unknown URIs, login limits."""
    return {
        "code": status,
        "message": message,
        "referer": "127.0.0.1",
        "restOperationId": next(_operation_ids),
        "kind": ":resterrorresponse",
        "errorStack": [],
    }
