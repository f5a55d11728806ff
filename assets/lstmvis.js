/* LSTMVis-Dash clientside helpers (no server round trip):
 * - the S1 chips (rendered from the `selection` store),
 * - highlighting a cell's line in red when its chip or its line is hovered,
 * - a chip's cross -> the `remove-cell` store (read by the server-side state sync),
 * - rewriting a non-canonical address in place (history.replaceState, no new history entry),
 * - clearing plotly's selection box once a brush has been taken over as the selected range.
 * Trace indices follow lstmvis_dash/ui/select_figures.py: 0 all cells, 1 S1, 2 highlight, 3 words.
 */
(function () {
    'use strict';
    var GRAPH_ID = 'select-graph';
    var DETAIL_ID = 'select-detail';
    var TRACE_ALL = 0, TRACE_S1 = 1, TRACE_HOVER = 2, TRACE_WORDS = 3;
    var DTYPES = {f4: Float32Array, f8: Float64Array, u1: Uint8Array, i1: Int8Array, u2: Uint16Array,
                  i2: Int16Array, u4: Uint32Array, i4: Int32Array};

    function decode(arr) {
        if (!arr) { return []; }
        if (arr.bdata !== undefined && arr.dtype) {
            var bin = atob(arr.bdata);
            var buf = new ArrayBuffer(bin.length);
            var bytes = new Uint8Array(buf);
            for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
            return new DTYPES[arr.dtype](buf);
        }
        return arr;
    }

    function graphDiv() {
        var el = document.getElementById(GRAPH_ID);
        return el ? el.querySelector('.js-plotly-plot') : null;
    }

    var highlighted = null;

    function setChipClass(cell) {
        var chips = document.querySelectorAll('.s1-chip');
        for (var i = 0; i < chips.length; i++) {
            var c = chips[i];
            if (cell !== null && c.getAttribute('data-cell') === String(cell)) { c.classList.add('hl'); }
            else { c.classList.remove('hl'); }
        }
    }

    function highlight(cell) {
        var gd = graphDiv();
        if (!gd || !gd.data || !gd.layout || !window.Plotly) { return; }
        if (cell === highlighted) { return; }
        highlighted = cell;
        setChipClass(cell);
        var meta = gd.layout.meta || {};
        var W = meta.width, D = meta.D;
        if (cell === null || W === undefined || cell < 0 || cell >= D) {
            highlightDetail(null);
            window.Plotly.restyle(gd, {x: [[]], y: [[]], name: ['cell']}, [TRACE_HOVER]);
            return;
        }
        highlightDetail(cell);
        var ys = decode(gd.data[TRACE_ALL].y);
        var off = cell * (W + 1);
        var x = new Array(W), y = new Array(W);
        for (var k = 0; k < W; k++) { x[k] = k; y[k] = ys[off + k]; }
        window.Plotly.restyle(gd, {x: [x], y: [y], name: ['cell ' + cell]}, [TRACE_HOVER]);
    }

    function detailDiv() {
        var el = document.getElementById(DETAIL_ID);
        return el ? el.querySelector('.js-plotly-plot') : null;
    }

    // the hovered cell's on-ranges in the plot under the words (trace 1 holds all, trace 2 is red)
    function highlightDetail(cell) {
        var gd = detailDiv();
        if (!gd || !gd.data || gd.data.length < 3 || !window.Plotly) { return; }
        var x = [], y = [];
        if (cell !== null) {
            var xs = decode(gd.data[1].x), ys = decode(gd.data[1].y), text = gd.data[1].text || [];
            var key = String(cell);
            for (var i = 0; i + 1 < xs.length; i += 3) {
                if (text[i] === key) { x.push(xs[i], xs[i + 1], null); y.push(ys[i], ys[i + 1], null); }
            }
        }
        window.Plotly.restyle(gd, {x: [x], y: [y]}, [2]);
    }

    var clearTimer = null;
    function scheduleClear() {
        if (clearTimer) { clearTimeout(clearTimer); }
        clearTimer = setTimeout(function () { clearTimer = null; highlight(null); }, 250);
    }
    function cancelClear() {
        if (clearTimer) { clearTimeout(clearTimer); clearTimer = null; }
    }

    function cellFromHover(gd, pt) {
        var meta = gd.layout.meta || {};
        var W = meta.width;
        if (W === undefined || pt.pointNumber === undefined) { return null; }
        var idx = Math.floor(pt.pointNumber / (W + 1));
        if (pt.curveNumber === TRACE_ALL) { return idx; }
        if (pt.curveNumber === TRACE_S1 && meta.s1) { return meta.s1[idx]; }
        return null;
    }

    function bindGraph() {
        var gd = graphDiv();
        if (!gd || typeof gd.on !== 'function' || gd._lvBound) { return; }
        gd._lvBound = true;
        gd.on('plotly_hover', function (ev) {
            if (!ev || !ev.points || !ev.points.length) { return; }
            var pt = ev.points[0];
            if (pt.curveNumber === TRACE_HOVER) { cancelClear(); return; }
            var cell = cellFromHover(gd, pt);
            if (cell !== null) { cancelClear(); highlight(cell); }
        });
        gd.on('plotly_unhover', function () { scheduleClear(); });
        gd.on('plotly_relayout', function (ev) {
            // the red dashed threshold line (shape 0) was moved by plotly's shape editing: its new
            // height is the threshold (our own drag above commits on release instead)
            if (!ev || drag) { return; }
            var y = ev['shapes[0].y0'];
            if (y === undefined) { y = ev['shapes[0].y1']; }
            if (y === undefined && ev.shapes && ev.shapes[0] && ev.shapes[0].name === 'threshold') { y = ev.shapes[0].y0; }
            if (typeof y === 'number' && isFinite(y) && window.dash_clientside && window.dash_clientside.set_props) {
                window.dash_clientside.set_props('threshold-drag', {data: {y: y, n: Date.now()}});
            }
        });
        gd.on('plotly_selected', function (ev) {
            // a box dragged over the words (or the plot): hand its x range to the server as the brush,
            // then remove plotly's box (the selected range is drawn as a band by the server)
            if (!ev || !ev.range) { return; }
            if (window.dash_clientside && window.dash_clientside.set_props) {
                window.dash_clientside.set_props('brush-range', {data: {range: ev.range, n: Date.now()}});
            }
            setTimeout(function () {
                if (gd.layout.selections && gd.layout.selections.length) {
                    window.Plotly.relayout(gd, {selections: []});
                }
            }, 0);
        });
    }

    function bindDetail() {
        var gd = detailDiv();
        if (!gd || typeof gd.on !== 'function' || gd._lvBound) { return; }
        gd._lvBound = true;
        gd.on('plotly_hover', function (ev) {
            var pt = ev && ev.points && ev.points[0];
            if (!pt || pt.curveNumber !== 1 || !pt.text) { return; }
            cancelClear();
            highlight(parseInt(pt.text, 10));
        });
        gd.on('plotly_unhover', function () { scheduleClear(); });
    }

    document.addEventListener('mouseover', function (e) {
        var chip = e.target.closest ? e.target.closest('.s1-chip') : null;
        if (chip) { cancelClear(); highlight(parseInt(chip.getAttribute('data-cell'), 10)); }
    });
    document.addEventListener('mouseout', function (e) {
        var chip = e.target.closest ? e.target.closest('.s1-chip') : null;
        if (chip && !(e.relatedTarget && chip.contains(e.relatedTarget))) { scheduleClear(); }
    });
    document.addEventListener('click', function (e) {
        var x = e.target.closest ? e.target.closest('.chip-x') : null;
        if (!x) { return; }
        e.preventDefault();
        var cell = parseInt(x.getAttribute('data-cell'), 10);
        if (!isNaN(cell) && window.dash_clientside && window.dash_clientside.set_props) {
            highlight(null);
            window.dash_clientside.set_props('remove-cell', {data: {cell: cell, n: Date.now()}});
        }
    });
    setInterval(function () { bindGraph(); bindDetail(); }, 300);

    // Dragging the threshold line: grab it anywhere along its length (within a few pixels, dash gaps
    // included), move it, and commit the new threshold on release (one history entry per drag).
    var GRAB_PX = 6;
    var drag = null;

    function thresholdGeometry(gd) {
        var fl = gd && gd._fullLayout;
        if (!fl || !fl.yaxis || !fl.xaxis || !gd.layout.shapes || !gd.layout.shapes[0]) { return null; }
        var ya = fl.yaxis, xa = fl.xaxis, rect = gd.getBoundingClientRect();
        return {ya: ya, rect: rect, top: rect.top + ya._offset, left: rect.left + xa._offset,
                width: xa._length, height: ya._length,
                lineY: rect.top + ya._offset + ya.l2p(gd.layout.shapes[0].y0)};
    }

    function nearThreshold(gd, e) {
        var g = thresholdGeometry(gd);
        if (!g) { return null; }
        var inX = e.clientX >= g.left && e.clientX <= g.left + g.width;
        return (inX && Math.abs(e.clientY - g.lineY) <= GRAB_PX) ? g : null;
    }

    function valueAt(g, clientY) {
        var py = Math.min(Math.max(clientY - g.top, 0), g.height);
        return g.ya.p2l(py);
    }

    document.addEventListener('mousedown', function (e) {
        if (e.button !== 0) { return; }
        var gd = graphDiv();
        if (!gd || !gd.contains(e.target)) { return; }
        var g = nearThreshold(gd, e);
        if (!g) { return; }
        e.preventDefault();
        e.stopPropagation();
        drag = {gd: gd, g: g, value: gd.layout.shapes[0].y0};
        gd.classList.add('lv-dragging-threshold');
    }, true);

    document.addEventListener('mousemove', function (e) {
        var gd = graphDiv();
        if (drag) {
            e.preventDefault();
            e.stopPropagation();
            drag.value = valueAt(drag.g, e.clientY);
            drag.moving = true;
            window.Plotly.relayout(drag.gd, {'shapes[0].y0': drag.value, 'shapes[0].y1': drag.value});
            return;
        }
        if (gd && gd.contains(e.target)) {
            if (nearThreshold(gd, e)) { gd.classList.add('lv-near-threshold'); }
            else { gd.classList.remove('lv-near-threshold'); }
        }
    }, true);

    document.addEventListener('mouseup', function (e) {
        if (!drag) { return; }
        e.preventDefault();
        e.stopPropagation();
        var d = drag;
        drag = null;
        d.gd.classList.remove('lv-dragging-threshold');
        if (d.moving && window.dash_clientside && window.dash_clientside.set_props) {
            var y = Math.round(d.value * 100) / 100;
            window.dash_clientside.set_props('threshold-drag', {data: {y: y, n: Date.now()}});
        }
    }, true);

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.lstmvis = {
            chips: function (selection) {
                var cells = (selection && selection.cells) || [];
                if (!selection || !selection.sel) {
                    return [{type: 'Span', namespace: 'dash_html_components',
                             props: {className: 'text-muted small', children: 'brush a range over the words'}}];
                }
                if (!cells.length) {
                    return [{type: 'Span', namespace: 'dash_html_components',
                             props: {className: 'text-muted small', children: 'no cell is on over the whole range'}}];
                }
                return cells.map(function (c) {
                    return {type: 'Span', namespace: 'dash_html_components', props: {
                        className: 's1-chip', 'data-cell': String(c), title: 'cell ' + c + ' (hover: highlight)',
                        children: [
                            {type: 'Span', namespace: 'dash_html_components',
                             props: {className: 'chip-label', children: String(c)}},
                            {type: 'Span', namespace: 'dash_html_components',
                             props: {className: 'chip-x', 'data-cell': String(c), role: 'button',
                                     title: 'remove cell ' + c + ' from S1', children: '×'}}
                        ]}};
                });
            },
            replaceUrl: function (data) {
                if (data && typeof data.search === 'string' && data.search !== window.location.search) {
                    window.history.replaceState(window.history.state, '',
                        window.location.pathname + data.search + window.location.hash);
                    if (window.dash_clientside.set_props) {
                        window.dash_clientside.set_props('url', {search: data.search});
                    }
                }
                return window.dash_clientside.no_update;
            }
    };
})();
