"""Payment provider adapters: Alipay, WeChat Pay (API v3), and the sandbox (a pretend
Alipay / WeChat Pay for local runs and tests)."""
