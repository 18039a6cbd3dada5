"""Payment providers: the interface (``base``), the registry of adapters switched on
(``registry``) and the adapters themselves (``adapters/``)."""
