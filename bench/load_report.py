"""One load generator's report as one line: "req/s p50-ms p99-ms non-2xx requests".

    python3 bench/load_report.py wrk FILE   (wrk --latency output)
    python3 bench/load_report.py oha FILE   (oha --output-format json)
"""
import json
import re
import sys

tool, path = sys.argv[1], sys.argv[2]
text = open(path).read()
if tool == "wrk":
    def ms(label):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % label, text, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = int(errors.group(1)) if errors else 0
    p50, p99 = ms("50%"), ms("99%")
elif tool == "oha":
    report = json.loads(text)
    codes = report["statusCodeDistribution"]
    requests = sum(codes.values())
    errors = requests - codes.get("200", 0)
    rps = report["summary"]["requestsPerSec"]
    p50 = report["latencyPercentiles"]["p50"] * 1000
    p99 = report["latencyPercentiles"]["p99"] * 1000
else:
    sys.exit(f"unknown load generator {tool}")
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errors} {requests}")
