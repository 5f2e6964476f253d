"""The sandbox payment gateway's own records (what a real PG keeps on its side)."""

from django.db import models


class SandboxPayment(models.Model):
    order_id = models.CharField(max_length=64, unique=True)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=20, default="ready")  # ready, approved, failed, cancelled
    payment_key = models.CharField(max_length=100, blank=True)
    return_path = models.CharField(max_length=200, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "vouchers"

    def __str__(self) -> str:
        return f"sandbox {self.order_id} {self.status}"
