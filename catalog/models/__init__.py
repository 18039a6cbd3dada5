from .admission import (
    SUPPLIER_MACHINE,
    DocumentType,
    ProhibitedWord,
    QualificationDocument,
    SpotCheck,
    Supplier,
    SupplierStatusChange,
    SupplierStrike,
)
from .inventory import Reservation, Stock, StockMovement, Warehouse
from .listing import (
    PRODUCT_INFO_FIELDS,
    PRODUCT_MACHINE,
    SKU,
    Category,
    CategoryAttribute,
    Product,
    ProductImage,
    ProductStatusChange,
)
from .pricing import SkuPrice

__all__ = [
    "PRODUCT_INFO_FIELDS",
    "PRODUCT_MACHINE",
    "SKU",
    "SUPPLIER_MACHINE",
    "Category",
    "CategoryAttribute",
    "DocumentType",
    "Product",
    "ProductImage",
    "ProductStatusChange",
    "ProhibitedWord",
    "QualificationDocument",
    "Reservation",
    "SkuPrice",
    "SpotCheck",
    "Stock",
    "StockMovement",
    "Supplier",
    "SupplierStatusChange",
    "SupplierStrike",
    "Warehouse",
]
