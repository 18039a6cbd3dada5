from .flashsales import FlashSale, FlashSaleClaim

__all__ = ["FlashSale", "FlashSaleClaim"]
