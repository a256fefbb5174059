"""`aarya_process_info{process}` = 1, so a scrape that works always shows the process.

Defined once for every kind of process (services through kit/metrics.py, the bridge, the
gateway): prometheus_client refuses a second metric of the same name in one registry, and a
test process that imports both a service module and the gateway must not die of that.
`multiprocess_mode` counts only under the gateway's multiprocess collector.
"""
from prometheus_client import Gauge

PROCESS_INFO = Gauge("aarya_process_info", "1 for every running Aarya process", ["process"],
                     multiprocess_mode="max")
