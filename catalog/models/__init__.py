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
from .inventory import Reservation, Stock, StockDiscrepancy, StockMovement, Warehouse
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
from .pricing import PRICE_CHANGE_MACHINE, PriceChange, PriceChangeRecord, ProductOffer, SkuPrice
from .product_reviews import REVIEW_MACHINE, ProductReview, ProductReviewChange, ReviewPhoto
from .purchasing import PurchaseReceipt, PurchaseReceiptLine
from .search import SearchSynonym, SearchTerm
from .stocktake import STOCKTAKE_MACHINE, Stocktake, StocktakeLine, StocktakeStatusChange

__all__ = [
    "PRICE_CHANGE_MACHINE",
    "PRODUCT_INFO_FIELDS",
    "PRODUCT_MACHINE",
    "REVIEW_MACHINE",
    "SKU",
    "STOCKTAKE_MACHINE",
    "SUPPLIER_MACHINE",
    "Category",
    "CategoryAttribute",
    "DocumentType",
    "PriceChange",
    "PriceChangeRecord",
    "Product",
    "ProductImage",
    "ProductOffer",
    "ProductReview",
    "ProductReviewChange",
    "ProductStatusChange",
    "ProhibitedWord",
    "PurchaseReceipt",
    "PurchaseReceiptLine",
    "QualificationDocument",
    "Reservation",
    "ReviewPhoto",
    "SearchSynonym",
    "SearchTerm",
    "SkuPrice",
    "SpotCheck",
    "Stock",
    "StockDiscrepancy",
    "StockMovement",
    "Stocktake",
    "StocktakeLine",
    "StocktakeStatusChange",
    "Supplier",
    "SupplierStatusChange",
    "SupplierStrike",
    "Warehouse",
]
