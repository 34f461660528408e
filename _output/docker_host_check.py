"""
Print ``docker_host.check`` reports for people.

One line per item, grouped by area, with the fix under each item that is
not ok, and a closing count; one line when every item is ok. ``--out=json``
or ``--out=yaml`` give the data.
"""

__virtualname__ = "docker_host_check"

_MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def __virtual__():
    return __virtualname__


def _is_report(data):
    return isinstance(data, dict) and "items" in data and "counts" in data


def _render(report, indent=""):
    counts = report["counts"]
    if report["result"] == "ok":
        # Nothing to act on: one line (--out=json lists what was checked).
        return f"{indent}OK: all {counts['ok']} checks pass"
    lines, area = [], None
    for item in report["items"]:
        item_area = item["id"].split(".", 1)[0]
        if item_area != area:
            area = item_area
            lines.append(f"{indent}{area}")
        lines.append(f"{indent}  {_MARKS.get(item['status'], item['status'])}  {item['reason']}")
        if item["status"] != "ok" and item.get("fix"):
            lines.append(f"{indent}        fix: {item['fix']}")
    lines.append(
        f"{indent}{report['result'].upper()}: {counts['ok']} ok, {counts['warn']} warn, "
        f"{counts['fail']} fail"
    )
    return "\n".join(lines)


def output(data, **kwargs):  # pylint: disable=unused-argument
    """Render one report, or one per minion."""
    if _is_report(data):
        return _render(data)
    if isinstance(data, dict):
        blocks = []
        for minion, report in data.items():
            if _is_report(report):
                blocks.append(f"{minion}:\n{_render(report, '    ')}")
            else:
                blocks.append(f"{minion}:\n    {report}")
        return "\n".join(blocks)
    return str(data)
