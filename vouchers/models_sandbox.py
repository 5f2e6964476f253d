"""The sandbox payment gateway's own records (what a real PG keeps on its side)."""

from django.db import models


class SandboxPayment(models.Model):
    order_id = models.CharField(max_length=64, unique=True)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=20, default="ready")  # ready, approved, failed, cancelled
    payment_key = models.CharField(max_length=100, blank=True)
    return_path = models.CharField(max_length=200, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # The customer who ordered (the gateway's customerKey): only they act on the order.
    customer_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "vouchers"

    def __str__(self) -> str:
        return f"sandbox {self.order_id} {self.status}"


class SandboxPayout(models.Model):
    """What the sandbox gateway paid the city for one day (Asia/Seoul): the card payments it
    approved that day less those it gave back that day. A real gateway's settlement file."""

    payout_date = models.DateField(unique=True)
    amount = models.BigIntegerField()
    approved = models.BigIntegerField()
    cancelled = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "vouchers"

    def __str__(self) -> str:
        return f"sandbox payout {self.payout_date} {self.amount}"
