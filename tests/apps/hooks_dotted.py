"""A config file naming its hook by a dotted string; QILIN_TEST_HOOK_NAME
overrides the name (to try names that cannot be imported)."""
import os

post_fork = os.environ.get("QILIN_TEST_HOOK_NAME", "hooks_funcs.post_fork")
