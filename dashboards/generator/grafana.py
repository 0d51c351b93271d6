"""The Grafana dashboard model, as much of it as HAKMEM's dashboards use (schema 39, Grafana
10/11), built from plain Python objects. A Panel carries, beside what Grafana reads, what the
tests check of its queries against a real Prometheus (Check): the JSON is written from the same
objects the tests import, so a panel and its check cannot drift apart.

Variables every dashboard has: datasource, instance, comm, pid, class (values from
hakmem_process_info and hakmem_allocs_total). SEL and SEL_CLASS are the label matchers panels
put in every selector of a per-process family."""
from dataclasses import dataclass, field
from typing import Optional

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'instance=~"$instance", comm=~"$comm", pid=~"$pid"'
SEL_CLASS = SEL + ', class=~"$class"'
SEL_HOST = 'instance=~"$instance"'


def rate(family, by, sel=SEL):
    """The per-second rate of a counter family under `sel`, summed by `by`."""
    return f"sum by ({by}) (rate({family}{{{sel}}}[$__rate_interval]))"


@dataclass
class Check:
    """What a query must return against a live Prometheus with every variable at All.
    per: the label every workload must have a series for ("pid" or "" for any series);
    lo/hi: bounds of every value (None: unbounded); sums_to_one_by: labels whose groups of
    series must sum to 1 (hit-rate shares); empty: why it may return nothing for a workload
    there, and empty_when: a query whose value must be 0 (or absent) for that workload when it
    does, so the live test checks the reason holds."""
    per: str = "pid"
    lo: Optional[float] = 0.0
    hi: Optional[float] = None
    sums_to_one_by: tuple = ()
    empty: str = ""
    empty_when: str = ""


@dataclass
class Target:
    expr: str
    legend: str
    check: Check = field(default_factory=Check)
    instant: bool = False


@dataclass
class Panel:
    title: str
    description: str
    unit: str
    targets: list
    kind: str = "timeseries"   # timeseries, table, stat, heatmap
    stacking: str = "none"     # none or percent (timeseries)
    width: int = 12
    height: int = 8
    max: Optional[float] = None


@dataclass
class Row:
    title: str
    panels: list


def variables(extra=()):
    """The datasource, instance, comm, pid and class variables, then `extra` ones."""
    def query_var(name, label, query, multi=True):
        return {
            "name": name, "label": label, "type": "query", "datasource": DATASOURCE,
            "definition": query, "query": {"query": query, "refId": name},
            "refresh": 2, "sort": 3, "multi": multi, "includeAll": multi,
            "allValue": ".*" if multi else None, "current": {}, "hide": 0, "options": [],
        }
    out = [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "refresh": 1, "current": {}, "hide": 0, "options": []},
        query_var("instance", "hakmemd", "label_values(hakmem_process_info, instance)"),
        query_var("comm", "Program", 'label_values(hakmem_process_info{instance=~"$instance"}, comm)'),
        query_var("pid", "PID", 'label_values(hakmem_process_info{instance=~"$instance", comm=~"$comm"}, pid)'),
        query_var("class", "Size class",
                  'label_values(hakmem_allocs_total{instance=~"$instance", comm=~"$comm", pid=~"$pid"}, class)'),
    ]
    out += [query_var(name, label, query, multi) for name, label, query, multi in extra]
    return out


def _panel_json(p, pid, x, y):
    targets = []
    for i, t in enumerate(p.targets):
        tj = {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": t.expr,
              "legendFormat": t.legend, "range": not (t.instant or p.kind in ("table", "stat")),
              "instant": t.instant or p.kind in ("table", "stat")}
        if p.kind == "table":
            tj["format"] = "table"
        if p.kind == "heatmap":
            tj["format"] = "heatmap"
        targets.append(tj)
    defaults = {"unit": p.unit}
    if p.max is not None:
        defaults["max"] = p.max
    if p.kind == "timeseries":
        defaults["min"] = 0
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                              "stacking": {"mode": p.stacking, "group": "A"},
                              "showPoints": "never", "spanNulls": False}
    j = {"id": pid, "type": p.kind, "title": p.title, "description": p.description,
         "datasource": DATASOURCE, "gridPos": {"h": p.height, "w": p.width, "x": x, "y": y},
         "fieldConfig": {"defaults": defaults, "overrides": []}, "targets": targets}
    if p.kind == "timeseries":
        j["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}
    elif p.kind == "table":
        j["options"] = {"showHeader": True}
        j["transformations"] = [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True,
                                                                                  "__name__": True}}}]
    elif p.kind == "stat":
        j["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "textMode": "value_and_name", "colorMode": "none"}
    elif p.kind == "heatmap":
        j["options"] = {"calculate": False, "yAxis": {"unit": "s"}, "cellGap": 1,
                        "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64},
                        "tooltip": {"show": True, "yHistogram": True}}
    return j


def dashboard(uid, title, description, rows, extra_vars=()):
    """The dashboard's JSON object: rows laid out top to bottom, panels two to a row unless
    wider. Panel ids count up from 1 in order, so the output is stable."""
    panels = []
    next_id = 1
    y = 0
    for row in rows:
        panels.append({"id": next_id, "type": "row", "title": row.title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        x = 0
        row_h = 0
        for p in row.panels:
            if x + p.width > 24:
                x = 0
                y += row_h
                row_h = 0
            panels.append(_panel_json(p, next_id, x, y))
            next_id += 1
            x += p.width
            row_h = max(row_h, p.height)
        y += row_h
    return {
        "uid": uid, "title": title, "description": description, "tags": ["hakmem"],
        "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1,
        "refresh": "10s", "time": {"from": "now-30m", "to": "now"}, "timezone": "browser",
        "annotations": {"list": []}, "links": [], "templating": {"list": variables(extra_vars)},
        "panels": panels,
    }


def all_targets(rows):
    """(panel, target) for every query of a dashboard's rows, in order."""
    return [(p, t) for row in rows for p in row.panels for t in p.targets]
