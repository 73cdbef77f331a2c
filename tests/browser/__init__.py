"""Browser tests: real Chromium through Playwright against the live dashboard."""

import pytest

# Every browser test module's ``pytestmark``. live_server needs a transactional
# database; the serialized rollback brings back what the migrations wrote (the
# role groups) after each flush.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
