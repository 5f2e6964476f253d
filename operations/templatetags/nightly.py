"""How nightly runs read on the staff pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from operations.nightly import job_summary

register = template.Library()

STATUS_BADGES = {
    "succeeded": "badge-approved",
    "running": "badge-pending",
    "failed": "badge-closed",
    "nothing_to_do": "",
}


@register.filter
def summary(job) -> str:
    return job_summary(job) if job is not None else ""


@register.filter
def status_badge(status) -> str:
    return STATUS_BADGES.get(str(status), "")


@register.filter
def seconds(duration) -> str:
    """A duration as ``0.42 s`` or ``3 min 05 s``."""
    if not isinstance(duration, timedelta):
        return "-"
    total = duration.total_seconds()
    if total < 60:
        return f"{total:.2f} s"
    minutes, rest = divmod(int(total), 60)
    return f"{minutes} min {rest:02d} s"
