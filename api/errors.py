"""The one error the API answers with: an HTTP status and Postman v1's {"code", "message"}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def invalid(field: str, problem: str) -> ApiError:
    """A 400 naming the field, worded like Postman's (Joi's) messages: '"recipient" is required'."""
    return ApiError(400, "api_validation", f'"{field}" {problem}')


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found.")
