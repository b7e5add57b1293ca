"""The status page's style and its few lines of script, and the Content-Security-Policy that
allows exactly these two (by hash) and nothing else: no other script, no inline style
attribute, no frame around the page, no form posting anywhere but here.

The script only refreshes the page in place every ``REFRESH_SECONDS``: it fetches the same
address, swaps the live part of the document, and re-opens what the operator had opened (and
keeps the scroll position); "pause" stops it. Without script the page still reads, and
reloads itself through a ``<noscript>`` meta refresh.
"""

from __future__ import annotations

import base64
import hashlib

REFRESH_SECONDS = 5

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 18px}
header h1{font-size:18px;margin:0 0 4px}
header a{color:#9cc3ff}
header .meta{color:#c9d1e0}
.alarm{background:#b91c1c;color:#fff;border-radius:8px;padding:0 8px;font-weight:700}
.alarm a{color:#fff}
.calm{background:#166534;color:#fff;border-radius:8px;padding:0 8px}
main{padding:6px 18px 24px}
h2{font-size:16px;margin:18px 0 6px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 6px;text-align:left;vertical-align:top;
 overflow-wrap:break-word}
th{background:#eef0f3;font-weight:600}
table.fixed{table-layout:fixed}
table.fixed td{overflow-wrap:anywhere}
.w7{width:7%}.w9{width:9%}.w10{width:10%}.w12{width:12%}.w15{width:15%}.w18{width:18%}
.w22{width:22%}.w66{width:66%}
code,.mono{font-family:ui-monospace,monospace;font-size:12px}
.uuid{display:block;max-width:24em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.small{color:#5b6475;font-size:12px}
.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#e3e6ea;color:#1d2330;
 text-decoration:none;font-size:12px;white-space:nowrap}
.s-active,.s-online,.s-up{background:#d5f2dc;color:#14532d}
.s-error,.s-offline,.s-down{background:#fbd5d5;color:#7f1d1d}
.s-degraded,.s-pending_create,.s-pending_update,.s-pending_delete{background:#fdecc8;
 color:#713f12}
.filters{background:#fff;border:1px solid #e3e6ea;padding:6px 10px;margin-top:10px}
.filters a{margin-right:4px}
.filters .current{font-weight:700}
.filters input[type=search]{width:16em;max-width:100%}
.pager{margin:6px 0}
.pager a,.pager span{margin-right:8px}
tr.lb-error td{background:#fff3f3}
.lvl-error td{background:#fff3f3}
.lvl-warning td{background:#fffaf0}
.op-create{color:#166534}.op-update{color:#854d0e}.op-delete{color:#991b1b}
details{background:#fff;border:1px solid #e3e6ea;margin:4px 0;padding:4px 8px}
summary{cursor:pointer}
ul.tree{list-style:none;padding-left:1.2em;margin:2px 0}
ul.tree li{margin:2px 0}
#refresh{float:right;font-size:12px}
@media (max-width:700px){
 main{padding:4px 8px 16px}
 header{padding:8px}
 table.cards thead{display:none}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:auto}
 table.cards tr{border-bottom:2px solid #d4d8de;padding:4px 0}
 table.cards td{border:0;padding:1px 6px;overflow-wrap:anywhere}
 table.cards td[data-label]::before{content:attr(data-label) ": ";color:#5b6475;font-size:12px}
 .uuid{max-width:100%}
 #refresh{float:none}
}
"""

SCRIPT = """
(function () {
  function refresh() {
    var paused = document.getElementById("pause");
    if (paused && paused.checked) { return; }
    fetch(location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("live");
        var live = document.getElementById("live");
        if (!fresh || !live) { return; }
        var opened = [];
        live.querySelectorAll("details[id]").forEach(function (d) {
          opened.push([d.id, d.open]);
        });
        var x = window.scrollX, y = window.scrollY;
        live.replaceWith(fresh);
        opened.forEach(function (pair) {
          var d = document.getElementById(pair[0]);
          if (d) { d.open = pair[1]; }
        });
        window.scrollTo(x, y);
      })
      .catch(function () {});
  }
  setInterval(refresh, REFRESH_MS);
})();
""".replace("REFRESH_MS", str(REFRESH_SECONDS * 1000))


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"style-src {_sha256(STYLE)}; "
    f"script-src {_sha256(SCRIPT)}; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

#: On every answer of the daemon's HTTP ports.
SECURITY_HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
