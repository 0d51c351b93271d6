"""HAKMEM's Grafana dashboards as code: grafana.py is the model, one module per dashboard."""
from . import compare, host, process

DASHBOARDS = {"hakmem-process.json": process, "hakmem-compare.json": compare, "hakmem-host.json": host}
