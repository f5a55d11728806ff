/* LSTMVis-Dash: the threshold guidance figure follows the hovered cell, with no server round trip.
 * lstmvis_dash/ui/guidance_view.py sends the statistics of every cell the mouse can reach (store:
 * source [dataset, layer], cells i4, q f4 (n x n_probs), low f4, share f4); when the page's hover
 * store names a cell, its row (the top one, traces 5-9 of guidance_figures.py) is filled from them.
 */
(function () {
    'use strict';
    var LV = window.LV = window.LV || {};
    var HOVER = 5, ROW = 'hovered';

    function rowOf(stats, hover) {
        if (!stats || !hover || !stats.source || hover.dataset !== stats.source[0] ||
            hover.layer !== stats.source[1] || typeof hover.cell !== 'number') { return null; }
        var cells = LV.decode(stats.cells), k = -1;
        for (var j = 0; j < cells.length; j++) { if (cells[j] === hover.cell) { k = j; break; } }
        if (k < 0) { return null; }
        var n = stats.n_probs, q = Array.prototype.slice.call(LV.decode(stats.q), k * n, k * n + n);
        return {cell: hover.cell, q: q, low: LV.decode(stats.low)[k], share: LV.decode(stats.share)[k]};
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.lstmvis_guidance = {
        hover: function (hover, stats, graphId) {
            var gd = LV.plot(document.getElementById(graphId));
            if (!gd || !gd.data || gd.data.length < HOVER + 5 || !window.Plotly) { return; }
            var r = rowOf(stats, hover), cats = (gd.layout.yaxis.categoryarray || []).slice();
            var label = r ? '\u25b8 cell ' + r.cell : ROW;
            if (cats.length) { cats[cats.length - 1] = label; }
            var y = r ? [label] : [], q = r ? r.q : [0, 0, 0, 0, 0];
            window.Plotly.update(gd, {
                y: [y, y, y, y, y],
                x: r ? [[q[4] - q[0]], [q[3] - q[1]], [q[2]], [r.low], [r.share]] : [[], [], [], [], []],
                base: r ? [[q[0]], [q[1]], null, null, null] : [[], [], null, null, null],
                customdata: [null, r ? [q] : [], null, null, null]
            }, {'yaxis.categoryarray': cats, 'meta.hovered': r ? r.cell : null},
            [HOVER, HOVER + 1, HOVER + 2, HOVER + 3, HOVER + 4]);
        }
    };
})();
