/* LSTMVis-Dash: the page's shared clientside helpers (no server round trip).
 * - LV.setProps(id, data): write a store (dash_clientside.set_props), which fires the page callback;
 * - the navigation channel: a click on any element with data-lv-nav-start/-stop (a search hit, a
 *   comparison row) asks the page to show that range (the store named by the page's data-lv-navigate);
 * - PNG / SVG export of a figure (buttons with data-lv-export = the graph's id);
 * - rewriting a non-canonical address in place (history.replaceState, no new history entry);
 * - one Plotly.react per task (figures of one answer no longer freeze the page for their sum), the
 *   awaited result first;
 * - text traces drawn on a canvas (LV.drawCanvasText; the match matrix's words), line traces on a
 *   canvas under the plot (LV.drawCanvasLines; the select plot's lines), heatmaps too
 *   (LV.drawCanvasHeatmaps; the match matrix's bricks).
 * No component id is written here: ids come from data attributes that the Python layouts set.
 */
(function () {
    'use strict';
    var LV = window.LV = window.LV || {};
    var DTYPES = {f4: Float32Array, f8: Float64Array, u1: Uint8Array, i1: Int8Array, u2: Uint16Array,
                  i2: Int16Array, u4: Uint32Array, i4: Int32Array};

    LV.setProps = function (id, data) {
        if (id && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(id, {data: data});
        }
    };
    LV.pageAttr = function (name) {
        var page = document.querySelector('.lv-page');
        return page ? page.getAttribute(name) : null;
    };
    LV.navigate = function (request) {
        request.n = Date.now() + Math.random();
        LV.setProps(LV.pageAttr('data-lv-navigate'), request);
    };
    LV.plot = function (container) {
        return container ? container.querySelector('.js-plotly-plot') : null;
    };
    /* a trace array as a plain array-like: plotly keeps typed arrays in _fullData, the b64 spec in data */
    LV.decode = function (arr) {
        if (!arr) { return []; }
        if (arr.bdata !== undefined && arr.dtype) {
            var bin = atob(arr.bdata), buf = new ArrayBuffer(bin.length), bytes = new Uint8Array(buf);
            for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
            return new DTYPES[arr.dtype](buf);
        }
        return arr;
    };
    /* LV.decode, kept on the spec object: a figure's arrays are read again on every mouse move */
    LV.decoded = function (arr) {
        if (!arr || arr.bdata === undefined) { return LV.decode(arr); }
        if (!arr._lvDecoded) { Object.defineProperty(arr, '_lvDecoded', {value: LV.decode(arr), enumerable: false}); }
        return arr._lvDecoded;
    };
    /* One figure per task. dcc.Graph calls Plotly.react for every figure of a callback's answer in
       the same task: the select plot, the plot under the words, the match matrix and the histogram
       froze the page for their sum (250-500 ms here). Queued, each react runs in a task of its own
       (the page paints and takes input between them); a newer figure for a graph whose previous one
       is still queued replaces it. Graphs inside an element with data-lv-react-order="n" go in the
       order of n (lower first; default 5), else in the order they came: the result a person is
       waiting for (the matches) is drawn before the views that only follow it. */
    var queue = [], pump = new MessageChannel();
    function order(gd) {
        var box = gd && gd.closest ? gd.closest('[data-lv-react-order]') : null;
        var n = box ? parseFloat(box.getAttribute('data-lv-react-order')) : NaN;
        return isFinite(n) ? n : 5;
    }
    pump.port1.onmessage = function () {
        var best = 0;
        for (var i = 1; i < queue.length; i++) { if (queue[i].order < queue[best].order) { best = i; } }
        var job = queue.splice(best, 1)[0];
        if (queue.length) { pump.port2.postMessage(0); }
        if (!job) { return; }
        var result;
        try { result = job.react.apply(window.Plotly, job.args); } catch (e) { job.done.forEach(function (d) { d[1](e); }); return; }
        Promise.resolve(result).then(function (v) { job.done.forEach(function (d) { d[0](v); }); },
                                     function (e) { job.done.forEach(function (d) { d[1](e); }); });
    };
    function queueReacts() {
        var P = window.Plotly;
        if (!P || !P.react || P._lvQueued) { return; }
        var react = P.react;
        P.react = function (gd) {
            var args = arguments;
            return new Promise(function (resolve, reject) {
                var done = [[resolve, reject]];
                for (var i = 0; i < queue.length; i++) {
                    if (queue[i].gd === gd) { done = queue.splice(i, 1)[0].done.concat(done); break; }
                }
                queue.push({gd: gd, args: args, react: react, done: done, order: order(gd)});
                if (queue.length === 1) { pump.port2.postMessage(0); }
            });
        };
        P._lvQueued = true;
    }
    queueReacts();

    /* bind(selector, fn): call fn(gd) once for each plotly graph under an element matching selector */
    var binders = [];
    LV.bind = function (selector, fn) { binders.push([selector, fn]); };
    setInterval(function () {
        queueReacts();
        binders.forEach(function (b) {
            document.querySelectorAll(b[0]).forEach(function (box) {
                var gd = LV.plot(box), key = '_lv' + b[0];
                if (gd && typeof gd.on === 'function' && !gd[key]) { gd[key] = true; b[1](gd, box); }
            });
        });
    }, 250);

    document.addEventListener('click', function (e) {
        var hit = e.target.closest ? e.target.closest('[data-lv-nav-start]') : null;
        if (hit) {
            LV.navigate({dataset: hit.getAttribute('data-lv-nav-dataset'), use: false,
                         start: parseInt(hit.getAttribute('data-lv-nav-start'), 10),
                         stop: parseInt(hit.getAttribute('data-lv-nav-stop'), 10)});
            return;
        }
        var exp = e.target.closest ? e.target.closest('[data-lv-export]') : null;
        if (exp) { exportFigure(exp.getAttribute('data-lv-export'), exp.getAttribute('data-lv-format'),
                                exp.getAttribute('data-lv-filename')); }
    });

    /* Text traces marked CANVAS_TEXT (match_figures.canvas_text) drawn on a canvas laid over the plot,
       under the hover and colour-bar layers: plotly's SVG text costs about 0.6 ms a word per update,
       this a few ms for all. Plotly does not draw them (invisible, or no text in mode). Call after
       each plot (plotly_afterplot). What was drawn is kept as canvas._lvDrawn [[x, y, text, colour, trace name], ...]. */
    var CANVAS_TEXT = 'lv-canvas-text';
    function literal(t) {
        return String(t).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    }
    function pick(v, k) { return Array.isArray(v) ? v[k] : v; }
    /* LV.overlay(gd, name[, under]): a cleared 2-D canvas of the figure's size over its plot, under the
       hover and colour-bar layers (pointer events pass through), in CSS pixels; null before the
       first plot. With `under`, beneath the plot's SVG (whose backgrounds must be transparent), so
       that the grid, the shapes and the text are drawn over it. */
    LV.overlay = function (gd, name, under) {
        var fl = gd && gd._fullLayout, box = gd && gd.querySelector('.svg-container');
        if (!fl || !fl.xaxis || !fl.yaxis || !box) { return null; }
        var cv = box.querySelector('canvas.' + name);
        if (!cv) {
            cv = document.createElement('canvas');
            cv.className = name;
            cv.style.cssText = 'position: absolute; left: 0; top: 0; pointer-events: none;';
            var svgs = box.querySelectorAll(':scope > .main-svg');
            box.insertBefore(cv, under ? svgs[0] || null : svgs.length > 1 ? svgs[1] : null);
        }
        var dpr = window.devicePixelRatio || 1, W = fl.width, H = fl.height;
        if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
            cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
            cv.style.width = W + 'px'; cv.style.height = H + 'px';
        }
        var c = cv.getContext('2d');
        c.setTransform(dpr, 0, 0, dpr, 0, 0);
        c.clearRect(0, 0, W, H);
        return c;
    };
    /* LV.drawLines(gd, name, lines, style): polylines in data coordinates on overlay `name`; each
       line {x, y, xaxis, yaxis} (axis names as in _fullLayout, default xaxis/yaxis; null breaks it);
       style {color, width, markers}. No lines: the overlay is cleared. */
    LV.drawLines = function (gd, name, lines, style) {
        var c = LV.overlay(gd, name), fl = gd && gd._fullLayout;
        if (!c) { return; }
        c.strokeStyle = c.fillStyle = style.color;
        c.lineWidth = style.width;
        c.lineJoin = 'round';
        lines.forEach(function (l) {
            var xa = fl[l.xaxis || 'xaxis'], ya = fl[l.yaxis || 'yaxis'], pts = [];
            c.beginPath();
            var open = false;
            for (var k = 0; k < l.x.length; k++) {
                if (l.x[k] === null || l.y[k] === null || !isFinite(l.y[k])) { open = false; continue; }
                var px = xa._offset + xa.l2p(l.x[k]), py = ya._offset + ya.l2p(l.y[k]);
                if (open) { c.lineTo(px, py); } else { c.moveTo(px, py); open = true; }
                pts.push([px, py]);
            }
            c.stroke();
            if (style.markers) {
                pts.forEach(function (p) { c.beginPath(); c.arc(p[0], p[1], style.markers, 0, 2 * Math.PI); c.fill(); });
            }
        });
    };
    /* Line traces marked CANVAS_LINES (select_figures.py: the window's lines and S1) drawn on a canvas
       under the plot: plotly's SVG path of 650 cells x 40 steps cost 80-440 ms per update here (and
       WebGL without a GPU is read back per frame); a canvas strokes them in a few ms. Plotly does
       not draw them (invisible); the export draws them again as SVG. NaN (or null) breaks a line. */
    var CANVAS_LINES = 'lv-canvas-lines';
    function axisOf(fl, ref, letter) { return fl[letter + 'axis' + String(ref || letter).slice(1)]; }
    LV.drawCanvasLines = function (gd) {
        var c = LV.overlay(gd, 'lv-lines-layer', true);
        if (!c) { return; }
        var fl = gd._fullLayout;
        (gd.data || []).forEach(function (t) {
            if (t.meta !== CANVAS_LINES) { return; }
            var xa = axisOf(fl, t.xaxis, 'x'), ya = axisOf(fl, t.yaxis, 'y'), line = t.line || {};
            var xs = LV.decoded(t.x), ys = LV.decoded(t.y), open = false;
            if (!xa || !ya) { return; }
            c.save();
            c.beginPath();
            c.rect(xa._offset, ya._offset, xa._length, ya._length);
            c.clip();
            c.strokeStyle = line.color || '#444';
            c.lineWidth = line.width || 1;
            c.lineJoin = 'round';
            c.beginPath();
            for (var k = 0; k < ys.length; k++) {
                var y = ys[k];
                if (y === null || !isFinite(y)) { open = false; continue; }
                var px = xa._offset + xa.l2p(xs[k]), py = ya._offset + ya.l2p(y);
                if (open) { c.lineTo(px, py); } else { c.moveTo(px, py); open = true; }
            }
            c.stroke();
            c.restore();
        });
    };
    /* Heatmaps marked CANVAS_HEATMAP (match_figures.canvas_heatmap: the match matrix's bricks) filled on
       a canvas under the plot: plotly paints a heatmap with gaps into an image of the plot's size and
       PNG-encodes it (50-140 ms per update of the matrix here). Bricks between the y edges (one more
       than the rows), x centres one apart, xgap px between columns; colours from the colorscale's
       stops (linear between them, as plotly), zmin..zmax; null/NaN is no brick. */
    var CANVAS_HEATMAP = 'lv-canvas-heatmap';
    function rgb(c) {
        var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(c);
        if (m) { return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)]; }
        m = /rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(String(c));
        return m ? [parseFloat(m[1]), parseFloat(m[2]), parseFloat(m[3])] : [0, 0, 0];
    }
    function colourScale(stops, lo, hi) {
        var fr = stops.map(function (s) { return s[0]; }), cs = stops.map(function (s) { return rgb(s[1]); }), memo = {};
        return function (v) {
            if (memo[v] !== undefined) { return memo[v]; }
            var f = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0, k = 0;
            while (k < fr.length - 2 && fr[k + 1] < f) { k++; }
            if (fr[k + 1] === f && k + 2 < fr.length) { k++; }  // a step's edge: the upper colour
            var span = fr[k + 1] - fr[k], t = span > 0 ? Math.min(1, Math.max(0, (f - fr[k]) / span)) : 1;
            var a = cs[k], b = cs[k + 1] || a;
            return (memo[v] = 'rgb(' + [0, 1, 2].map(function (i) { return Math.round(a[i] + (b[i] - a[i]) * t); }).join(',') + ')');
        };
    }
    LV.drawCanvasHeatmaps = function (gd) {
        var c = LV.overlay(gd, 'lv-heat-layer', true);
        if (!c) { return; }
        var fl = gd._fullLayout;
        (gd.data || []).forEach(function (t) {
            if (t.meta !== CANVAS_HEATMAP || !Array.isArray(t.z) || !Array.isArray(t.colorscale)) { return; }
            var xa = axisOf(fl, t.xaxis, 'x'), ya = axisOf(fl, t.yaxis, 'y'), xs = LV.decoded(t.x), ys = LV.decoded(t.y);
            var colour = colourScale(t.colorscale, t.zmin, t.zmax), gap = (t.xgap || 0) / 2;
            c.save();
            c.beginPath();
            c.rect(xa._offset, ya._offset, xa._length, ya._length);
            c.clip();
            for (var r = 0; r < t.z.length && r + 1 < ys.length; r++) {
                var row = t.z[r], p0 = ya._offset + ya.l2p(ys[r]), p1 = ya._offset + ya.l2p(ys[r + 1]);
                var top = Math.min(p0, p1), h = Math.abs(p1 - p0);
                for (var k = 0; row && k < row.length; k++) {
                    var v = row[k];
                    if (v === null || v === undefined || !isFinite(v)) { continue; }
                    var a = xa._offset + xa.l2p(xs[k] - 0.5) + gap, b = xa._offset + xa.l2p(xs[k] + 0.5) - gap;
                    c.fillStyle = colour(v);
                    c.fillRect(a, top, b - a, h);
                }
            }
            c.restore();
        });
    };
    /* Colour bars of traces marked CANVAS_COLORBAR (match_figures.canvas_heatmap's carriers) on a canvas
       over the plot, where plotly would put them (colorbar x, y, len as fractions, thickness px):
       plotly's bar was ~40 ms of the match matrix's update. Integer labels for a stepped scale
       (one colour per count), else its ends; the title beside it. */
    var CANVAS_COLORBAR = 'lv-canvas-colorbar';
    LV.drawCanvasColorbars = function (gd) {
        var c = LV.overlay(gd, 'lv-scale-layer');
        if (!c) { return; }
        var fl = gd._fullLayout, sz = fl._size;
        (gd.data || []).forEach(function (t) {
            if (t.meta !== CANVAS_COLORBAR || !Array.isArray(t.colorscale)) { return; }
            var cb = t.colorbar || {}, lo = t.zmin, hi = t.zmax, colour = colourScale(t.colorscale, lo, hi);
            var len = (cb.len === undefined ? 1 : cb.len) * sz.h, thick = cb.thickness || 30;
            var y = cb.y === undefined ? 0.5 : cb.y, anchor = cb.yanchor || 'middle';
            var top = sz.t + (1 - y) * sz.h - (anchor === 'top' ? 0 : anchor === 'bottom' ? len : len / 2);
            var left = sz.l + (cb.x === undefined ? 1.02 : cb.x) * sz.w + 10;
            for (var k = 0; k < len; k++) {   // one row of pixels at a time, from the top (hi) down
                c.fillStyle = colour(hi - (hi - lo) * (k + 0.5) / len);
                c.fillRect(left, top + k, thick, 1.5);
            }
            c.strokeStyle = '#444'; c.lineWidth = 1;
            c.strokeRect(left + 0.5, top + 0.5, thick - 1, len - 1);
            c.fillStyle = '#444'; c.font = '11px ' + fl.font.family; c.textAlign = 'left'; c.textBaseline = 'middle';
            var steps = Math.abs(hi - lo - Math.round(hi - lo)) < 1e-9 && Math.abs(lo % 1) === 0.5;
            var a = steps ? lo + 0.5 : lo, b = steps ? hi - 0.5 : hi, every = 1;
            if (steps) { while ((b - a) / every * 14 > len) { every = every < 5 ? every + 1 : every * 2; } }
            var labels = steps ? [] : [a, b];
            for (var v = a; steps && v <= b + 1e-9; v += every) { labels.push(v); }
            labels.forEach(function (v) {
                var py = top + len * (hi - v) / ((hi - lo) || 1);
                c.fillText(String(steps ? v : Math.round(v * 100) / 100), left + thick + 4, py);
            });
            var title = cb.title && cb.title.text;
            if (title) {
                c.save();
                c.translate(left + thick + 30, top + len / 2);
                c.rotate(-Math.PI / 2);
                c.textAlign = 'center';
                c.font = '12px ' + fl.font.family;
                c.fillText(literal(title), 0, 0);
                c.restore();
            }
        });
    };
    LV.literal = literal;
    LV.drawCanvasText = function (gd) {
        var c = LV.overlay(gd, 'lv-text-layer');
        if (!c) { return; }
        var fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis, drawn = [];
        c.textBaseline = 'middle';
        (gd.data || []).forEach(function (t) {
            if (t.meta !== CANVAS_TEXT || !t.text) { return; }
            var f = t.textfont || {}, xs = LV.decode(t.x), ys = LV.decode(t.y), mk = t.marker || {};
            if (mk.symbol === 'square' && /markers/.test(t.mode || '')) {   // boxes under the labels ("use")
                var half = (mk.size || 10) / 2, ln = mk.line || {};
                for (var j = 0; j < xs.length; j++) {
                    if (xs[j] === null || ys[j] === null) { continue; }
                    var bx = xa._offset + xa.l2p(xs[j]) - half, by = ya._offset + ya.l2p(ys[j]) - half;
                    c.fillStyle = pick(mk.color, j) || 'rgba(0,0,0,0)';
                    c.fillRect(bx, by, 2 * half, 2 * half);
                    if (ln.width) { c.strokeStyle = ln.color || '#444'; c.lineWidth = ln.width; c.strokeRect(bx, by, 2 * half, 2 * half); }
                }
            }
            var left = /left/.test(t.textposition || '');
            c.textAlign = left ? 'right' : 'center';
            for (var k = 0; k < t.text.length; k++) {
                if (xs[k] === null || ys[k] === null || t.text[k] === '') { continue; }
                var x = xa._offset + xa.l2p(xs[k]) - (left ? 3 : 0), y = ya._offset + ya.l2p(ys[k]);
                var text = literal(t.text[k]);
                c.font = (pick(f.size, k) || 12) + 'px ' + (pick(f.family, k) || fl.font.family);
                c.fillStyle = pick(f.color, k) || '#000';
                c.fillText(text, x, y);
                drawn.push([x, y, text, c.fillStyle, t.name]);
            }
        });
        c.canvas._lvDrawn = drawn;
    };

    /* A figure of the page as an image (a promise of a data URL). SVG keeps vectors: WebGL traces
       are drawn as their SVG twins, canvas-drawn text as SVG text. */
    function figureCopy(graphId, format) {
        var gd = LV.plot(document.getElementById(graphId));
        if (!gd || !gd.data || !window.Plotly) { return null; }
        var fl = gd._fullLayout || {};
        var data = gd.data.map(function (t) {
            var c = Object.assign({}, t);
            if (format === 'svg' && c.type === 'scattergl') { c.type = 'scatter'; }
            if (c.meta === CANVAS_LINES || c.meta === CANVAS_HEATMAP || c.meta === CANVAS_COLORBAR) { c.visible = true; }
            if (c.meta === CANVAS_TEXT) {
                c.visible = true;
                if (!/text/.test(c.mode || '')) { c.mode = (c.mode ? c.mode + '+' : '') + 'text'; }
            }
            return c;
        });
        var layout = Object.assign({}, gd.layout);
        if (data.some(function (t) { return t.meta === CANVAS_LINES || t.meta === CANVAS_HEATMAP; })) {  // over the page's white
            layout.paper_bgcolor = layout.plot_bgcolor = 'white';
        }
        return {figure: {data: data, layout: layout},
                opts: {format: format, width: fl.width || 900, height: fl.height || 500}};
    }
    LV.figureImage = function (graphId, format) {
        var c = figureCopy(graphId, format);
        return c ? window.Plotly.toImage(c.figure, c.opts) : Promise.reject('no figure ' + graphId);
    };
    function exportFigure(graphId, format, filename) {
        var c = figureCopy(graphId, format);
        if (c) { window.Plotly.downloadImage(c.figure, Object.assign(c.opts, {filename: filename || 'figure'})); }
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.lstmvis = Object.assign(window.dash_clientside.lstmvis || {}, {
        replaceUrl: function (data) {
            if (data && typeof data.search === 'string' && data.search !== window.location.search) {
                window.history.replaceState(window.history.state, '',
                    window.location.pathname + data.search + window.location.hash);
                if (window.dash_clientside.set_props) {
                    window.dash_clientside.set_props(LV.pageAttr('data-lv-url'), {search: data.search});
                }
            }
            return window.dash_clientside.no_update;
        }
    });
})();
