"""The "fuzz" Hypothesis profile that `make fuzz` loads (`--hypothesis-profile=fuzz`):
many more examples than the normal suite gives the same tests. Registered here and in
tests/fuzz/conftest.py, because Hypothesis looks the profile up before it reads
conftest files of folders not named on the command line."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much])
