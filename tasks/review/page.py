"""The pack as one self-contained HTML file: styles, the charts' specifications and Vega, Vega-Lite
and vega-embed inlined (vl-convert-python bundles the three libraries offline, from the copies
its wheel ships), so the page opens from disk with no network. Its Content-Security-Policy lets
it load nothing from anywhere: a chart that tried would fail, and say so in the console."""
from __future__ import annotations

import functools
import html
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from schemas.config import CACHE_ENV
from tasks.review.text import Words

# Vega-Lite of the installed Altair (v6.4.x) as vl-convert names it
VL_VERSION = "v6_4"

# Latin text in a Latin font first (CJK fonts draw Latin quotes full width), Chinese in Noto Sans CJK
# (Debian's fonts-noto-cjk, which scripts/install-browser installs)
FONTS = {"en": "'Liberation Sans', 'DejaVu Sans', 'Noto Sans CJK SC', sans-serif",
         "zh": "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', 'Liberation Sans', sans-serif"}

CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:")

STYLE = """
:root { --good: #1a7f37; --bad: #cf222e; --neutral: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: var(--font); color: #24292f; margin: 0 auto; max-width: 1240px; padding: 24px 32px 64px;
       font-size: 14px; line-height: 1.45; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header p { color: var(--neutral); margin: 0 0 12px; }
nav ol { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 8px 12px; margin: 0 0 8px; list-style: none;
         background: var(--soft); border-radius: 6px; }
nav a { color: #0969da; text-decoration: none; }
section { border-top: 2px solid var(--line); margin-top: 22px; padding-top: 6px; }
h2 { font-size: 20px; margin: 8px 0; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.note { color: var(--neutral); margin: 4px 0 10px; max-width: 1000px; }
p.calm { color: var(--good); font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
table.campaigns { font-size: 12px; } table.campaigns th { white-space: normal; }
table.campaigns td:first-child { white-space: nowrap; }
table.decisions td:nth-child(3), table.notes td:first-child, table.notes td:last-child { white-space: nowrap; }
table.decisions { font-size: 12px; } table.decisions td:last-child { max-width: 240px; }
table.decisions td:last-child .badge { white-space: normal; display: inline-block; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.headline td:first-child, table.signals td:first-child { border-left: 4px solid transparent; }
table.headline { font-size: 12px; } table.headline td { white-space: nowrap; } table.headline th { white-space: normal; }
table.headline tr.good td:first-child, table.signals tr.good td:first-child { border-left-color: var(--good); }
table.headline tr.bad td:first-child, table.signals tr.bad td:first-child { border-left-color: var(--bad); }
table.headline tr.neutral td:first-child { border-left-color: var(--line); }
table.headline tr.flagged td:first-child, table.signals tr.neutral td:first-child { border-left-color: #0969da; }
span.good { color: var(--good); font-weight: 600; } span.bad { color: var(--bad); font-weight: 600; }
span.neutral { color: var(--neutral); }
.badge { padding: 1px 6px; border-radius: 10px; font-size: 12px; white-space: nowrap; }
.badge.good { background: #dafbe1; color: var(--good); } .badge.bad { background: #ffebe9; color: var(--bad); }
.badge.neutral { background: var(--soft); color: var(--neutral); }
.awaiting { color: #9a6700; font-style: italic; white-space: nowrap; }
div.note { font-size: 12px; margin-bottom: 2px; } .decision { font-size: 11px; padding: 0 5px; border-radius: 8px;
  background: #ddf4ff; color: #0969da; }
.amber-text { color: #9a6700; font-weight: 600; }
.badge.amber { background: #fff8c5; color: #9a6700; }
.restated-mark { color: #9a6700; font-weight: 700; }
.chip { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; background: #8c959f; }
.chip.red { background: #cf222e; } .chip.amber { background: #d4a72c; } .chip.green { background: #2da44e; }
tr.red td { background: #fff5f5; } tr.amber td { background: #fffbea; }
.changed { color: #8250df; font-size: 12px; white-space: nowrap; }
.id { color: var(--neutral); font-size: 11px; white-space: nowrap; font-family: 'DejaVu Sans Mono', monospace; }
.run { font-family: 'DejaVu Sans Mono', monospace; font-size: 12px; }
figure.chart-figure { margin: 10px 0 18px; }
figure.chart-figure figcaption { font-weight: 600; margin-bottom: 4px; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 28px; }
details summary { cursor: pointer; color: #0969da; margin: 6px 0; }
code { background: var(--soft); padding: 0 4px; border-radius: 4px; font-size: 12px; }
@media print { section { break-before: page; } nav { display: none; } }
"""


@functools.cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (about 0.9 MB) that defines `vegaEmbed`, built
    offline by vl-convert: about 1.8 s of every process that writes a pack (every nightly run), so
    it is kept on disk (bundle_cache_dir) once built, one file per vl-convert and Vega-Lite version."""
    import vl_convert

    cached = bundle_cache_dir() / f"vega-{vl_convert.__version__}-{VL_VERSION}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=VL_VERSION)
    try:  # written whole or not at all: a killed process leaves no half a bundle to be read later
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        partial.write_text(bundle, encoding="utf-8")
        partial.replace(cached)
    except OSError as exc:  # a cache it cannot write costs time, never the pack
        logging.getLogger(__name__).debug("Vega bundle not cached in %s: %s", cached.parent, exc)
    return bundle


def bundle_cache_dir() -> Path:
    """Where the built Vega bundle is kept: $OPSMETRICS_CACHE_DIR, else opsmetrics/ in the user's
    cache folder ($XDG_CACHE_HOME or ~/.cache)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "opsmetrics"


@functools.cache
def vega_locales(lang: str) -> tuple[dict, dict] | None:
    """d3's number and time formats of the page's language (vl-convert ships them)."""
    if lang != "zh":
        return None
    import vl_convert

    return vl_convert.get_format_locale("zh-CN"), vl_convert.get_time_format_locale("zh-CN")


def script_json(value: object) -> str:
    """JSON to put inside <script>: no `</` can end the element early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def render(*, title: str, subtitle: str, sections: Sequence, chart_specs: dict[str, dict], words: Words) -> str:
    toc = "".join(f'<li><a href="#{s.id}">{html.escape(s.title)}</a></li>' for s in sections)
    body = "".join(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>{s.html}</section>' for s in sections)
    options: dict[str, object] = {"actions": False, "renderer": "svg", "config": {"font": FONTS[words.lang]}}
    locales = vega_locales(words.lang)
    if locales:
        options["formatLocale"], options["timeFormatLocale"] = locales
    bundle = vega_bundle().replace("</script", "<\\/script")
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if words.lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>:root {{ --font: {FONTS[words.lang]}; }}{STYLE}</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>
<nav><ol>{toc}</ol></nav>
{body}
<script>
{bundle}
</script>
<script>
(function () {{
  const specs = {script_json(chart_specs)};
  const options = {script_json(options)};
  // each chart container says when it is drawn (data-rendered: done, or error): what a test waits for
  for (const [id, spec] of Object.entries(specs)) {{
    const element = document.getElementById(id);
    vegaEmbed(element, spec, options).then(function () {{
      element.dataset.rendered = "done";
    }}).catch(function (error) {{
      element.dataset.rendered = "error";
      console.error("chart " + id + ": " + error);
    }});
  }}
}})();
</script>
</body>
</html>
"""


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` whole or not at all (a reader never opens half a page); the absolute path."""
    path = path.absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
