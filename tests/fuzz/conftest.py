"""Hypothesis profiles: `ci` (the default, inside the suite's time budget) and `long` (`make fuzz`)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The app outlives the examples on purpose: what one command stores, the next ones meet (a fuzzer's state).
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=False)
settings.register_profile("ci", max_examples=120, **_COMMON)
settings.register_profile("long", max_examples=3000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
