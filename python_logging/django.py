"""Django request-ID middleware: add `"python_logging.django.RequestIDMiddleware"` first
in `MIDDLEWARE`. Options come from the `PYTHON_LOGGING_MIDDLEWARE` setting, a dict with
`header`, `slow_request_ms` and `exclude_paths`. Works in sync and async stacks.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings as django_settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404

from python_logging.capture import capture_once, deduplicate_errors_of
from python_logging.web import ObservedRequest, settings_from_mapping

SETTING = "PYTHON_LOGGING_MIDDLEWARE"
# Exceptions Django answers with a 4xx page: client errors, not application errors.
CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


class RequestIDMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.settings = settings_from_mapping(getattr(django_settings, SETTING, {}), SETTING)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        # Django logs every uncaught exception on this logger after we captured it.
        deduplicate_errors_of("django.request")

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        with self._observe(request) as request_id:
            response = self.get_response(request)
            return self._finish(request, response, request_id)

    async def _acall(self, request: Any) -> Any:
        with self._observe(request) as request_id:
            response = await self.get_response(request)
            return self._finish(request, response, request_id)

    def process_exception(self, request: Any, exception: Exception) -> None:
        if not isinstance(exception, CLIENT_ERRORS):
            capture_once(exception)
        return None  # Django goes on to build its 500 response

    def _observe(self, request: Any) -> ObservedRequest:
        observed = ObservedRequest.from_environ(self.settings, request.META, request.path)
        request.python_logging = observed
        return observed

    def _finish(self, request: Any, response: Any, request_id: str) -> Any:
        request.python_logging.status = response.status_code
        response[self.settings.header] = request_id
        return response
