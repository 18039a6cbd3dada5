"""Goods admission: who may sell what, the review flow of goods, and what takes goods off
sale (an expired licence, a failed spot check, a suspended supplier).

Every state change goes through ``mall.statemachine.transition`` and leaves a history row.

By subject: ``rules`` (what a category requires, who may sell what), ``goods`` (the review
flow of goods), ``suppliers`` (their review, suspension, re-review, expiring documents),
``spot_checks`` (the monthly sample, new listings, and the results), ``follow_ups``
(re-reviews falling due, documents suppliers renew themselves). Callers use the names re-exported
here (``admission.approve_product``).
"""

from .follow_ups import (
    accept_document,
    follow_up_re_reviews,
    reject_document,
    upload_document,
)
from .goods import (
    approve_product,
    delist_product,
    delist_supplier_goods,
    list_product,
    reject_product,
    revise_product,
    submit_product,
)
from .rules import (
    attribute_schema,
    category_lineage,
    lineage_in,
    prohibited_words_in,
    required_document_types,
    required_info_fields,
    submission_problems,
    supplier_problems,
)
from .spot_checks import (
    check_new_listing,
    overdue_spot_checks,
    record_spot_check,
    sample_spot_checks,
)
from .suppliers import (
    approve_supplier,
    record_re_review,
    reinstate_supplier,
    return_supplier_for_changes,
    start_supplier_review,
    suspend_supplier,
    suspend_suppliers_with_expired_documents,
    terminate_supplier,
    warn_expiring_documents,
)

__all__ = [
    "accept_document",
    "approve_product",
    "approve_supplier",
    "attribute_schema",
    "category_lineage",
    "check_new_listing",
    "delist_product",
    "delist_supplier_goods",
    "follow_up_re_reviews",
    "lineage_in",
    "list_product",
    "overdue_spot_checks",
    "prohibited_words_in",
    "record_re_review",
    "record_spot_check",
    "reinstate_supplier",
    "reject_document",
    "reject_product",
    "required_document_types",
    "required_info_fields",
    "return_supplier_for_changes",
    "revise_product",
    "sample_spot_checks",
    "start_supplier_review",
    "submission_problems",
    "submit_product",
    "supplier_problems",
    "suspend_supplier",
    "suspend_suppliers_with_expired_documents",
    "terminate_supplier",
    "upload_document",
    "warn_expiring_documents",
]
