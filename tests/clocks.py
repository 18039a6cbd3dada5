"""Fixed moments for tests, so that no test depends on the day, the hour or the speed of
the machine it runs on.

Use them with time-machine's marker, for a module or a test::

    pytestmark = pytest.mark.time_machine(MID_MONTH)             # the clock starts there
    @pytest.mark.time_machine(MID_MONTH, tick=False)             # and stands still

time-machine moves Python's clock only (``timezone.now()``, ``localdate()``,
``time.time()``, in every thread): PostgreSQL's ``now()`` and Redis' key expiry keep real
time. The shop takes every moment from Python, so this is enough for its services; a test
that reads the database's clock, or waits for a Redis key to expire, cannot be anchored
this way. A clock that stands still also stands still for Celery workers and live
servers in threads of the test: keep ``tick`` for those.
"""

import datetime
import zoneinfo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# A Wednesday in the middle of a month, mid-morning in Shanghai (the shop's TIME_ZONE), in
# working hours: two weeks either way stay in June, a day either way on the same side of
# the weekend, and the UTC date is the shop's date (02:00 UTC).
MID_MONTH = datetime.datetime(2026, 6, 17, 10, 0, tzinfo=SHANGHAI)
