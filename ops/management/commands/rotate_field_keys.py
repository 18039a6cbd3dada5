"""Re-encrypt every encrypted field with the newest key of MALL_FIELD_KEYS:

    MALL_FIELD_KEYS=<new>,<old> python manage.py rotate_field_keys

Afterwards the old key can be dropped from MALL_FIELD_KEYS. Safe to run again (values
already under the newest key are re-encrypted with it, still readable)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from mall.crypto import EncryptedCharField, rotate


class Command(BaseCommand):
    help = "Re-encrypt the encrypted personal data with the newest key."

    def handle(self, *args, **options):
        for model in apps.get_models():
            fields = [
                field
                for field in model._meta.concrete_fields
                if isinstance(field, EncryptedCharField)
            ]
            if not fields:
                continue
            table, pk = model._meta.db_table, model._meta.pk.column
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
            count = 0
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {columns} FROM {table} FOR UPDATE")  # noqa: S608
                for row_pk, *values in cursor.fetchall():
                    cursor.execute(
                        f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608
                        [*(rotate(value) for value in values), row_pk],
                    )
                    count += 1
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
