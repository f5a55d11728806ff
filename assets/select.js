/* LSTMVis-Dash select view, in the browser (lstmvis_dash/ui/select_view.py, select_figures.py):
 * - lines: the window's lines and S1 are drawn on a canvas under the plot (LV.drawCanvasLines);
 * - hover: the line nearest the mouse (within HOVER_PX) is drawn red and named ("cell 17"), its chip
 *   and its on-ranges in the plot under the words too; the cell goes to the page's hover store
 *   (debounced);
 * - brush: drag across the words or the lines; or click a start word, then an end word;
 * - threshold: grab the red dashed line anywhere along it, move it (a line drawn over the plot
 *   follows the mouse: a plotly relayout redrew the whole plot per frame), release to commit;
 * - the S1 chips, drawn from their data (a store the server writes: select_view.chips), plain DOM;
 * - a chip's × drops the cell from S1, an excluded chip's ↺ restores it.
 * Gestures go to the view's gesture store (the container's data-lv-gestures); the server makes the
 * view state from them. Plotly's own box select stays off. Trace indices: 0 lines, 1 S1, 2 words
 * (select_figures.py); the hovered line is drawn on a canvas over the plot (LV.drawLines).
 */
(function () {
    'use strict';
    var LV = window.LV;
    var TRACE_ALL = 0, TRACE_S1 = 1, RED = '#d62728';
    var GRAB_PX = 6, DRAG_PX = 3, HOVER_PX = 8;

    function storeOf(el) {
        var box = el && el.closest ? el.closest('[data-lv-gestures]') : null;
        return box ? box.getAttribute('data-lv-gestures') : null;
    }
    function send(el, gesture) { gesture.n = Date.now() + Math.random(); LV.setProps(storeOf(el), gesture); }
    function meta(gd) { return (gd && gd.layout && gd.layout.meta) || {}; }

    // -- hover ----------------------------------------------------------------------------------------
    var hoverTimer = null;
    function publishHover(gd, cell) {
        if (hoverTimer) { clearTimeout(hoverTimer); }
        hoverTimer = setTimeout(function () {
            var m = meta(gd), src = m.source || [];
            LV.setProps(LV.pageAttr('data-lv-hover'),
                        cell === null ? null : {dataset: src[0], layer: src[1], cell: cell});
        }, 150);
    }

    function label(gd) {
        var box = gd.parentElement, el = box.querySelector('.lv-hover-label');
        if (!el) { el = document.createElement('div'); el.className = 'lv-hover-label'; box.appendChild(el); }
        return el;
    }

    /* [trace index, cell ids] of the traces that hold lines, S1 first (it wins a tie) */
    function lineTraces(gd) {
        var m = meta(gd);
        return [[TRACE_S1, m.s1 || []], [TRACE_ALL, m.cells || []]];
    }
    function traceY(gd, trace) { var t = gd.data && gd.data[trace]; return t ? LV.decoded(t.y) : []; }

    function lineOf(gd, cell) {
        var W = meta(gd).width, found = null;
        lineTraces(gd).forEach(function (tc) {
            var idx = tc[1].indexOf(cell), ys = traceY(gd, tc[0]);
            if (found || idx < 0 || ys.length < (idx + 1) * (W + 1) - 1) { return; }
            var x = new Array(W), y = new Array(W);
            for (var k = 0; k < W; k++) { x[k] = k; y[k] = ys[idx * (W + 1) + k]; }
            found = {x: x, y: y};
        });
        return found;
    }

    /* the cell whose line passes nearest the mouse (within HOVER_PX, between the steps too), or null */
    function cellNear(gd, clientX, clientY) {
        var g = geometry(gd), m = meta(gd), W = m.width;
        if (!g || !W || clientX < g.left || clientX > g.left + g.width || clientY < g.top || clientY > g.plotBottom) {
            return null;
        }
        var xd = step(g, clientX), k = Math.max(0, Math.min(W - 2, Math.floor(xd)));
        var f = W > 1 ? Math.max(0, Math.min(1, xd - k)) : 0, py = clientY - g.top, best = null, bestD = HOVER_PX;
        lineTraces(gd).forEach(function (tc) {
            var ys = traceY(gd, tc[0]), ids = tc[1];
            for (var i = 0; i < ids.length; i++) {
                var y0 = ys[i * (W + 1) + k], y1 = W > 1 ? ys[i * (W + 1) + k + 1] : y0;
                if (!isFinite(y0) || !isFinite(y1)) { continue; }
                var d = Math.abs(g.ya.l2p(y0 + (y1 - y0) * f) - py);
                if (d < bestD) { bestD = d; best = ids[i]; }
            }
        });
        return best;
    }

    function highlight(gd, cell) {
        if (!gd || !gd._fullData || gd._lvHighlighted === cell) { return; }
        gd._lvHighlighted = cell;
        var card = gd.closest('[data-lv-gestures]');
        if (card) {
            card.querySelectorAll('.s1-chip').forEach(function (c) {
                c.classList.toggle('hl', cell !== null && c.getAttribute('data-cell') === String(cell));
            });
            highlightDetail(LV.plot(card.querySelector('.lv-detail')), cell);
        }
        var line = cell === null ? null : lineOf(gd, cell);
        label(gd).textContent = line ? 'cell ' + cell : '';
        label(gd).style.display = line ? 'block' : 'none';
        // on a canvas over the plot: a restyle would redraw the whole plot (80-300 ms a line here)
        LV.drawLines(gd, 'lv-hover-layer', line ? [line] : [], {color: RED, width: 2.6, markers: 2});
        publishHover(gd, line ? cell : null);
    }

    // the hovered cell's on-ranges in red over the plot under the words (trace 1 holds all of them)
    function highlightDetail(dd, cell) {
        if (!dd || !dd._fullData || dd._fullData.length < 2) { return; }
        var x = [], y = [];
        if (cell !== null) {
            var xs = dd._fullData[1].x, ys = dd._fullData[1].y, text = dd._fullData[1].text || [];
            for (var i = 0; i + 1 < xs.length; i += 3) {
                if (text[i] === String(cell)) { x.push(xs[i], xs[i + 1], null); y.push(ys[i], ys[i + 1], null); }
            }
        }
        LV.drawLines(dd, 'lv-hover-layer', x.length ? [{x: x, y: y, xaxis: 'xaxis2', yaxis: 'yaxis2'}] : [],
                     {color: RED, width: 3});
    }

    var clearTimer = null;
    function later(gd) {
        if (clearTimer) { clearTimeout(clearTimer); }
        clearTimer = setTimeout(function () { clearTimer = null; highlight(gd, null); }, 250);
    }
    function now() { if (clearTimer) { clearTimeout(clearTimer); clearTimer = null; } }

    LV.bind('.lv-select-graph', function (gd) {
        // a new figure: its lines drawn, the highlighted line drawn again from it (or cleared when it is gone)
        function drawn() {
            LV.drawCanvasLines(gd);
            var preview = gd.parentElement.querySelector('.lv-threshold-preview');
            if (preview) { preview.style.display = 'none'; }
            var c = gd._lvHighlighted;
            if (c !== undefined && c !== null) { gd._lvHighlighted = undefined; highlight(gd, c); }
        }
        drawn();
        gd.on('plotly_afterplot', drawn);
    });
    var hovered = null, hoverFrame = null, lastMove = null;
    function hoverAt(gd, e) {
        lastMove = {gd: gd, x: e.clientX, y: e.clientY};
        if (hoverFrame) { return; }
        hoverFrame = requestAnimationFrame(function () {
            hoverFrame = null;
            var mv = lastMove, cell = mv.gd ? cellNear(mv.gd, mv.x, mv.y) : null;
            if (cell !== null) { now(); hovered = mv.gd; highlight(mv.gd, cell); }
            else if (hovered) { later(hovered); hovered = null; }
        });
    }
    LV.bind('.lv-detail', function (dd) {
        dd.on('plotly_afterplot', function () {
            var card = dd.closest('[data-lv-gestures]'), gd = card && LV.plot(card.querySelector('.lv-select-graph'));
            var c = gd && gd._lvHighlighted;
            highlightDetail(dd, c === undefined ? null : c);
        });
        dd.on('plotly_hover', function (ev) {
            var pt = ev && ev.points && ev.points[0], card = dd.closest('[data-lv-gestures]');
            if (!pt || pt.curveNumber !== 1 || !pt.text || !card) { return; }
            now();
            highlight(LV.plot(card.querySelector('.lv-select-graph')), parseInt(pt.text, 10));
        });
        dd.on('plotly_unhover', function () {
            var card = dd.closest('[data-lv-gestures]');
            if (card) { later(LV.plot(card.querySelector('.lv-select-graph'))); }
        });
    });

    function chipGraph(chip) {
        var card = chip.closest('[data-lv-gestures]');
        return card ? LV.plot(card.querySelector('.lv-select-graph')) : null;
    }
    document.addEventListener('mouseover', function (e) {
        var chip = e.target.closest ? e.target.closest('.s1-chip') : null;
        if (chip) { now(); highlight(chipGraph(chip), parseInt(chip.getAttribute('data-cell'), 10)); }
    });
    document.addEventListener('mouseout', function (e) {
        var chip = e.target.closest ? e.target.closest('.s1-chip') : null;
        if (chip && !(e.relatedTarget && chip.contains(e.relatedTarget))) { later(chipGraph(chip)); }
    });
    document.addEventListener('click', function (e) {
        var x = e.target.closest ? e.target.closest('.chip-x') : null;
        if (!x) { return; }
        e.preventDefault();
        highlight(chipGraph(x), null);
        send(x, {kind: x.getAttribute('data-kind'), cell: parseInt(x.getAttribute('data-cell'), 10)});
    });

    // -- pointer gestures -----------------------------------------------------------------------------
    function geometry(gd) {
        var fl = gd._fullLayout;
        if (!fl || !fl.xaxis || !fl.yaxis || !fl.yaxis2) { return null; }
        var xa = fl.xaxis, ya = fl.yaxis, ya2 = fl.yaxis2, r = gd.getBoundingClientRect();
        var shape = (gd.layout.shapes || [])[0];
        return {xa: xa, ya: ya, rect: r, left: r.left + xa._offset, width: xa._length,
                top: r.top + ya._offset, plotBottom: r.top + ya._offset + ya._length,
                wordsTop: r.top + ya2._offset, bottom: r.top + ya2._offset + ya2._length,
                lineY: shape ? r.top + ya._offset + ya.l2p(shape.y0) : null};
    }
    function step(g, clientX) { return g.xa.p2l(clientX - g.left); }

    var drag = null, anchor = null;

    function band(gd) {
        var el = gd.parentElement.querySelector('.lv-brush-band');
        if (!el) { el = document.createElement('div'); el.className = 'lv-brush-band'; gd.parentElement.appendChild(el); }
        return el;
    }

    document.addEventListener('mousedown', function (e) {
        if (e.button !== 0) { return; }
        var box = e.target.closest ? e.target.closest('.lv-select-graph') : null;
        var gd = LV.plot(box);
        if (!gd || box.getAttribute('data-lv-interactive') !== '1' || !gd.contains(e.target)) { return; }
        var g = geometry(gd);
        if (!g || e.clientX < g.left || e.clientX > g.left + g.width || e.clientY < g.top || e.clientY > g.bottom) {
            return;
        }
        e.preventDefault();
        e.stopPropagation();
        if (g.lineY !== null && Math.abs(e.clientY - g.lineY) <= GRAB_PX) {
            drag = {kind: 'threshold', gd: gd, g: g, value: gd.layout.shapes[0].y0};
            gd.classList.add('lv-dragging-threshold');
        } else {
            drag = {kind: 'brush', gd: gd, g: g, x0: e.clientX, x1: e.clientX, moved: false,
                    onWords: e.clientY >= g.wordsTop};
        }
    }, true);

    /* the dragged threshold, drawn over the plot until the answer's figure shows it */
    function preview(gd) {
        var el = gd.parentElement.querySelector('.lv-threshold-preview');
        if (!el) { el = document.createElement('div'); el.className = 'lv-threshold-preview'; gd.parentElement.appendChild(el); }
        return el;
    }

    document.addEventListener('mousemove', function (e) {
        if (!drag) {
            var box = e.target.closest ? e.target.closest('.lv-select-graph') : null, gd = LV.plot(box);
            if (gd && box.getAttribute('data-lv-interactive') === '1') {
                var g = geometry(gd);
                gd.classList.toggle('lv-near-threshold', !!g && g.lineY !== null && Math.abs(e.clientY - g.lineY) <= GRAB_PX
                                    && e.clientX >= g.left && e.clientX <= g.left + g.width);
            }
            hoverAt(gd && gd._fullLayout ? gd : null, e);
            return;
        }
        e.preventDefault();
        e.stopPropagation();
        var d = drag;
        if (d.kind === 'threshold') {
            var py = Math.min(Math.max(e.clientY - d.g.top, 0), d.g.ya._length);
            d.value = d.g.ya.p2l(py);
            d.moved = true;
            var line = preview(d.gd);
            clearTimeout(line._lvTimer);
            line.style.display = 'block';
            line.style.left = (d.g.left - d.g.rect.left) + 'px';
            line.style.width = d.g.width + 'px';
            line.style.top = (d.g.top - d.g.rect.top + py - 1) + 'px';
            return;
        }
        d.x1 = Math.min(Math.max(e.clientX, d.g.left), d.g.left + d.g.width);
        if (Math.abs(d.x1 - d.x0) > DRAG_PX) { d.moved = true; }
        if (d.moved) {
            var el = band(d.gd), lo = Math.min(d.x0, d.x1), hi = Math.max(d.x0, d.x1);
            el.style.display = 'block';
            el.style.left = (lo - d.g.rect.left) + 'px';
            el.style.width = (hi - lo) + 'px';
            el.style.top = (d.g.top - d.g.rect.top) + 'px';
            el.style.height = (d.g.bottom - d.g.top) + 'px';
        }
    }, true);

    document.addEventListener('mouseup', function (e) {
        if (!drag) { return; }
        e.preventDefault();
        e.stopPropagation();
        var d = drag, m = meta(d.gd);
        drag = null;
        d.gd.classList.remove('lv-dragging-threshold');
        if (d.kind === 'threshold') {
            if (d.moved) {
                send(d.gd, {kind: 'threshold', y: d.value});
                var el = preview(d.gd);   // hidden by the next figure, or after a while when none comes
                el._lvTimer = setTimeout(function () { el.style.display = 'none'; }, 5000);
            } else { preview(d.gd).style.display = 'none'; }
            return;
        }
        band(d.gd).style.display = 'none';
        var W = m.width, pos = m.pos;
        if (d.moved) {
            var a = step(d.g, Math.min(d.x0, d.x1)), b = step(d.g, Math.max(d.x0, d.x1));
            var first = Math.max(0, Math.ceil(a)), last = Math.min(W - 1, Math.floor(b));
            anchor = null;
            if (first <= last) { send(d.gd, {kind: 'brush', start: pos + first, stop: pos + last + 1}); }
            return;
        }
        if (!d.onWords) { return; }
        var t = Math.round(step(d.g, d.x0));
        if (t < 0 || t >= W) { return; }
        t += pos;
        if (anchor && anchor.gd === d.gd && anchor.pos === pos) {
            send(d.gd, {kind: 'brush', start: Math.min(anchor.t, t), stop: Math.max(anchor.t, t) + 1});
            anchor = null;
        } else {
            anchor = {gd: d.gd, pos: pos, t: t};
            send(d.gd, {kind: 'brush', start: t, stop: t + 1});
        }
    }, true);

    // -- the S1 chips -----------------------------------------------------------------------------------
    function span(cls, text) { var e = document.createElement('span'); e.className = cls; e.textContent = text; return e; }
    function isCell(c) { return typeof c === 'number' && isFinite(c) && Math.floor(c) === c; }
    function drawChips(data, boxId) {
        var box = document.getElementById(boxId);
        if (!box) { return; }
        var out = [], d = data && typeof data === 'object' ? data : {};
        if (typeof d.text === 'string') {
            out.push(span('text-muted small', d.text));
        } else if (Array.isArray(d.cells)) {
            var gone = new Set(Array.isArray(d.excluded) ? d.excluded : []);
            d.cells.filter(isCell).forEach(function (c) {
                var dropped = gone.has(c), chip = span('s1-chip' + (dropped ? ' excluded' : ''), '');
                chip.title = 'cell ' + c;
                chip.setAttribute('data-cell', String(c));
                chip.appendChild(span('chip-label', String(c)));
                var x = span('chip-x', dropped ? '\u21ba' : '\u00d7');
                x.setAttribute('role', 'button');
                x.title = (dropped ? 'restore' : 'drop') + ' cell ' + c;
                x.setAttribute('data-cell', String(c));
                x.setAttribute('data-kind', dropped ? 'restore' : 'exclude');
                chip.appendChild(x);
                out.push(chip);
            });
            if (isCell(d.more) && d.more > 0) { out.push(span('text-muted small', '\u2026 and ' + d.more + ' more')); }
        }
        box.replaceChildren.apply(box, out);
        var card = box.closest('[data-lv-gestures]'), gd = card && LV.plot(card.querySelector('.lv-select-graph'));
        var hl = gd && gd._lvHighlighted;
        if (hl !== undefined && hl !== null) {
            var chip = box.querySelector('.s1-chip[data-cell="' + hl + '"]');
            if (chip) { chip.classList.add('hl'); }
        }
    }
    var ns = window.dash_clientside = window.dash_clientside || {};
    ns.lstmvis = ns.lstmvis || {};
    ns.lstmvis.chips = function (data, boxId) {
        drawChips(data, boxId);
        return ns.no_update;
    };
})();
