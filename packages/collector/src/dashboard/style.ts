/**
 * The dashboard's only stylesheet, served at /dashboard.css. Kept in a module (not a .css file) so the TypeScript
 * build ships it in dist/ with nothing to copy, and the collector needs no static-file plugin.
 */
import { createHash } from 'node:crypto';
import { MACHINE_STATUSES } from '../status/types.js';
import { STATUS_COLORS } from './format.js';

const badges = MACHINE_STATUSES.map(
  (s) =>
    `.st-${s}{background:${STATUS_COLORS[s]};color:#fff}.card.c-${s}{border-top-color:${STATUS_COLORS[s]}}` +
    `.reasons li.r-${s}{border-left-color:${STATUS_COLORS[s]}}`,
).join('\n');

/** The stylesheet. */
export const DASHBOARD_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2933;background:#f4f6f8}
header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#1f2933;color:#fff}
header a{color:#cbd2d9;text-decoration:none}
header a.brand{color:#fff;font-weight:700;font-size:17px;letter-spacing:.02em}
header nav{display:flex;gap:16px;flex:1}
header nav a.active{color:#fff;border-bottom:2px solid #fff}
.logout button{background:none;border:1px solid #7b8794;color:#e4e7eb;border-radius:4px;padding:3px 10px;cursor:pointer}
main{max-width:1200px;margin:0 auto;padding:16px 24px 32px}
h1{font-size:22px;margin:8px 0 16px}
h2{font-size:17px;margin:28px 0 10px}
a{color:#0b5cad}
footer{color:#7b8794;font-size:12px;text-align:center;padding:16px}
.muted{color:#7b8794}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(112px,1fr));gap:10px}
.card{display:block;background:#fff;border:1px solid #d9dee3;border-top:5px solid #9aa5b1;border-radius:6px;padding:10px 12px;text-decoration:none;color:inherit}
.card:hover{box-shadow:0 1px 4px rgba(0,0,0,.15)}
.card .count{display:block;font-size:28px;font-weight:700}
.card .label{font-size:12px;color:#52606d}
.card.zero .count{color:#9aa5b1}
.panel{background:#fff;border:1px solid #d9dee3;border-radius:6px;padding:14px 16px;margin-bottom:16px}
.chart{width:100%;height:auto;display:block}
.chart .axis{font-size:11px;fill:#52606d}
.chart .code{font-size:10px;fill:#c62828;font-family:ui-monospace,Consolas,monospace}
.chart.probe{max-width:560px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:14px;padding:0;margin:8px 0 0;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.swatch.ok{background:#2e8540}.swatch.fail{background:#c62828}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9dee3}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th,time,td.host,td code{white-space:nowrap}
th{background:#f0f3f6;font-weight:600;font-size:12px;color:#3e4c59}
td.num,th.num{text-align:right}
td.why{max-width:380px;color:#52606d;font-size:12px}
table.events td:first-child{white-space:nowrap}
table.events td code{white-space:normal;overflow-wrap:anywhere}
tr.orphan td{background:#fdecea}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;white-space:nowrap;background:#e4e7eb}
.badge.orphan{background:#c62828;color:#fff;font-weight:600}
.badge.warn{background:#ef6c00;color:#fff}.badge.ok{background:#2e8540;color:#fff}.badge.info{background:#9aa5b1;color:#fff}
${badges}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#52606d;gap:2px}
input,select,button{font:inherit;padding:5px 8px;border:1px solid #9aa5b1;border-radius:4px;background:#fff}
button.primary{background:#0b5cad;color:#fff;border-color:#0b5cad;cursor:pointer}
.pager{display:flex;gap:16px;margin-top:10px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:#52606d}
dl.facts dd{margin:0;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,Consolas,monospace;font-size:12.5px}
pre{white-space:pre-wrap;background:#f0f3f6;padding:10px;border-radius:4px}
.reasons{list-style:none;padding:0;margin:0}
.reasons li{border-left:4px solid #9aa5b1;padding:6px 10px;margin-bottom:8px;background:#fff}
.explain .fix ol{margin:4px 0;padding-left:22px}
.explain summary{cursor:pointer}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
.login{max-width:440px;margin:60px auto}
.login input{width:100%;margin:6px 0 12px}
.error{background:#fdecea;border:1px solid #f5c2c0;color:#8a1c1c;padding:8px 12px;border-radius:4px}
`;

/** A strong ETag of the stylesheet, so browsers revalidate cheaply after an upgrade. */
export const DASHBOARD_CSS_ETAG = `"${createHash('sha256').update(DASHBOARD_CSS).digest('base64url').slice(0, 16)}"`;
