"""Importing this module raises: the traceback must be shown."""
raise RuntimeError("qilin-test: broken_import raises at import time")
