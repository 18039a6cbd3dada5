"""Payment provider adapters: the sandbox (a pretend Alipay / WeChat Pay for local runs and
tests)."""
