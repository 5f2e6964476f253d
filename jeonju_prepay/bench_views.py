"""The floor the counter benchmark compares against: the least a payment could do through the
same server (tenancy middleware, one transaction that locks a row, updates a balance and inserts
a row). Served only when BENCH_ENDPOINTS is on (bench/counter_bench.py turns it on)."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def floor(request):
    account = int(request.GET.get("account", "1"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance FROM bench_floor_account WHERE id = %s FOR UPDATE", [account]
        )
        cursor.execute(
            "UPDATE bench_floor_account SET balance = balance + 1 WHERE id = %s", [account]
        )
        cursor.execute(
            "INSERT INTO bench_floor_row (account_id, amount) VALUES (%s, 1) RETURNING id",
            [account],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)
