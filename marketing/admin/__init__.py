from . import flashsales  # noqa: F401  (registers the flash-sale admin)
