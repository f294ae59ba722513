#!/usr/bin/env python3
"""Reads a Prometheus text exposition on stdin with the Prometheus client library's own parser
(PyPI prometheus-client) and prints every sample as JSON, one list:

    [{"family": "signet_operations_started", "type": "counter",
      "name": "signet_operations_started_total", "labels": {"outcome": "accepted"}, "value": 2.0}, ...]

A text the parser rejects makes it exit with status 1 and the parser's error on stderr.
"""
import json, sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        samples.append({"family": family.name, "type": family.type, "name": sample.name,
                        "labels": sample.labels, "value": sample.value})
json.dump(samples, sys.stdout)
