"""``user_token()``: a person's API token, the person and their roles in one planned call."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_phone_consents_signin_codes"),
    ]

    operations = [
        sql_file_operation("accounts", "user_token", reverse="DROP FUNCTION IF EXISTS user_token(text)"),
    ]
