from tests.vouchers.conftest import budget, citizen, jeonju_policy, staff  # noqa: F401
