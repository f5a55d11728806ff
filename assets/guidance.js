/* LSTMVis-Dash: the threshold guidance figure follows the hovered cell, with no server round trip.
 * lstmvis_dash/ui/guidance_view.py sends the statistics of every cell the mouse can reach (store:
 * key, source [dataset, layer], n_probs, cells i4, q f4 (n x n_probs), low f4, share f4); when the
 * page's hover store names one of them, its row (the top one, traces 5-9 of guidance_figures.py) is
 * filled from them. Both stores come from the browser's side: anything malformed draws no row.
 */
(function () {
    'use strict';
    var LV = window.LV = window.LV || {};
    var HOVER = 5, ROW = 'hovered', TRIES = 60;

    function rowOf(stats, hover) {
        if (!stats || typeof stats !== 'object' || !hover || typeof hover !== 'object' ||
            !Array.isArray(stats.source) || hover.dataset !== stats.source[0] ||
            hover.layer !== stats.source[1] || typeof hover.cell !== 'number') { return null; }
        var n = stats.n_probs, cells = LV.decode(stats.cells), q = LV.decode(stats.q);
        var low = LV.decode(stats.low), share = LV.decode(stats.share), k = -1;
        if (typeof n !== 'number' || n < 5 || q.length !== cells.length * n || low.length !== cells.length ||
            share.length !== cells.length) { return null; }
        var lo = 0, hi = cells.length - 1;            // the cells are sorted
        while (lo <= hi) {
            var mid = (lo + hi) >> 1;
            if (cells[mid] === hover.cell) { k = mid; break; }
            if (cells[mid] < hover.cell) { lo = mid + 1; } else { hi = mid - 1; }
        }
        if (k < 0) { return null; }
        var row = Array.prototype.slice.call(q, k * n, k * n + n).map(function (v) { return isFinite(v) ? v : null; });
        return {cell: hover.cell, q: row, low: isFinite(low[k]) ? low[k] : null, share: share[k]};
    }

    function fill(gd, r) {
        var cats = (gd.layout.yaxis.categoryarray || []).slice();
        var label = r ? '\u25b8 cell ' + r.cell : ROW, q = r ? r.q : [];
        if (cats.length) { cats[cats.length - 1] = label; }
        var y = r ? [label] : [], none = r === null;
        var span = function (a, b) { return q[a] === null || q[b] === null ? null : q[b] - q[a]; };
        window.Plotly.update(gd, {
            y: [y, y, y, y, y],
            x: none ? [[], [], [], [], []] : [[span(0, 4)], [span(1, 3)], [q[2]], [r.low], [r.share]],
            base: none ? [[], [], null, null, null] : [[q[0]], [q[1]], null, null, null],
            customdata: [null, none ? [] : [q], null, null, null]
        }, {'yaxis.categoryarray': cats, 'meta.hovered': none ? null : r.cell},
        [HOVER, HOVER + 1, HOVER + 2, HOVER + 3, HOVER + 4]);
    }

    /* The figure and its statistics come in one response, but the graph may draw a moment after the
       store is set: wait (a few frames) for the figure whose key is the statistics'. */
    function whenDrawn(graphId, key, fn, tries) {
        var gd = LV.plot(document.getElementById(graphId));
        var ready = gd && gd.data && gd.data.length >= HOVER + 5 && gd.layout && gd.layout.meta &&
            gd.layout.meta.key === key && window.Plotly;
        if (ready) { fn(gd); return; }
        if (tries > 0) { setTimeout(function () { whenDrawn(graphId, key, fn, tries - 1); }, 50); }
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.lstmvis_guidance = {
        hover: function (hover, stats, graphId) {
            if (!stats || typeof stats !== 'object' || typeof stats.key !== 'string') { return; }
            var r;
            try { r = rowOf(stats, hover); } catch (e) { r = null; }   // a malformed typed array
            whenDrawn(graphId, stats.key, function (gd) {
                if (gd.layout.meta.hovered === (r ? r.cell : null) && !r) { return; }
                fill(gd, r);
            }, TRIES);
        }
    };
})();
